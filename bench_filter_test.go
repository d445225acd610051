package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"slices"
	"strings"
	"testing"

	"cartograph/cartograph"
	"cartograph/db"
)

// q3 is the benchmark's "filter" shape: services of tier 1 with an
// environment named like %prod% that contains an AWS resource, first 50 by
// name, with the total.
const q3 = `{ entities(types: [SERVICE], first: 50, where: {and: [
	{field: "metaTags.tier", eq: "1"},
	{relation: "environments", some: {and: [{field: "name", ilike: "%prod%"},
		{relation: "resources", some: {field: "provider", eq: "AWS"}}]}}]}) { totalCount items { name } } }`

// q4 is the "cost" shape: the first 20 services by name and what their
// environments' resources cost over the last 7 days of the data set.
const q4 = `{ entities(types: [SERVICE], first: 20) { items { name ... on Service {
	cost(from: "%s", to: "%s") { total } } } } }`

// BenchmarkFilterAndCost runs Q3 and Q4 (BENCH_SCALE, default 1) through the
// full handler, after checking both answers against manifest.json.
func BenchmarkFilterAndCost(b *testing.B) {
	h, key, manifest, dir := benchCatalog(b, benchScale())
	var expected struct {
		Q3Filter struct {
			TotalCount int
			Names      []string `json:"names"`
		}
		Q4Cost struct {
			From, To string
			Services []struct{ Name, Cost string }
		}
	}
	if err := json.Unmarshal(manifest["expected"], &expected); err != nil {
		b.Fatal(err)
	}
	var got3 struct {
		Data struct {
			Entities struct {
				TotalCount int
				Items      []struct{ Name string }
			}
		}
	}
	json.Unmarshal(gqlRequest(b, h, key, q3), &got3)
	var names []string
	for _, it := range got3.Data.Entities.Items {
		names = append(names, it.Name)
	}
	if got3.Data.Entities.TotalCount != expected.Q3Filter.TotalCount || !slices.Equal(names, expected.Q3Filter.Names[:len(names)]) || len(names) != min(50, expected.Q3Filter.TotalCount) {
		b.Fatalf("Q3: %d %v, want %d %v", got3.Data.Entities.TotalCount, names, expected.Q3Filter.TotalCount, expected.Q3Filter.Names)
	}
	query4 := fmt.Sprintf(q4, expected.Q4Cost.From, expected.Q4Cost.To)
	var got4 struct {
		Data struct {
			Entities struct {
				Items []struct {
					Name string
					Cost struct{ Total string }
				}
			}
		}
	}
	json.Unmarshal(gqlRequest(b, h, key, query4), &got4)
	// Resources merged by identity on import (see BenchmarkGraphQuery) are
	// not in the catalog: their cost leaves the expected totals.
	var names4 []string
	for _, w := range expected.Q4Cost.Services {
		names4 = append(names4, w.Name)
	}
	merged := mergedCosts(b, dir, names4, expected.Q4Cost.From, expected.Q4Cost.To)
	mismatch := 0
	for i, s := range got4.Data.Entities.Items {
		w := expected.Q4Cost.Services[i]
		want, _ := new(big.Rat).SetString(w.Cost)
		if m := merged[w.Name]; m != nil {
			want.Sub(want, m)
			b.Logf("Q4 %s: manifest %s less %s of merged resources", w.Name, w.Cost, m.FloatString(4))
		}
		if s.Name != w.Name || s.Cost.Total != want.FloatString(4) {
			mismatch++
			b.Logf("Q4 %s: %s, manifest says %s %s", s.Name, s.Cost.Total, w.Name, w.Cost)
		}
	}
	if mismatch > 0 {
		b.Fatalf("Q4: %d of 20 services differ from manifest.json", mismatch)
	}
	b.Logf("Q3 and Q4 answers match manifest.json")
	logQ3Plan(b)
	b.Run("q3-filter", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, q3)
		}
	})
	b.Run("q4-cost", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, query4)
		}
	})
}

// logQ3Plan logs EXPLAIN ANALYZE of Q3's page statement.
func logQ3Plan(b *testing.B) {
	ctx := context.Background()
	var org string
	if err := testDB.Bun().NewRaw(`SELECT org_id FROM entities WHERE org_id LIKE 'bench-%' ORDER BY created_at DESC LIMIT 1`).Scan(ctx, &org); err != nil {
		b.Fatal(err)
	}
	f := cartograph.Filter{Op: cartograph.OpAnd, Children: []cartograph.Filter{
		{Op: cartograph.OpEq, Field: "metaTags.tier", Value: "1"},
		{Op: cartograph.OpSome, Field: "environments", Children: []cartograph.Filter{{Op: cartograph.OpAnd, Children: []cartograph.Filter{
			{Op: cartograph.OpILike, Field: "name", Value: "%prod%"},
			{Op: cartograph.OpSome, Field: "resources", Children: []cartograph.Filter{{Op: cartograph.OpEq, Field: "provider", Value: "AWS"}}}}}}}}}
	cond, args, err := db.FilterSQL(f, cartograph.Service)
	if err != nil {
		b.Fatal(err)
	}
	q := testDB.Bun().NewSelect().TableExpr("entities AS e").ColumnExpr("e.*").Where("e.org_id = ?", org).
		Where("e.type = 'service'").Where(cond, args...).OrderExpr(`e.name COLLATE "C", e.id`).Limit(51)
	var plan []string
	if err := testDB.Bun().NewRaw("EXPLAIN ANALYZE "+q.String()).Scan(ctx, &plan); err != nil {
		b.Fatal(err)
	}
	b.Logf("Q3 page plan:\n%s", strings.Join(plan, "\n"))
}
