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

// selectRows runs a bun select and calls scan with its rows.
func (r *rowReader) selectRows(ctx context.Context, sel *bun.SelectQuery, scan func(pgx.Rows) error) error {
	query, err := sel.AppendQuery(r.bun.QueryGen(), nil)
	if err != nil {
		return err
	}
	// As bun shows the hooks its own selects: the query, formatted.
	return r.run(ctx, &bun.QueryEvent{DB: r.bun, IQuery: sel, Query: string(query), QueryTemplate: string(query)}, scan)
}

// rawRows runs SQL with ? placeholders, formatted with args by bun, and
// calls scan with its rows.
func (r *rowReader) rawRows(ctx context.Context, template string, args []any, scan func(pgx.Rows) error) error {
	query := r.bun.QueryGen().FormatQuery(template, args...)
	return r.run(ctx, &bun.QueryEvent{DB: r.bun, Query: query, QueryTemplate: template, QueryArgs: args}, scan)
}

// run runs event's query between the hooks and calls scan with its rows,
// which it closes.
func (r *rowReader) run(ctx context.Context, event *bun.QueryEvent, scan func(pgx.Rows) error) (err error) {
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
		rows, err := c.Conn().Query(ctx, event.Query)
		if err != nil {
			return err
		}
		defer rows.Close()
		return scan(rows) // scanEntities ends with rows.Err()
	})
}
