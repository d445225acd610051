package db_test

import (
	"context"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db/dbtest"
)

// TestRelationTargetCopiesUnderRace: a relation inserted while its target
// is being renamed ends up with the new name, whichever of the two
// transactions takes the target's row first (migration 13). The later one
// must wait for the earlier: the insert behind the rename's row lock, the
// rename behind the insert's share lock.
func TestRelationTargetCopiesUnderRace(t *testing.T) {
	bg := context.Background()
	for _, tc := range []struct {
		name        string
		renameFirst bool
		waiting     string // the statement that must wait for the other transaction
	}{
		{"rename then insert", true, "INSERT INTO relations%"},
		{"insert then rename", false, "UPDATE entities%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org := uniqueOrg("targets")
			ctx := dbtest.As(bg, org, cartograph.ScopeWrite, cartograph.RoleAdmin)
			src, dst := createService(t, ctx, "source"), createService(t, ctx, "target")
			const (
				rename = "UPDATE entities SET name = 'renamed' WHERE org_id = ?0 AND id = ?2"
				insert = "INSERT INTO relations (org_id, source_id, target_id, label) VALUES (?0, ?1, ?2, 'depends_on')"
			)
			first, second := insert, rename
			if tc.renameFirst {
				first, second = rename, insert
			}

			// The first statement's transaction stays open while the second runs.
			tx, err := testDB.Bun().BeginTx(bg, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = tx.Rollback() }()
			if _, err := tx.ExecContext(bg, first, org, src, dst); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() {
				_, err := testDB.Bun().ExecContext(bg, second, org, src, dst)
				done <- err
			}()

			waiting := 0
			for deadline := time.Now().Add(5 * time.Second); waiting == 0 && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
				if err := testDB.Bun().NewRaw(`SELECT count(*) FROM pg_stat_activity
					WHERE wait_event_type = 'Lock' AND query LIKE ?`, tc.waiting).Scan(bg, &waiting); err != nil {
					t.Fatal(err)
				}
			}
			if waiting == 0 {
				t.Fatalf("%s did not wait for the open transaction", tc.waiting)
			}
			if err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			wantCopiedName(t, org, src, dst, "renamed")
		})
	}
}

// TestRelationInsertLetsTargetUpdatesThrough: an open transaction that
// inserted a relation holds its target's row only as its foreign key does
// (migration 15), so an update that leaves the target's type, name and
// provider alone goes through at once, and the copy stays right.
func TestRelationInsertLetsTargetUpdatesThrough(t *testing.T) {
	bg := context.Background()
	org := uniqueOrg("targets")
	ctx := dbtest.As(bg, org, cartograph.ScopeWrite, cartograph.RoleAdmin)
	src, dst := createService(t, ctx, "source"), createService(t, ctx, "target")

	tx, err := testDB.Bun().BeginTx(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(bg, "INSERT INTO relations (org_id, source_id, target_id, label) VALUES (?, ?, ?, 'depends_on')",
		org, src, dst); err != nil {
		t.Fatal(err)
	}

	// Were it to wait for the open transaction, lock_timeout fails it.
	update, err := testDB.Bun().BeginTx(bg, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = update.Rollback() }()
	if _, err := update.ExecContext(bg, "SET LOCAL lock_timeout = '2s'"); err != nil {
		t.Fatal(err)
	}
	if _, err := update.ExecContext(bg, "UPDATE entities SET description = 'changed', tags = '{t}' WHERE org_id = ? AND id = ?", org, dst); err != nil {
		t.Fatalf("an update of the target's other fields waited for the open relation insert: %v", err)
	}
	if err := update.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	wantCopiedName(t, org, src, dst, "target")
}

// wantCopiedName checks the relation's copy of its target's name.
func wantCopiedName(t *testing.T, org, src, dst, want string) {
	t.Helper()
	var name string
	if err := testDB.Bun().NewRaw("SELECT target_name FROM relations WHERE org_id = ? AND source_id = ? AND target_id = ?",
		org, src, dst).Scan(context.Background(), &name); err != nil {
		t.Fatal(err)
	}
	if name != want {
		t.Errorf("the relation's copy of its target's name = %q, want %q", name, want)
	}
}
