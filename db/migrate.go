package db

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/uptrace/bun/migrate"

	"cartograph/db/migrations"
)

// migrationLockID is the advisory lock that serialises migrations (and the
// bootstrap key) between server processes starting on one database.
const migrationLockID = 0x636172746f // "carto"

// Migrate applies every embedded migration not yet applied. Several processes
// may call it at once: a PostgreSQL advisory lock lets one work while the
// others wait, then find nothing left to do.
func (d *DB) Migrate(ctx context.Context) error {
	err := d.withAdvisoryLock(ctx, migrationLockID, func() error {
		ms := migrate.NewMigrations()
		if err := ms.Discover(migrations.FS); err != nil {
			return err
		}
		m := migrate.NewMigrator(d.bun, ms, migrate.WithMarkAppliedOnSuccess(true))
		if err := m.Init(ctx); err != nil {
			return err
		}
		_, err := m.Migrate(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	d.migrated.Store(true)
	return nil
}

// withAdvisoryLock runs fn while holding a session advisory lock on one
// dedicated connection; fn itself uses the pool.
func (d *DB) withAdvisoryLock(ctx context.Context, id int64, fn func() error) error {
	conn, err := d.bun.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(?)", id); err != nil {
		return err
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(?)", id) //nolint:errcheck // the session ends with the connection anyway
	return fn()
}

// EnsureDatabase creates database name on the server at serverURL when it does
// not exist yet. serverURL may name any database the user can connect to.
func EnsureDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created meanwhile by another process
		return nil
	}
	return err
}

// DropDatabase drops database name, ending its sessions first.
func DropDatabase(ctx context.Context, serverURL, name string) error {
	conn, err := pgx.Connect(ctx, serverURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// WithDatabase returns url with its database name replaced by name.
func WithDatabase(rawURL, name string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || !strings.HasPrefix(u.Scheme, "postgres") {
		return "", fmt.Errorf("database URL must be postgres://...: %q", rawURL)
	}
	u.Path = "/" + name
	return u.String(), nil
}
