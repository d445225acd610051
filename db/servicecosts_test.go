package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

// TestServiceCostTotals checks the daily totals that answer a service's
// total-only rollup (migration 9) after every kind of write that moves
// them: each step compares the service's total asked alone (read from the
// totals) with the same total asked with its breakdown (summed from the
// costs themselves).
func TestServiceCostTotals(t *testing.T) {
	org := uniqueOrg("svccosts")
	ctx := dbtest.As(context.Background(), org, cartograph.ScopeWrite, cartograph.RoleAdmin)
	mk := func(typ cartograph.EntityType, name string, fields string) string {
		t.Helper()
		f := map[string]json.RawMessage{"name": json.RawMessage(fmt.Sprintf("%q", name))}
		if fields != "" {
			if err := json.Unmarshal([]byte(fields), &f); err != nil {
				t.Fatal(err)
			}
			f["name"] = json.RawMessage(fmt.Sprintf("%q", name))
		}
		e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: typ, Fields: f})
		if err != nil {
			t.Fatalf("create %s %s: %v", typ, name, err)
		}
		return e.ID
	}
	resource := func(name string) string {
		return mk(cartograph.Resource, name, `{"provider":"AWS","providerResourceKey":"arn:`+name+`","providerResourceType":"AWS:S3:Bucket"}`)
	}
	relate := func(src, label, dst string) {
		t.Helper()
		if _, err := testDB.Relations.Create(ctx, cartograph.Relation{SourceID: src, TargetID: dst, Label: label}); err != nil {
			t.Fatalf("relate %s: %v", label, err)
		}
	}
	unrelate := func(src, label, dst string) {
		t.Helper()
		if _, err := testDB.Relations.Delete(ctx, db.RelationKey{SourceID: src, TargetID: dst, Label: &label}); err != nil {
			t.Fatal(err)
		}
	}
	cost := func(res, date, amount string) {
		t.Helper()
		if _, err := testDB.Costs.Upsert(ctx, []cartograph.Cost{{ResourceID: res, Date: date, Operation: cartograph.TotalOperation, Cost: amount}}, nil, []int{0}); err != nil {
			t.Fatal(err)
		}
	}
	const from, to = "2026-04-01", "2026-04-03"
	svc, other := mk(cartograph.Service, "svc", ""), mk(cartograph.Service, "other", "")
	check := func(step, want string) {
		t.Helper()
		alone, err := testDB.Costs.Rollups(ctx, db.CostRequest{Type: cartograph.Service, From: from, To: to, TotalOnly: true}, []string{svc, other})
		if err != nil {
			t.Fatal(err)
		}
		full, err := testDB.Costs.Rollups(ctx, db.CostRequest{Type: cartograph.Service, From: from, To: to}, []string{svc, other})
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []string{svc, other} {
			if alone[id].Total != full[id].Total {
				t.Errorf("%s: total alone %s, with its breakdown %s", step, alone[id].Total, full[id].Total)
			}
		}
		if alone[svc].Total != want {
			t.Errorf("%s: total %s, want %s", step, alone[svc].Total, want)
		}
	}

	e1, e2 := mk(cartograph.Environment, "svc-prod", ""), mk(cartograph.Environment, "svc-dev", "")
	r1, r2, r3 := resource("r1"), resource("r2"), resource("r3")
	relate(svc, "has_environment", e1)
	relate(e1, "contains", r1)
	cost(r1, "2026-04-01", "1.5000")
	cost(r1, "2026-04-02", "2.0000")
	cost(r1, "2026-03-31", "100") // outside the range
	check("costs of a contained resource", "3.5000")

	relate(e2, "contains", r2) // e2 is nobody's yet
	cost(r2, "2026-04-01", "10")
	check("a resource of an environment of no service", "3.5000")
	relate(svc, "has_environment", e2)
	check("the environment joins the service", "13.5000")

	relate(e1, "contains", r2)
	check("a resource in two of its environments counts once", "13.5000")
	relate(other, "has_environment", e2) // shared with another service
	check("another service shares an environment", "13.5000")

	// A rename rewrites the relations' copies of their target (migration
	// 13), which moves no edge: the totals stand, and their rows keep the
	// transaction that wrote them rather than being recomputed.
	written := func() []string {
		t.Helper()
		var xmins []string
		if err := testDB.Bun().NewRaw("SELECT xmin::text FROM service_costs WHERE org_id = ? AND service_id = ? ORDER BY date",
			org, svc).Scan(ctx, &xmins); err != nil {
			t.Fatal(err)
		}
		return xmins
	}
	rename := func(typ cartograph.EntityType, id, name string) {
		t.Helper()
		in := cartograph.EntityInput{Type: typ, Fields: map[string]json.RawMessage{"name": json.RawMessage(fmt.Sprintf("%q", name))}}
		if _, err := testDB.Entities.Update(ctx, id, in); err != nil {
			t.Fatalf("rename %s: %v", name, err)
		}
	}
	before := written()
	rename(cartograph.Environment, e1, "svc-production")
	rename(cartograph.Resource, r2, "r2-renamed")
	check("an environment and a resource renamed", "13.5000")
	if after := written(); len(before) == 0 || !slices.Equal(after, before) {
		t.Errorf("renames rewrote the service's totals: rows from transactions %v, then %v", before, after)
	}
	// No API call moves an edge, but an UPDATE that does (here by SQL)
	// recomputes the services of its old and its new place.
	move := func(from, to string) {
		t.Helper()
		if _, err := testDB.Bun().NewRaw("UPDATE relations SET target_id = ? WHERE org_id = ? AND source_id = ? AND label = 'contains' AND target_id = ?",
			to, org, e1, from).Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
	move(r1, r3) // r3 has no costs yet
	check("an edge moved away from a costed resource", "10.0000")
	move(r3, r1)
	check("the edge moved back", "13.5000")

	cost(r2, "2026-04-01", "4")
	check("a cost updated", "7.5000")
	if _, err := testDB.Costs.Delete(ctx, []cartograph.CostKey{{ResourceID: r1, Date: "2026-04-01"}}); err != nil {
		t.Fatal(err)
	}
	check("a cost deleted", "6.0000")

	unrelate(e1, "contains", r1)
	check("a resource leaves", "4.0000")
	if err := testDB.Entities.Delete(ctx, r2); err != nil {
		t.Fatal(err)
	}
	check("a resource deleted", "0.0000")
	relate(e2, "contains", r3)
	cost(r3, "2026-04-03", "0.25")
	check("a resource joins", "0.2500")
	if err := testDB.Entities.Delete(ctx, e2); err != nil {
		t.Fatal(err)
	}
	check("an environment deleted", "0.0000")

	// Writers in separate transactions at once, each costing its own
	// resource of the one service: none may lose another's update.
	const writers = 8
	res := make([]string, writers)
	for i := range res {
		res[i] = resource(fmt.Sprintf("c%d", i))
		relate(e1, "contains", res[i])
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			for d := 1; d <= 3; d++ {
				if _, err := testDB.Costs.Upsert(ctx, []cartograph.Cost{{ResourceID: res[i], Date: fmt.Sprintf("2026-04-%02d", d),
					Operation: cartograph.TotalOperation, Cost: "1.0000"}}, nil, []int{0}); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	check("concurrent writers", fmt.Sprintf("%d.0000", writers*3))
}
