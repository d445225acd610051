package db_test

import (
	"encoding/json"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db/dbtest"
)

// TestPruneKeepsAsOfWorking prunes the log up to a cutoff: older events are
// gone, and as-of reads after the cutoff still rebuild the entity, because
// they start from the current row and undo only later changes.
func TestPruneKeepsAsOfWorking(t *testing.T) {
	ctx := dbtest.As(t.Context(), dbtest.UniqueOrg("prune"), cartograph.ScopeWrite, cartograph.RoleUser)
	e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Service,
		Fields: map[string]json.RawMessage{"name": json.RawMessage(`"p"`), "description": json.RawMessage(`"v1"`)}})
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(10 * time.Millisecond)
	cutoff := time.Now()
	time.Sleep(10 * time.Millisecond)
	if _, err := testDB.Entities.Update(ctx, e.ID, cartograph.EntityInput{Type: cartograph.Service,
		Fields: map[string]json.RawMessage{"description": json.RawMessage(`"v2"`)}}); err != nil {
		t.Fatal(err)
	}
	n, err := testDB.Changes.Prune(ctx, cutoff)
	if err != nil || n == 0 {
		t.Fatalf("Prune = %d, %v; want the create (and older events) gone", n, err)
	}
	events, _, err := testDB.Changes.List(ctx, cartograph.ChangeQuery{About: e.ID, Limit: 10})
	if err != nil || len(events) != 1 || events[0].Operation != cartograph.OpUpdate {
		t.Fatalf("after pruning, history = %v %v; want the update only", events, err)
	}
	got, err := testDB.Changes.EntitiesAsOf(ctx, []string{e.ID}, cutoff.Add(5*time.Millisecond))
	if err != nil || got[e.ID] == nil || got[e.ID].Description != "v1" {
		t.Errorf("asOf after the cutoff = %+v %v, want v1", got[e.ID], err)
	}
}
