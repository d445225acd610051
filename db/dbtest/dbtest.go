// Package dbtest gives each test package a throw-away PostgreSQL database with
// every migration applied: on the server of DATABASE_URL when it is set, else
// on Cartograph's private local cluster (db/pglocal), so a bare `go test ./...`
// works on a machine with only the PostgreSQL binaries installed.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/pglocal"
)

// ServerURL returns the URL of a database on the test server that an
// administrator may connect to, starting the private cluster if need be.
func ServerURL(ctx context.Context) (string, error) {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u, nil
	}
	c, err := pglocal.Config()
	if err != nil {
		return "", err
	}
	return c.Start(ctx, "postgres")
}

// Main creates a database for the calling test package, applies every
// migration, runs the tests and drops the database (kept for inspection when a
// test fails outside CI). It returns the exit code for os.Exit.
func Main(m *testing.M, store **db.DB) int {
	ctx := context.Background()
	d, name, url, err := migrated(ctx, packageName())
	if err != nil {
		fmt.Fprintln(os.Stderr, "dbtest:", err)
		return 1
	}
	*store = d
	code := m.Run()
	d.Close()
	if code != 0 && os.Getenv("CI") == "" {
		fmt.Fprintf(os.Stderr, "dbtest: tests failed; database kept for inspection: %s\n", url)
		return code
	}
	if err := Drop(ctx, name); err != nil {
		fmt.Fprintln(os.Stderr, "dbtest: drop:", err)
	}
	return code
}

// Fresh gives a test a database of its own, named after prefix, with every
// migration applied, for tests that the package's shared database would
// disturb or that would disturb it. The store is closed and the database
// dropped when the test ends.
func Fresh(t testing.TB, prefix string) (store *db.DB, name, url string) {
	t.Helper()
	ctx := context.Background()
	store, name, url, err := migrated(ctx, prefix)
	if name != "" {
		t.Cleanup(func() { _ = Drop(context.Background(), name) })
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store, name, url
}

// migrated creates a database, opens it and applies every migration. On an
// error after the database was made, name is still set so that the caller
// can drop it.
func migrated(ctx context.Context, prefix string) (d *db.DB, name, url string, err error) {
	if name, url, err = Create(ctx, prefix); err != nil {
		return nil, "", "", err
	}
	if d, err = db.Open(ctx, url, db.Options{}); err != nil {
		return nil, name, url, err
	}
	if err = d.Migrate(ctx); err != nil {
		d.Close()
		return nil, name, url, err
	}
	return d, name, url, nil
}

// Create makes a new empty database named after prefix on the test server and
// returns its name and URL.
func Create(ctx context.Context, prefix string) (name, url string, err error) {
	server, err := ServerURL(ctx)
	if err != nil {
		return "", "", err
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	name = fmt.Sprintf("cartograph_test_%s_%s", prefix, hex.EncodeToString(b))
	if err := db.EnsureDatabase(ctx, server, name); err != nil {
		return "", "", err
	}
	url, err = db.WithDatabase(server, name)
	return name, url, err
}

// Drop drops a database made by Create.
func Drop(ctx context.Context, name string) error {
	server, err := ServerURL(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return db.DropDatabase(ctx, server, name)
}

var nonWord = regexp.MustCompile(`[^a-z0-9]+`)

// packageName derives a short name from the test binary (db.test → db).
func packageName() string {
	n := strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
	n = nonWord.ReplaceAllString(strings.ToLower(n), "_")
	if len(n) > 30 {
		n = n[:30]
	}
	return n
}

// As returns ctx acting as a key of org with the given scope and role, for
// calling db methods directly in tests.
func As(ctx context.Context, org string, scope cartograph.Scope, role cartograph.Role) context.Context {
	return cartograph.WithActor(ctx, &cartograph.Actor{
		KeyID: "00000000-0000-0000-0000-000000000000", KeyName: "test-" + org,
		OrgID: org, Scope: scope, Role: role,
	})
}

var orgSeq atomic.Int64

// UniqueOrg returns a fresh org name, so each test sees only its own rows,
// also under go test -count=N on the same database.
func UniqueOrg(base string) string {
	return fmt.Sprintf("%s-%d-%d", base, os.Getpid(), orgSeq.Add(1))
}

// WatchKeys runs d.WatchKeys, turning the key cache on, until the test ends.
// It returns once the cache is on, so the test's first requests already
// find their keys cached after one read.
func WatchKeys(t testing.TB, d *db.DB) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.WatchKeys(ctx, slog.New(slog.DiscardHandler)); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	for deadline := time.Now().Add(10 * time.Second); !d.Keys.CachingKeys(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the key cache did not turn on within 10s")
		}
	}
}
