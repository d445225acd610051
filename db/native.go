package db

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// rowReader runs the entity reads, the hot path of every page and relation
// field, on the pool's connections through pgx itself rather than
// database/sql. database/sql hands every column over as a driver.Value
// (each string boxed) and converts it again into the destination, under a
// lock per row: a quarter of the server's CPU under the benchmark's Q2,
// which scans ~2,400 values a request. pgx scans into the destinations
// directly.
//
// Statements are formatted by bun, as every other statement is, and pass
// the same query hooks (the statement counter, tracing), so they are counted
// and traced like the rest.
type rowReader struct {
	bun   *bun.DB
	hooks []bun.QueryHook
}

// selectRows runs a bun select and calls scan with its rows.
func (r *rowReader) selectRows(ctx context.Context, sel *bun.SelectQuery, scan func(pgx.Rows) error) error {
	query, err := sel.AppendQuery(r.bun.QueryGen(), nil)
	if err != nil {
		return err
	}
	// As bun shows the hooks its own selects: the query, formatted.
	event := &bun.QueryEvent{DB: r.bun, IQuery: sel, Query: string(query), QueryTemplate: string(query)}
	return r.run(ctx, event, event.Query, nil, scan)
}

// rawRows runs SQL whose every ? is a placeholder (it has no other ?,
// and no named ones) with args as bind parameters, and calls scan with its
// rows. The statement's text is then the same whatever the values (a
// relation level's parent ids, say), so pgx prepares it once per
// connection and PostgreSQL plans it once: inlined values made every
// distinct set of parents a statement of its own to parse, plan, prepare
// and cache, which under pages of varying parents cost more than the
// reads themselves. Hooks see the statement as sent, with $n parameters
// (and the values in QueryArgs): spans name a statement, not its values.
func (r *rowReader) rawRows(ctx context.Context, template string, args []any, scan func(pgx.Rows) error) error {
	sql := bindParameters(template)
	event := &bun.QueryEvent{DB: r.bun, Query: sql, QueryTemplate: template, QueryArgs: args}
	return r.run(ctx, event, sql, bindValues(args), scan)
}

// bindParameters numbers template's ? placeholders $1, $2, ...
func bindParameters(template string) string {
	var b strings.Builder
	b.Grow(len(template) + 8)
	n := 0
	for i := range len(template) {
		if template[i] != '?' {
			b.WriteByte(template[i])
			continue
		}
		n++
		b.WriteByte('$')
		b.WriteString(strconv.Itoa(n))
	}
	return b.String()
}

// bindValues turns bun's argument wrappers into values pgx binds. An array
// of strings goes as its text literal, which the statement casts (every
// array placeholder here has a cast): pgx sends strings as text, whereas
// a []string bound to uuid[] or numeric[] first fails its binary encoding
// (an error built and dropped per statement) before falling back to text.
func bindValues(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		if arr, ok := a.(*pgdialect.ArrayValue); ok {
			a = arr.Value()
			if ss, ok := a.([]string); ok {
				a = arrayLiteral(ss)
			}
		}
		out[i] = a
	}
	return out
}

// arrayLiteral is ss as a PostgreSQL array literal, every element quoted.
func arrayLiteral(ss []string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, s := range ss {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('"')
		for j := range len(s) {
			if s[j] == '"' || s[j] == '\\' {
				b.WriteByte('\\')
			}
			b.WriteByte(s[j])
		}
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// run runs sql with args between the hooks, which see event, and calls
// scan with its rows, which it closes.
func (r *rowReader) run(ctx context.Context, event *bun.QueryEvent, sql string, args []any, scan func(pgx.Rows) error) (err error) {
	event.StartTime = time.Now()
	for _, h := range r.hooks {
		ctx = h.BeforeQuery(ctx, event)
	}
	defer func() {
		event.Err = err
		for i := len(r.hooks) - 1; i >= 0; i-- {
			r.hooks[i].AfterQuery(ctx, event)
		}
	}()
	conn, err := r.bun.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("db: a pgx connection was expected, not %T", dc)
		}
		rows, err := c.Conn().Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scan(rows) // scanEntities ends with rows.Err()
	})
}
