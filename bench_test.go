package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cartograph/bench/shapes"
	"cartograph/cartograph"
	"cartograph/db"
)

// benchScale is the data set's scale: BENCH_SCALE, default 1.
func benchScale() string {
	if s := os.Getenv("BENCH_SCALE"); s != "" {
		return s
	}
	return "1"
}

// generateCatalog writes the shared generator's data set at scale and seed
// into dir.
func generateCatalog(t testing.TB, dir, scale, seed string) {
	t.Helper()
	gen := filepath.Join("..", "shared", "bench", "gencatalog", "main.go")
	if out, err := exec.Command("go", "run", gen, "-scale", scale, "-seed", seed, "-out", dir).CombinedOutput(); err != nil {
		t.Fatalf("gencatalog: %v\n%s", err, out)
	}
}

// importCatalog loads the data set in dir into org with the importer.
func importCatalog(t testing.TB, dir, org string) *db.ImportCounts {
	t.Helper()
	open := func(name string) *os.File {
		f, err := os.Open(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		return f
	}
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: org, KeyName: "import", Scope: cartograph.ScopeWrite})
	counts, err := testDB.Import(ctx, db.ImportSource{Entities: open("entities.ndjson"), Relations: open("relations.ndjson"), Costs: open("costs.ndjson")})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// benchCatalog generates the shared data set at scale (cached under the temp
// directory), imports it into a fresh org and returns a handler and a read
// key for it, with the expected answers of the shapes.
func benchCatalog(b *testing.B, scale string) (http.Handler, string, *shapes.Expected) {
	b.Helper()
	if _, err := os.Stat(filepath.Join("..", "shared", "bench", "gencatalog", "main.go")); err != nil {
		b.Skip("../shared/bench is not beside the repository")
	}
	dir := filepath.Join(os.TempDir(), "cartograph-bench-scale"+scale)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		generateCatalog(b, dir, scale, "1")
	}
	org := uniqueOrg("bench")
	start := time.Now()
	counts := importCatalog(b, dir, org)
	// The import analyzed the tables; VACUUM sets the visibility map, which
	// index-only scans need.
	if _, err := testDB.Bun().ExecContext(context.Background(), "VACUUM entities, relations, costs"); err != nil {
		b.Fatal(err)
	}
	b.Logf("imported scale %s in %s: %+v", scale, time.Since(start).Round(time.Millisecond), *counts)
	m, err := shapes.ReadManifest(dir)
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	if err := testDB.Bun().NewRaw("SELECT id FROM entities WHERE org_id = ?", org).Scan(context.Background(), &ids); err != nil {
		b.Fatal(err)
	}
	imported := make(map[string]bool, len(ids))
	for _, id := range ids {
		imported[id] = true
	}
	exp, err := shapes.LoadExpected(dir, m, func(id string) bool { return imported[id] })
	if err != nil {
		b.Fatal(err)
	}
	cfg, _ := loadConfig()
	h := newHandler(cfg, testDB, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return h, key(b, "bench-reader", org, cartograph.ScopeRead, cartograph.RoleUser), exp
}

func gqlRequest(b *testing.B, h http.Handler, key, query string) []byte {
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(shapes.Body(query)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Api-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
		b.Fatalf("%d %.300s", w.Code, w.Body)
	}
	return w.Body.Bytes()
}

// BenchmarkGraphQuery runs Q1, Q2 and a depth-6 transitive closure over
// the shared scale-1 data set through the full handler (auth, GraphQL,
// SQL). The Q1 and Q2 answers are checked against manifest.json first.
func BenchmarkGraphQuery(b *testing.B) {
	h, key, exp := benchCatalog(b, benchScale())
	if err := exp.Check(shapes.Page, false, gqlRequest(b, h, key, shapes.Q1GraphQL)); err != nil {
		b.Fatalf("Q1 answer: %v", err)
	}
	b.Run("q1", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, shapes.Q1GraphQL)
		}
	})
	q2 := shapes.Q2GraphQL(20)
	if err := exp.Check(shapes.Graph, false, gqlRequest(b, h, key, q2)); err != nil {
		b.Fatalf("Q2 answer: %v", err)
	}
	b.Logf("Q2 answer matches manifest.json")
	b.Run("q2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, q2)
		}
	})
	// Q2 over pages of services at each of 980 offsets in turn: every
	// request has parents of its own, as browsing does (more distinct sets
	// than a connection's 512 cached statements), where the same query
	// repeated finds its statements prepared already.
	pages := 0
	b.Run("q2-pages", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, strings.Replace(q2, "first: 20)", fmt.Sprintf("first: 20, offset: %d)", pages%980), 1))
			pages++
		}
	})
	var first struct {
		Data struct {
			Entities struct{ Items []struct{ ID string } }
		}
	}
	json.Unmarshal(gqlRequest(b, h, key, `{ entities(types: [SERVICE], first: 1) { items { id } } }`), &first)
	closure := `{ graph(from: "` + first.Data.Entities.Items[0].ID + `", direction: BOTH, maxDepth: 6, limit: 10000) { truncated cycles nodes { depth entity { name } } } }`
	var g struct {
		Data struct{ Graph struct{ Nodes []any } }
	}
	json.Unmarshal(gqlRequest(b, h, key, closure), &g)
	b.Logf("closure of depth 6 (both directions) reaches %d services", len(g.Data.Graph.Nodes))
	b.Run("closure-depth-6", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, closure)
		}
	})
}
