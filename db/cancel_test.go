package db_test

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestCanceledStatementStops: when a request's context ends mid-statement
// (its client went away, or it timed out), PostgreSQL stops the statement
// and the pool keeps the connection, rather than a broken connection whose
// backend runs on for nobody.
func TestCanceledStatementStops(t *testing.T) {
	bg := context.Background()
	conn, err := testDB.Bun().DB.Conn(bg) // one pooled connection, held
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var pid int
	if err := conn.QueryRowContext(bg, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = conn.ExecContext(ctx, "SELECT pg_sleep(30)")
	if err == nil || !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Fatalf("pg_sleep(30) under a 200 ms context: %v", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the canceled statement returned after %s", took)
	}
	var again int
	if err := conn.QueryRowContext(bg, "SELECT pg_backend_pid()").Scan(&again); err != nil || again != pid {
		t.Errorf("after the cancel the connection gives pid %d, %v; want the same backend %d", again, err, pid)
	}
	var running int
	if err := testDB.Bun().NewRaw("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'").
		Scan(bg, &running); err != nil {
		t.Fatal(err)
	}
	if running != 0 {
		t.Errorf("%d backends still run the canceled statement", running)
	}
}
