package db_test

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"cartograph/cartograph"
	"cartograph/db/dbtest"
)

// loadBenchCatalog writes the shared generator's catalog at scale and creates
// its entities in a fresh org through Entities.Create (validation included).
// It returns a read context for the org and how many entities were created.
func loadBenchCatalog(b *testing.B, scale string) (context.Context, int) {
	b.Helper()
	gen, err := filepath.Abs("../../shared/bench/gencatalog/main.go")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := os.Stat(gen); err != nil {
		b.Skip("../shared/bench is not beside the repository")
	}
	dir := b.TempDir()
	if out, err := exec.Command("go", "run", gen, "-scale", scale, "-seed", "1", "-out", dir).CombinedOutput(); err != nil {
		b.Fatalf("gencatalog: %v\n%s", err, out)
	}
	f, err := os.Open(filepath.Join(dir, "entities.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	ctx := dbtest.As(context.Background(), uniqueOrg("bench-search"), cartograph.ScopeWrite, cartograph.RoleUser)
	lines := make(chan []byte)
	var mu sync.Mutex
	created := 0
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for line := range lines {
				var fields map[string]json.RawMessage
				if err := json.Unmarshal(line, &fields); err != nil {
					b.Error(err)
					continue
				}
				var typ string
				_ = json.Unmarshal(fields["type"], &typ)
				_, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.EntityType(typ), Fields: fields})
				if err != nil && cartograph.ErrorCode(err) != cartograph.Conflict {
					b.Errorf("create %s: %v", line, err)
				}
				if err == nil {
					mu.Lock()
					created++
					mu.Unlock()
				}
			}
		})
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		lines <- append([]byte(nil), sc.Bytes()...)
	}
	close(lines)
	wg.Wait()
	if _, err := testDB.Bun().ExecContext(context.Background(), "ANALYZE entities"); err != nil {
		b.Fatal(err)
	}
	return ctx, created
}

// BenchmarkEntitySearch measures the catalog search over the shared data set
// at scale 0.4 (about 11,000 entities): a page of 50 services by name, a
// search-terms query, and a property filter on resources, each with its
// total count. Run with -v to see the EXPLAIN plans.
func BenchmarkEntitySearch(b *testing.B) {
	ctx, n := loadBenchCatalog(b, "0.4")
	b.Logf("created %d entities", n)
	for _, bc := range []struct {
		name string
		q    cartograph.EntityQuery
	}{
		{"page", cartograph.EntityQuery{Types: []cartograph.EntityType{cartograph.Service}, Page: cartograph.Page{Limit: 50}, Count: true}},
		{"terms", cartograph.EntityQuery{SearchTerms: "pay", Page: cartograph.Page{Limit: 20}, Count: true}},
		{"filter", cartograph.EntityQuery{Types: []cartograph.EntityType{cartograph.Resource}, Count: true, Page: cartograph.Page{Limit: 20},
			Filters: []cartograph.Filter{{Op: cartograph.OpEq, Field: "provider", Value: "AWS"}}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				es, total, err := testDB.Entities.Search(ctx, bc.q)
				if err != nil || len(es) == 0 || total < len(es) {
					b.Fatalf("%v %d %d", err, len(es), total)
				}
			}
		})
	}
	a := cartograph.ActorFrom(ctx)
	for _, q := range []string{
		`SELECT * FROM entities e WHERE e.org_id = '` + a.OrgID + `' AND e.type = 'service' ORDER BY e.name COLLATE "C" ASC, e.id ASC LIMIT 50`,
		`SELECT * FROM entities e WHERE e.org_id = '` + a.OrgID + `' AND e.search_text LIKE '%pay%' ORDER BY e.name COLLATE "C" ASC, e.id ASC LIMIT 20`,
		`SELECT count(*) FROM entities e WHERE e.org_id = '` + a.OrgID + `' AND e.search_text LIKE '%pay%'`,
		`SELECT * FROM entities e WHERE e.org_id = '` + a.OrgID + `' AND e.type = 'resource' AND e.provider = 'AWS' ORDER BY e.name COLLATE "C" ASC, e.id ASC LIMIT 20`,
	} {
		var plan []string
		if err := testDB.Bun().NewRaw("EXPLAIN ANALYZE "+q).Scan(context.Background(), &plan); err != nil {
			b.Fatal(err)
		}
		b.Logf("%s\n%s", q, strings.Join(plan, "\n"))
	}
}
