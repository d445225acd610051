package main

import (
	"context"
	"strings"
	"testing"

	"cartograph/bench/shapes"
	"cartograph/cartograph"
	"cartograph/db"
)

// BenchmarkFilterAndCost runs Q3 (with its total) and Q4 (BENCH_SCALE,
// default 1) through the full handler, after checking both answers against
// manifest.json.
func BenchmarkFilterAndCost(b *testing.B) {
	h, key, exp := benchCatalog(b, benchScale())
	q3 := shapes.Q3GraphQLCounted
	q4 := shapes.Q4GraphQL(exp.M.Expected.Q4Cost.From, exp.M.Expected.Q4Cost.To)
	if err := exp.Check(shapes.Filter, false, gqlRequest(b, h, key, q3)); err != nil {
		b.Fatalf("Q3: %v", err)
	}
	if err := exp.Check(shapes.Cost, false, gqlRequest(b, h, key, q4)); err != nil {
		b.Fatalf("Q4: %v", err)
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
			gqlRequest(b, h, key, q4)
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
