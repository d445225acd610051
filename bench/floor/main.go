// Command floor is the benchmark's floor for Q1 "page": the least a Go
// server on net/http and pgx does to answer the shape over HTTP. It runs
// Q1's minimal SQL (the pgbench limit script, given by -sql) on a pgx pool
// for every request, whatever the request says, and writes the rows as
// {"data":{"entities":{"items":[{id,name,tags}]}}} by hand: no auth, no
// GraphQL, no org scoping, no reflection.
//
// bench/runner measures it beside Cartograph's Q1, so the table shows how
// much of the pgbench limit HTTP and one pooled query leave to any server
// built on these libraries (docs/benchmarks.md: step 5, and "The round
// before", item 1).
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dsn := flag.String("dsn", "", "PostgreSQL URL of the database the SQL reads")
	sql := flag.String("sql", "", "the SELECT of id, name and tags to run per request")
	conns := flag.Int("conns", 16, "pool size")
	flag.Parse()
	cfg, err := pgxpool.ParseConfig(*dsn)
	if err != nil {
		log.Fatal(err)
	}
	cfg.MaxConns, cfg.MinConns = int32(*conns), int32(*conns) //nolint:gosec // a small flag value
	pool, err := pgxpool.NewWithConfig(context.Background(), cfg)
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := pool.Ping(r.Context()); err != nil {
			http.Error(w, err.Error(), http.StatusServiceUnavailable)
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := page(r.Context(), pool, *sql)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	})
	log.Fatal(http.ListenAndServe(*addr, mux)) //nolint:gosec // a benchmark tool on loopback, no timeouts wanted
}

// page runs sql and writes its rows as the GraphQL Q1 answer.
func page(ctx context.Context, pool *pgxpool.Pool, sql string) ([]byte, error) {
	rows, err := pool.Query(ctx, sql)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	b := make([]byte, 0, 8192)
	b = append(b, `{"data":{"entities":{"items":[`...)
	var id, name string
	var tags []string
	for n := 0; rows.Next(); n++ {
		if err := rows.Scan(&id, &name, &tags); err != nil {
			return nil, err
		}
		if n > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"id":`...)
		b = quote(b, id)
		b = append(b, `,"name":`...)
		b = quote(b, name)
		b = append(b, `,"tags":[`...)
		for i, t := range tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = quote(b, t)
		}
		b = append(b, "]}"...)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return append(b, "]}}}"...), nil
}

// quote appends s as a JSON string: ASCII other than quotes, backslashes
// and control characters is copied as is.
func quote(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c >= utf8.RuneSelf:
			r, size := utf8.DecodeRuneInString(s[i:])
			b = utf8.AppendRune(b, r) // invalid UTF-8 becomes U+FFFD
			i += size
			continue
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
		i++
	}
	return append(b, '"')
}
