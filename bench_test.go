package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

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

// benchCatalog generates the shared data set at scale (cached under the temp
// directory), imports it into a fresh org and returns a handler and a read
// key for it, with the generator's manifest.
func benchCatalog(b *testing.B, scale string) (http.Handler, string, map[string]json.RawMessage, string) {
	b.Helper()
	gen, _ := filepath.Abs("../shared/bench/gencatalog/main.go")
	if _, err := os.Stat(gen); err != nil {
		b.Skip("../shared/bench is not beside the repository")
	}
	dir := filepath.Join(os.TempDir(), "cartograph-bench-scale"+scale)
	if _, err := os.Stat(filepath.Join(dir, "manifest.json")); err != nil {
		if out, err := exec.Command("go", "run", gen, "-scale", scale, "-seed", "1", "-out", dir).CombinedOutput(); err != nil {
			b.Fatalf("gencatalog: %v\n%s", err, out)
		}
	}
	org := uniqueOrg("bench")
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: org, KeyName: "import", Scope: cartograph.ScopeWrite})
	ents, err := os.Open(filepath.Join(dir, "entities.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	defer ents.Close()
	rels, err := os.Open(filepath.Join(dir, "relations.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	defer rels.Close()
	costs, err := os.Open(filepath.Join(dir, "costs.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	defer costs.Close()
	start := time.Now()
	counts, err := testDB.Import(ctx, db.ImportSource{Entities: ents, Relations: rels, Costs: costs})
	if err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"entities", "relations", "costs"} {
		if _, err := testDB.Bun().ExecContext(context.Background(), "VACUUM ANALYZE "+table); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("imported scale %s in %s: %+v", scale, time.Since(start).Round(time.Millisecond), *counts)
	var manifest map[string]json.RawMessage
	raw, _ := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err := json.Unmarshal(raw, &manifest); err != nil {
		b.Fatal(err)
	}
	cfg, _ := loadConfig()
	h := newHandler(cfg, testDB, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	return h, key(&testing.T{}, "bench-reader", org, cartograph.ScopeRead, cartograph.RoleUser), manifest, dir
}

// mergedResources counts the resources of the named services' environments
// whose identity repeats an earlier resource's in entities.ndjson: the import
// keeps the first of each.
func mergedResources(b *testing.B, dir string, services []string) int {
	n := 0
	for _, ids := range mergedByService(b, dir, services) {
		n += len(ids)
	}
	return n
}

// mergedByService lists, per service name, those merged resources.
func mergedByService(b *testing.B, dir string, services []string) map[string][]string {
	type ent struct {
		ID, Type, Name, Provider, ProviderAccountID, ProviderResourceKey string
	}
	seen := map[[3]string]bool{}
	dup := map[string]bool{}
	svc := map[string]string{}
	want := map[string]bool{}
	for _, n := range services {
		want[n] = true
	}
	readLines(b, filepath.Join(dir, "entities.ndjson"), func(line []byte) {
		var e ent
		json.Unmarshal(line, &e)
		if e.Type == "service" && want[e.Name] {
			svc[e.ID] = e.Name
		}
		if e.Type != "resource" {
			return
		}
		k := [3]string{e.Provider, e.ProviderAccountID, e.ProviderResourceKey}
		dup[e.ID] = seen[k]
		seen[k] = true
	})
	envs := map[string]string{}
	var contains [][2]string
	readLines(b, filepath.Join(dir, "relations.ndjson"), func(line []byte) {
		var r struct{ SourceEntityID, TargetEntityID, Label string }
		json.Unmarshal(line, &r)
		switch {
		case r.Label == "has_environment" && svc[r.SourceEntityID] != "":
			envs[r.TargetEntityID] = svc[r.SourceEntityID]
		case r.Label == "contains":
			contains = append(contains, [2]string{r.SourceEntityID, r.TargetEntityID})
		}
	})
	out := map[string][]string{}
	for _, c := range contains {
		if envs[c[0]] != "" && dup[c[1]] {
			out[envs[c[0]]] = append(out[envs[c[0]]], c[1])
		}
	}
	return out
}

// mergedCosts is, per service name, the TOTAL cost in [from, to] of its
// merged resources, read from costs.ndjson (streamed: it is large).
func mergedCosts(b *testing.B, dir string, services []string, from, to string) map[string]*big.Rat {
	owner := map[string]string{}
	for svc, ids := range mergedByService(b, dir, services) {
		for _, id := range ids {
			owner[id] = svc
		}
	}
	out := map[string]*big.Rat{}
	f, err := os.Open(filepath.Join(dir, "costs.ndjson"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var c struct {
			CatalogResourceID, Date, Operation string
			Cost                               json.Number
		}
		json.Unmarshal(sc.Bytes(), &c)
		svc := owner[c.CatalogResourceID]
		if svc == "" || c.Operation != "TOTAL" || c.Date < from || c.Date > to {
			continue
		}
		v, _ := new(big.Rat).SetString(c.Cost.String())
		if out[svc] == nil {
			out[svc] = new(big.Rat)
		}
		out[svc].Add(out[svc], v)
	}
	return out
}

func readLines(b *testing.B, path string, fn func([]byte)) {
	raw, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range bytes.Split(raw, []byte("\n")) {
		if len(line) > 0 {
			fn(line)
		}
	}
}

func gqlRequest(b *testing.B, h http.Handler, key, query string) []byte {
	body, _ := json.Marshal(map[string]string{"query": query})
	req := httptest.NewRequest("POST", "/graphql", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Api-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
		b.Fatalf("%d %.300s", w.Code, w.Body)
	}
	return w.Body.Bytes()
}

// q2 is the benchmark's "graph" shape: the first 20 services by name, their
// depends_on targets, their environments and each environment's resources.
const q2 = `{ entities(types: [SERVICE], first: 20) { items { name ... on Service {
	dependencies(first: 20) { items { name } }
	environments(first: 10) { items { name resources(first: 50) { items { name provider } } } } } } } }`

// BenchmarkGraphQuery runs Q2 and a depth-6 transitive closure over the
// shared scale-1 data set through the full handler (auth, GraphQL, SQL).
// The Q2 answer is checked against manifest.json's expected counts first.
func BenchmarkGraphQuery(b *testing.B) {
	h, key, manifest, dir := benchCatalog(b, benchScale())
	var expected struct {
		Q2Graph struct {
			Services                           []string
			DependsOn, Environments, Resources int
		}
	}
	json.Unmarshal(manifest["expected"], &expected)
	var got struct {
		Data struct {
			Entities struct {
				Items []struct {
					Name         string
					Dependencies struct{ Items []struct{ Name string } }
					Environments struct {
						Items []struct {
							Resources struct{ Items []struct{ Name string } }
						}
					}
				}
			}
		}
	}
	json.Unmarshal(gqlRequest(b, h, key, q2), &got)
	deps, envs, res := 0, 0, 0
	for i, s := range got.Data.Entities.Items {
		if s.Name != expected.Q2Graph.Services[i] {
			b.Fatalf("service %d = %s, want %s", i, s.Name, expected.Q2Graph.Services[i])
		}
		deps += len(s.Dependencies.Items)
		envs += len(s.Environments.Items)
		for _, e := range s.Environments.Items {
			res += len(e.Resources.Items)
		}
	}
	// The data set repeats some resources' identity (provider, account, key),
	// which CONTRACT.md §4 makes unique: the import keeps one of each, so the
	// expected count loses the duplicates that fall in Q2's environments.
	var services []string
	for _, s := range got.Data.Entities.Items {
		services = append(services, s.Name)
	}
	merged := mergedResources(b, dir, services)
	if deps != expected.Q2Graph.DependsOn || envs != expected.Q2Graph.Environments || res != expected.Q2Graph.Resources-merged {
		b.Fatalf("Q2 answer: %d dependencies, %d environments, %d resources; want %d, %d, %d-%d",
			deps, envs, res, expected.Q2Graph.DependsOn, expected.Q2Graph.Environments, expected.Q2Graph.Resources, merged)
	}
	b.Logf("Q2 answer matches manifest.json (%d resources merged by identity)", merged)
	b.Run("q2", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			gqlRequest(b, h, key, q2)
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
