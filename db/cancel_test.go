package db_test

import (
	"context"
	"testing"
	"time"
)

// TestCanceledStatementStops: when a request's context ends mid-statement
// (its client went away, or it timed out), PostgreSQL stops the statement
// at once instead of running it to the end for nobody, and the pool goes on
// serving.
func TestCanceledStatementStops(t *testing.T) {
	bg := context.Background()
	ctx, cancel := context.WithTimeout(bg, 200*time.Millisecond)
	defer cancel()
	if _, err := testDB.Bun().ExecContext(ctx, "SELECT pg_sleep(30)"); err == nil {
		t.Fatal("pg_sleep(30) under a 200 ms context returned no error")
	}
	running := -1
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if err := testDB.Bun().NewRaw("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' AND query = 'SELECT pg_sleep(30)'").
			Scan(bg, &running); err != nil {
			t.Fatal(err)
		}
		if running == 0 {
			break
		}
	}
	if running != 0 {
		t.Errorf("3 s after the cancel, %d backends still run the canceled statement", running)
	}
}
