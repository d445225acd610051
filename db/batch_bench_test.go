package db_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db/dbtest"
)

// BenchmarkResourceBatch measures a discovery batch of 50 resources, each
// with a parent, alternating between creating new resources and updating
// them (a retried batch), and reports upserts per second.
func BenchmarkResourceBatch(b *testing.B) {
	ctx := dbtest.As(context.Background(), uniqueOrg("bench-batch"), cartograph.ScopeWrite, cartograph.RoleUser)
	env, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Environment,
		Fields: map[string]json.RawMessage{"name": json.RawMessage(`"env"`)}})
	if err != nil {
		b.Fatal(err)
	}
	batch := func(round int) []cartograph.EntityInput {
		items := make([]cartograph.EntityInput, 50)
		for i := range items {
			key := fmt.Sprintf("c1:ns:Pod:%d-%d", round/2, i)
			items[i] = cartograph.EntityInput{Fields: map[string]json.RawMessage{
				"name": json.RawMessage(fmt.Sprintf("%q", key)), "provider": json.RawMessage(`"K8s"`),
				"providerAccountId": json.RawMessage(`"c1"`), "providerResourceKey": json.RawMessage(fmt.Sprintf("%q", key)),
				"providerResourceType": json.RawMessage(`"K8s:Cluster:Pod"`), "tags": json.RawMessage(`["k8s"]`),
				"parents": json.RawMessage(`[{"id":"` + env.ID + `","label":"contains"}]`),
			}}
		}
		return items
	}
	round := 0
	start := time.Now()
	for b.Loop() {
		res, err := testDB.Entities.UpsertBatch(ctx, cartograph.Resource, batch(round))
		if err != nil || res.Success != 50 {
			b.Fatalf("%v %+v", err, res)
		}
		round++
	}
	b.ReportMetric(float64(50*round)/time.Since(start).Seconds(), "upserts/s")
}

// BenchmarkCostBatch measures a cost batch of 1000 rows (20 resources × 50
// days) replacing the same keys each time, and reports rows per second.
func BenchmarkCostBatch(b *testing.B) {
	ctx := dbtest.As(context.Background(), uniqueOrg("bench-costs"), cartograph.ScopeWrite, cartograph.RoleUser)
	var rows []cartograph.Cost
	index := make([]int, 0, 1000)
	for r := range 20 {
		e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Resource, Fields: map[string]json.RawMessage{
			"name": json.RawMessage(fmt.Sprintf(`"r%d"`, r)), "provider": json.RawMessage(`"AWS"`),
			"providerResourceKey": json.RawMessage(fmt.Sprintf(`"r%d"`, r)), "providerResourceType": json.RawMessage(`"t"`)}})
		if err != nil {
			b.Fatal(err)
		}
		for d := range 50 {
			rows = append(rows, cartograph.Cost{ResourceID: e.ID, Date: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).Format(time.DateOnly),
				Operation: "TOTAL", Cost: fmt.Sprintf("%d.1234", d)})
			index = append(index, len(index))
		}
	}
	n := 0
	start := time.Now()
	for b.Loop() {
		res, err := testDB.Costs.Upsert(ctx, rows, nil, index)
		if err != nil || res.Success != 1000 {
			b.Fatalf("%v %+v", err, res)
		}
		n++
	}
	b.ReportMetric(float64(1000*n)/time.Since(start).Seconds(), "rows/s")
}
