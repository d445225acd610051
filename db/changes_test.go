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

// TestMatchingLiveAndDeleted matches a filter against a live entity and a
// deleted one (by its delete event) in one call, as the subscription hub does.
func TestMatchingLiveAndDeleted(t *testing.T) {
	ctx := dbtest.As(t.Context(), dbtest.UniqueOrg("matching"), cartograph.ScopeWrite, cartograph.RoleUser)
	live, gone := createService(t, ctx, "live"), createService(t, ctx, "gone")
	if err := testDB.Entities.Delete(ctx, gone); err != nil {
		t.Fatal(err)
	}
	deletes, _, err := testDB.Changes.List(ctx, cartograph.ChangeQuery{About: gone, Operations: []cartograph.ChangeOp{cartograph.OpDelete}, Limit: 1})
	if err != nil || len(deletes) != 1 {
		t.Fatalf("delete event: %v %v", deletes, err)
	}
	for _, tc := range []struct{ name, want string }{{"gone", gone}, {"live", live}} {
		q := cartograph.EntityQuery{Filters: []cartograph.Filter{{Op: cartograph.OpEq, Field: "name", Value: tc.name}}}
		got, err := testDB.Entities.Matching(ctx, q, []string{live}, []int64{deletes[0].Seq})
		if err != nil || len(got) != 1 || !got[tc.want] {
			t.Errorf("name = %s: matched %v %v, want only %s", tc.name, got, err, tc.want)
		}
	}
}
