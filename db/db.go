// Package db is Cartograph's storage: bun models, SQL, migrations, and the
// methods both the GraphQL resolvers and the REST handlers call. Every method
// checks the caller's access (cartograph.CanRead / CanWrite) and scopes every
// row to the caller's org, so the two APIs cannot drift apart on either.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

// DB is the storage of one Cartograph process: a connection pool and the
// services built on it.
type DB struct {
	bun       *bun.DB
	Keys      *Keys
	Configs   *Configs
	Entities  *Entities
	Relations *Relations
	Costs     *Costs
	Changes   *Changes

	connConfig *pgx.ConnConfig // for the listener's connection of its own
	migrated   atomic.Bool
}

// Options tunes the connection pool.
type Options struct {
	// MaxConns caps open connections; idle ones are kept up to the same number,
	// because the database/sql default of 2 idle connections makes a busy
	// server reconnect all the time. 0 means 4 per CPU, at least 16.
	MaxConns int
	// Hooks see every statement after the statement counter (tracing).
	Hooks []bun.QueryHook
}

// Open connects to the PostgreSQL server at url without running migrations;
// call Migrate next. The pool is checked with a ping.
func Open(ctx context.Context, url string, opts Options) (*DB, error) {
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	// JIT compiles a query when its estimated cost is high, which costs
	// hundreds of milliseconds; an API's short queries never win that back
	// (the load test saw a 3 ms query take 500 ms). A URL may set jit=on.
	if _, set := cfg.RuntimeParams["jit"]; !set {
		cfg.RuntimeParams["jit"] = "off"
	}
	sqldb := stdlib.OpenDB(*cfg)
	n := opts.MaxConns
	if n <= 0 {
		n = max(16, 4*runtime.GOMAXPROCS(0))
	}
	sqldb.SetMaxOpenConns(n)
	sqldb.SetMaxIdleConns(n)
	sqldb.SetConnMaxIdleTime(5 * time.Minute)

	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqldb.PingContext(pingCtx); err != nil {
		sqldb.Close()
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	d := newDB(sqldb, opts.Hooks)
	d.connConfig = cfg
	return d, nil
}

func newDB(sqldb *sql.DB, hooks []bun.QueryHook) *DB {
	hooks = append([]bun.QueryHook{statementCounter{}}, hooks...)
	b := bun.NewDB(sqldb, pgdialect.New())
	for _, h := range hooks {
		b = b.WithQueryHook(h)
	}
	rows := &rowReader{bun: b, hooks: hooks}
	d := &DB{bun: b}
	d.Keys = &Keys{db: b, usedEvery: lastUsedEvery}
	d.Configs = &Configs{db: b}
	d.Entities = &Entities{db: b, rows: rows}
	d.Relations = &Relations{db: b, rows: rows}
	d.Costs = &Costs{db: b}
	d.Changes = &Changes{db: b}
	return d
}

// Bun returns the underlying bun handle, for tests and tools that need raw SQL.
func (d *DB) Bun() *bun.DB { return d.bun }

// Close closes the pool, waiting for connections in use to be returned.
func (d *DB) Close() error { return d.bun.Close() }

// Ready returns nil when the database answers and every migration has been
// applied; it backs /readyz.
func (d *DB) Ready(ctx context.Context) error {
	if !d.migrated.Load() {
		return fmt.Errorf("migrations not applied")
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return d.bun.PingContext(ctx)
}

type statementCountKey struct{}

// WithStatementCount returns a context whose SQL statements are counted into
// the returned counter: the N+1 guard in tests, and statements per request in
// logs. A context that already counts keeps its counter, so a test and the
// request log see the same number.
func WithStatementCount(ctx context.Context) (context.Context, *atomic.Int64) {
	if n, ok := ctx.Value(statementCountKey{}).(*atomic.Int64); ok {
		return ctx, n
	}
	n := new(atomic.Int64)
	return context.WithValue(ctx, statementCountKey{}, n), n
}

// statementCounter is a bun query hook feeding WithStatementCount.
type statementCounter struct{}

func (statementCounter) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context {
	if n, ok := ctx.Value(statementCountKey{}).(*atomic.Int64); ok {
		n.Add(1)
	}
	return ctx
}

func (statementCounter) AfterQuery(context.Context, *bun.QueryEvent) {}
