// Command floor is the benchmark's floor for Q1 "page": the least a Go
// server on net/http and pgx does to answer the shape over HTTP. It runs
// Q1's minimal SQL (the pgbench limit script, given by -sql) on a pgx pool
// for every request, whatever the request says, and writes the rows as
// {"data":{"entities":{"items":[{id,name,tags}]}}} by hand: no auth, no
// GraphQL, no org scoping, no reflection.
//
// With -http bare it leaves net/http out too: a hand-written HTTP/1.1
// loop on Go's net package (bare.go), the least any Go server does.
//
// bench/runner measures both beside Cartograph's Q1, so the table shows how
// much of the pgbench limit HTTP and one pooled query leave to any server
// built on these libraries (docs/benchmarks.md: step 5).
package main

import (
	"context"
	"flag"
	"log"
	"net"
	"net/http"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgxpool"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:8090", "listen address")
	dsn := flag.String("dsn", "", "PostgreSQL URL of the database the SQL reads")
	sql := flag.String("sql", "", "the SELECT of id, name and tags to run per request")
	conns := flag.Int("conns", 16, "pool size")
	mode := flag.String("http", "net/http", "the HTTP server: net/http or bare (bare.go)")
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
	// route answers a request for path: /readyz once the pool reaches
	// PostgreSQL, any other path with Q1's page.
	route := func(ctx context.Context, path string) (int, []byte) {
		if path == "/readyz" {
			if err := pool.Ping(ctx); err != nil {
				return http.StatusServiceUnavailable, []byte(err.Error())
			}
			return http.StatusOK, nil
		}
		body, err := page(ctx, pool, *sql)
		if err != nil {
			return http.StatusInternalServerError, []byte(err.Error())
		}
		return http.StatusOK, body
	}
	switch *mode {
	case "net/http":
		log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { //nolint:gosec // a benchmark tool on loopback, no timeouts wanted
			status, body := route(r.Context(), r.URL.Path)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = w.Write(body)
		})))
	case "bare":
		ln, err := net.Listen("tcp", *addr)
		if err != nil {
			log.Fatal(err)
		}
		log.Fatal(serveBare(ln, func(path string) (int, []byte) { return route(context.Background(), path) }))
	default:
		log.Fatalf("-http %q: want net/http or bare", *mode)
	}
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
