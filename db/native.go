package db

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
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

// query runs a statement and calls scan with its rows, which it closes. The
// hooks see it as bun shows them its own: a bun query as iquery (template
// is then the formatted query), raw SQL as its template and args.
func (r *rowReader) query(ctx context.Context, iquery bun.Query, template string, args []any, scan func(pgx.Rows) error) (err error) {
	query := template
	if iquery == nil {
		query = r.bun.QueryGen().FormatQuery(template, args...)
	}
	event := &bun.QueryEvent{DB: r.bun, IQuery: iquery, Query: query, QueryTemplate: template, QueryArgs: args, StartTime: time.Now()}
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
		rows, err := c.Conn().Query(ctx, query)
		if err != nil {
			return err
		}
		defer rows.Close()
		if err := scan(rows); err != nil {
			return err
		}
		rows.Close()
		return rows.Err()
	})
}

// selectQuery formats a bun select for query.
func selectQuery(sel *bun.SelectQuery) (string, error) {
	b, err := sel.AppendQuery(sel.DB().QueryGen(), nil)
	return string(b), err
}
