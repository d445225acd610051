package db_test

import (
	"context"
	"fmt"
	"io"
	neturl "net/url"
	"slices"
	"strings"
	"testing"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

func TestImport(t *testing.T) {
	ctx := dbtest.As(context.Background(), uniqueOrg("import"), cartograph.ScopeWrite, cartograph.RoleUser)
	const (
		s1 = "10000000-0000-4000-8000-000000000001"
		s2 = "10000000-0000-4000-8000-000000000002"
		s3 = "10000000-0000-4000-8000-000000000003"
		p1 = "10000000-0000-4000-8000-000000000004"
		r1 = "10000000-0000-4000-8000-000000000005"
	)
	entities := strings.Join([]string{
		`{"id":"` + s1 + `","type":"service","name":"a","lifecycle":"production"}`,
		`{"id":"` + s2 + `","type":"service","name":"b"}`,
		`{"id":"` + s3 + `","type":"service","name":"A"}`, // same name as s1, any case: skipped
		`{"id":"` + p1 + `","type":"person","name":"p","email":"p@example.com"}`,
		`{"id":"` + r1 + `","type":"resource","name":"r","provider":"AWS","providerResourceKey":"arn:r1","providerResourceType":"AWS:S3:Bucket"}`,
	}, "\n")
	relations := strings.Join([]string{
		`{"sourceEntityId":"` + s1 + `","targetEntityId":"` + s2 + `","label":"depends_on"}`,
		`{"sourceEntityId":"` + s1 + `","targetEntityId":"` + s2 + `","label":"depends_on"}`, // duplicate
		`{"sourceEntityId":"` + s3 + `","targetEntityId":"` + s2 + `","label":"depends_on"}`, // end skipped
		`{"sourceEntityId":"` + s1 + `","targetEntityId":"` + p1 + `","label":"depends_on"}`, // pair not allowed
	}, "\n")
	costs := strings.Join([]string{
		`{"catalogResourceId":"` + s1 + `","date":"2026-01-01","operation":"TOTAL","cost":1.5}`, // not a resource: skipped
		`{"catalogResourceId":"` + r1 + `","date":"2026-01-01","operation":"TOTAL","cost":1}`,
		`{"catalogResourceId":"` + r1 + `","date":"2026-01-02","operation":"TOTAL","cost":2}`,
		`{"catalogResourceId":"` + r1 + `","date":"2026-01-01","operation":"TOTAL","cost":3}`, // repeats line 2: the last wins
	}, "\n")
	counts, err := testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(entities), Relations: strings.NewReader(relations),
		Costs: strings.NewReader(costs)})
	if err != nil {
		t.Fatal(err)
	}
	if counts.Entities != 4 || counts.SkippedEntities != 1 || counts.Relations != 1 || counts.SkippedRelations != 3 ||
		counts.Costs != 2 || counts.SkippedCosts != 1 {
		t.Errorf("counts = %+v", *counts)
	}
	if want := []db.RefusedEntity{{Line: 3, ID: s3, Type: "service", Name: "A", Rule: db.RuleName}}; !slices.Equal(counts.Refused, want) {
		t.Errorf("refused = %+v, want %+v", counts.Refused, want)
	}
	got, err := testDB.Costs.Rollups(ctx, db.CostRequest{Type: cartograph.Resource, From: "2026-01-01", To: "2026-01-02"}, []string{r1})
	if err != nil || got[r1].Total != "5.0000" {
		t.Errorf("imported costs total %+v, %v; want 5.0000 (3 from the later of two lines for a day, 2)", got[r1], err)
	}
	// One summary event stands for the import's rows, sequenced like any
	// other (the row triggers the import skips do not include its own).
	events, _, err := testDB.Changes.List(ctx, cartograph.ChangeQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].ObjectType != cartograph.ObjectImport || events[0].Seq == 0 {
		t.Errorf("change log after an import: %d events, first %+v; want one import event with a seq", len(events), events)
	}
	e, err := testDB.Entities.Get(ctx, s1)
	if err != nil || e.Name != "a" {
		t.Fatalf("imported entity keeps its id: %v %v", e, err)
	}
	if lc, _ := cartograph.Attr[string](e, "lifecycle"); lc != "production" {
		t.Errorf("lifecycle = %q", lc)
	}

	// A line that fails validation aborts the whole import.
	bad := `{"id":"20000000-0000-4000-8000-000000000001","type":"service","name":"ok"}` + "\n" +
		`{"id":"20000000-0000-4000-8000-000000000002","type":"service","name":""}`
	_, err = testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(bad), Relations: strings.NewReader("")})
	if cartograph.ErrorCode(err) != cartograph.Invalid || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad line: %v", err)
	}
	if _, err := testDB.Entities.Get(ctx, "20000000-0000-4000-8000-000000000001"); cartograph.ErrorCode(err) != cartograph.NotFound {
		t.Errorf("a failed import left rows behind: %v", err)
	}

	// So does a cost line that is not a cost, on the costs' COPY path.
	const r2 = "20000000-0000-4000-8000-000000000003"
	okEntity := `{"id":"` + r2 + `","type":"resource","name":"r2","provider":"AWS","providerResourceKey":"arn:r2","providerResourceType":"AWS:S3:Bucket"}`
	badCosts := `{"catalogResourceId":"` + r2 + `","date":"2026-01-01","operation":"TOTAL","cost":1}` + "\n" +
		`{"catalogResourceId":"` + r2 + `","date":"2026-13-01","operation":"TOTAL","cost":1}`
	_, err = testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(okEntity), Relations: strings.NewReader(""),
		Costs: strings.NewReader(badCosts)})
	if cartograph.ErrorCode(err) != cartograph.Invalid || !strings.Contains(err.Error(), "line 2") {
		t.Fatalf("bad cost line: %v", err)
	}
	if _, err := testDB.Entities.Get(ctx, r2); cartograph.ErrorCode(err) != cartograph.NotFound {
		t.Errorf("a failed import left rows behind: %v", err)
	}
}

// TestImportLeavesPagesAllVisible checks that an import ends with every page
// of the tables it loaded marked all-visible, so the relation loaders' and
// cost rollups' index-only scans read no heap from the start. It runs on a
// database of its own (other tests' writes would dirty pages) with
// asynchronous commit, as the benchmark's cluster has it: there an ANALYZE
// committed between VACUUMs once left relations and costs unmarked.
func TestImportLeavesPagesAllVisible(t *testing.T) {
	ctx := context.Background()
	_, _, url := dbtest.Fresh(t, "visible")
	sep := "?"
	if strings.Contains(url, "?") {
		sep = "&"
	}
	store, err := db.Open(ctx, url+sep+"synchronous_commit=off", db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var ents, rels, costs strings.Builder
	for i := range 300 {
		env := fmt.Sprintf("30000000-0000-4000-8000-%012d", i)
		res := fmt.Sprintf("40000000-0000-4000-8000-%012d", i)
		fmt.Fprintf(&ents, `{"id":%q,"type":"environment","name":"env-%d"}`+"\n", env, i)
		fmt.Fprintf(&ents, `{"id":%q,"type":"resource","name":"res-%d","provider":"AWS","providerResourceKey":"arn:%d","providerResourceType":"AWS:S3:Bucket"}`+"\n", res, i, i)
		fmt.Fprintf(&rels, `{"sourceEntityId":%q,"targetEntityId":%q,"label":"contains"}`+"\n", env, res)
		for d := 1; d <= 28; d++ {
			fmt.Fprintf(&costs, `{"catalogResourceId":%q,"date":"2026-02-%02d","operation":"TOTAL","cost":1.25}`+"\n", res, d)
		}
	}
	actx := dbtest.As(ctx, "visible", cartograph.ScopeWrite, cartograph.RoleUser)
	counts, err := store.Import(actx, db.ImportSource{Entities: strings.NewReader(ents.String()),
		Relations: strings.NewReader(rels.String()), Costs: strings.NewReader(costs.String())})
	if err != nil {
		t.Fatal(err)
	}
	if counts.Costs != 300*28 || counts.SkippedCosts != 0 {
		t.Errorf("counts = %+v; want %d costs", *counts, 300*28)
	}
	// No key repeats here, so the costs went straight in by COPY, typed.
	env := "30000000-0000-4000-8000-000000000007"
	got, err := store.Costs.Rollups(actx, db.CostRequest{Type: cartograph.Environment, From: "2026-02-01", To: "2026-02-28"}, []string{env})
	if err != nil || got[env].Total != "35.0000" {
		t.Errorf("environment's imported costs %+v, %v; want 35.0000 (28 days of 1.25)", got[env], err)
	}
	for _, table := range []string{"entities", "relations", "costs"} {
		var pages, visible int
		err := store.Bun().QueryRowContext(ctx, "SELECT relpages, relallvisible FROM pg_class WHERE oid = ?::regclass", table).
			Scan(&pages, &visible)
		if err != nil {
			t.Fatal(err)
		}
		if pages == 0 || visible != pages {
			t.Errorf("%s: %d of %d pages all-visible after the import; want all", table, visible, pages)
		}
	}
}

// TestImportWithoutSuperuser imports as a role that may not turn the row
// triggers off, so the foreign-key checks run, from a costs file that
// cannot be rewound, so costs go through the staging table: the answer is
// the same as the fast path's.
func TestImportWithoutSuperuser(t *testing.T) {
	ctx := context.Background()
	admin, name, url := dbtest.Fresh(t, "importrole")
	role := strings.ReplaceAll(name, "cartograph_test_", "importer_")
	for _, stmt := range []string{
		"CREATE ROLE " + role + " LOGIN NOSUPERUSER",
		"GRANT USAGE ON SCHEMA public TO " + role,
		"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO " + role,
		"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO " + role,
	} {
		if _, err := admin.Bun().ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	// The database holds the role's grants, so it goes first; this cleanup
	// runs before Fresh's, so it drops the database itself.
	t.Cleanup(func() {
		_ = dbtest.Drop(context.Background(), name)
		server, err := dbtest.ServerURL(context.Background())
		if err == nil {
			if d, err := db.Open(context.Background(), server, db.Options{}); err == nil {
				_, _ = d.Bun().ExecContext(context.Background(), "DROP ROLE IF EXISTS "+role)
				d.Close()
			}
		}
	})
	u, err := neturl.Parse(url)
	if err != nil {
		t.Fatal(err)
	}
	u.User = neturl.User(role)
	store, err := db.Open(ctx, u.String(), db.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	var super string
	if err := store.Bun().QueryRowContext(ctx, "SHOW is_superuser").Scan(&super); err != nil || super != "off" {
		t.Fatalf("the import role is a superuser (%q, %v): the test would not test the triggers' path", super, err)
	}

	const env, res = "50000000-0000-4000-8000-000000000001", "50000000-0000-4000-8000-000000000002"
	ents := `{"id":"` + env + `","type":"environment","name":"prod"}` + "\n" +
		`{"id":"` + res + `","type":"resource","name":"db","provider":"AWS","providerResourceKey":"arn:db","providerResourceType":"AWS:RDS:Instance"}`
	rels := `{"sourceEntityId":"` + env + `","targetEntityId":"` + res + `","label":"contains"}`
	costs := `{"catalogResourceId":"` + res + `","date":"2026-03-01","operation":"TOTAL","cost":2.5}` + "\n" +
		`{"catalogResourceId":"` + res + `","date":"2026-03-02","operation":"TOTAL","cost":1.25}`
	actx := dbtest.As(ctx, "importrole", cartograph.ScopeWrite, cartograph.RoleUser)
	counts, err := store.Import(actx, db.ImportSource{Entities: strings.NewReader(ents), Relations: strings.NewReader(rels),
		Costs: io.MultiReader(strings.NewReader(costs))}) // a Reader only: no Seek
	if err != nil {
		t.Fatal(err)
	}
	if counts.Entities != 2 || counts.Relations != 1 || counts.Costs != 2 {
		t.Errorf("counts = %+v", *counts)
	}
	got, err := store.Costs.Rollups(actx, db.CostRequest{Type: cartograph.Environment, From: "2026-03-01", To: "2026-03-02"}, []string{env})
	if err != nil || got[env].Total != "3.7500" {
		t.Errorf("environment's imported costs %+v, %v; want 3.7500", got[env], err)
	}
}

// TestImportServiceTotals checks the service cost totals an import sums as
// its costs go in (its triggers are off): a resource in two environments
// of a service counts once, an environment two services share counts for
// both, only TOTAL rows count, and an environment of no service counts for
// none. The totals asked alone must equal those summed from the costs.
func TestImportServiceTotals(t *testing.T) {
	ctx := dbtest.As(context.Background(), uniqueOrg("importtotals"), cartograph.ScopeWrite, cartograph.RoleUser)
	id := func(n int) string { return fmt.Sprintf("60000000-0000-4000-8000-%012d", n) }
	s1, s2, e1, e2, e3, r1, r2, r3 := id(1), id(2), id(3), id(4), id(5), id(6), id(7), id(8)
	var ents strings.Builder
	for _, e := range []struct{ id, typ, name string }{{s1, "service", "s1"}, {s2, "service", "s2"},
		{e1, "environment", "s1-prod"}, {e2, "environment", "shared"}, {e3, "environment", "orphan"}} {
		fmt.Fprintf(&ents, `{"id":%q,"type":%q,"name":%q}`+"\n", e.id, e.typ, e.name)
	}
	for i, r := range []string{r1, r2, r3} {
		fmt.Fprintf(&ents, `{"id":%q,"type":"resource","name":"r%d","provider":"AWS","providerResourceKey":"arn:t%d","providerResourceType":"AWS:EC2:Instance"}`+"\n", r, i, i)
	}
	var rels strings.Builder
	for _, r := range [][3]string{{s1, "has_environment", e1}, {s1, "has_environment", e2}, {s2, "has_environment", e2},
		{e1, "contains", r1}, {e1, "contains", r2}, {e2, "contains", r2}, {e3, "contains", r3}} {
		fmt.Fprintf(&rels, `{"sourceEntityId":%q,"label":%q,"targetEntityId":%q}`+"\n", r[0], r[1], r[2])
	}
	var costs strings.Builder
	for _, c := range []struct{ res, date, op, cost string }{
		{r1, "2026-05-01", "TOTAL", "1"}, {r1, "2026-05-01", "RunInstances", "0.5"},
		{r2, "2026-05-01", "TOTAL", "2.25"}, {r2, "2026-05-02", "TOTAL", "3"}, {r3, "2026-05-01", "TOTAL", "100"},
	} {
		fmt.Fprintf(&costs, `{"catalogResourceId":%q,"date":%q,"operation":%q,"cost":%s}`+"\n", c.res, c.date, c.op, c.cost)
	}
	if _, err := testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(ents.String()),
		Relations: strings.NewReader(rels.String()), Costs: strings.NewReader(costs.String())}); err != nil {
		t.Fatal(err)
	}
	req := db.CostRequest{Type: cartograph.Service, From: "2026-05-01", To: "2026-05-02", TotalOnly: true}
	alone, err := testDB.Costs.Rollups(ctx, req, []string{s1, s2})
	if err != nil {
		t.Fatal(err)
	}
	req.TotalOnly = false
	full, err := testDB.Costs.Rollups(ctx, req, []string{s1, s2})
	if err != nil {
		t.Fatal(err)
	}
	for svc, want := range map[string]string{s1: "6.2500", s2: "5.2500"} {
		if alone[svc].Total != want || full[svc].Total != want {
			t.Errorf("service %s: total alone %s, summed from its costs %s; want %s", svc, alone[svc].Total, full[svc].Total, want)
		}
	}
}

// TestImportCostValues reads back costs the import wrote in COPY's binary
// format: zero, signs, every place of numeric(14,4), dates on both sides of
// 2000-01-01 (PostgreSQL's day 0), and the service total summed from them.
func TestImportCostValues(t *testing.T) {
	ctx := dbtest.As(context.Background(), uniqueOrg("importvalues"), cartograph.ScopeWrite, cartograph.RoleUser)
	id := func(n int) string { return fmt.Sprintf("61000000-0000-4000-8000-%012d", n) }
	costs := []struct{ date, cost, want string }{
		{"1999-12-31", "0.0001", "0.0001"},
		{"2000-01-01", "0.25", "0.2500"},
		{"2026-02-03", "0", "0.0000"},
		{"2000-01-02", "-1.5", "-1.5000"},
		{"2024-02-29", "9999999999.9999", "9999999999.9999"},
		{"2026-01-31", "12345678.9", "12345678.9000"},
		{"2026-02-01", "10000", "10000.0000"},
		{"2026-02-02", "100000000.0001", "100000000.0001"},
		{"2101-07-04", "-0.0765", "-0.0765"},
	}
	svc, env := id(100), id(101)
	ents := fmt.Sprintf(`{"id":%q,"type":"service","name":"s"}`+"\n"+`{"id":%q,"type":"environment","name":"e"}`+"\n", svc, env)
	rels := fmt.Sprintf(`{"sourceEntityId":%q,"label":"has_environment","targetEntityId":%q}`+"\n", svc, env)
	var lines strings.Builder
	ids := make([]string, len(costs))
	for i, c := range costs {
		ids[i] = id(i)
		ents += fmt.Sprintf(`{"id":%q,"type":"resource","name":"r%d","provider":"AWS","providerResourceKey":"arn:v%d","providerResourceType":"AWS:EC2:Instance"}`+"\n", ids[i], i, i)
		rels += fmt.Sprintf(`{"sourceEntityId":%q,"label":"contains","targetEntityId":%q}`+"\n", env, ids[i])
		fmt.Fprintf(&lines, `{"catalogResourceId":%q,"date":%q,"operation":"TOTAL","cost":%s}`+"\n", ids[i], c.date, c.cost)
	}
	if _, err := testDB.Import(ctx, db.ImportSource{Entities: strings.NewReader(ents), Relations: strings.NewReader(rels),
		Costs: strings.NewReader(lines.String())}); err != nil {
		t.Fatal(err)
	}
	for i, c := range costs {
		// Asked for that day alone: a date written off by one reads 0.
		got, err := testDB.Costs.Rollups(ctx, db.CostRequest{Type: cartograph.Resource, From: c.date, To: c.date}, ids[i:i+1])
		if err != nil {
			t.Fatal(err)
		}
		if r := got[ids[i]]; r == nil || r.Total != c.want {
			t.Errorf("cost %s on %s read back as %+v; want %s", c.cost, c.date, r, c.want)
		}
	}
	totals, err := testDB.Costs.Rollups(ctx, db.CostRequest{Type: cartograph.Service, From: "1999-01-01", To: "2199-01-01", TotalOnly: true}, []string{svc})
	if err != nil {
		t.Fatal(err)
	}
	if want := "10112355677.5736"; totals[svc] == nil || totals[svc].Total != want {
		t.Errorf("service total %+v; want %s", totals[svc], want)
	}
}

// TestImportIntoAFilledOrg imports a file some of whose lines take keys the
// org already holds, or that an earlier line took: those are skipped, the
// rest kept, whether the file can be read twice (so the COPY straight into
// entities is tried first, and undone) or not.
func TestImportIntoAFilledOrg(t *testing.T) {
	id := func(n int) string { return fmt.Sprintf("62000000-0000-4000-8000-%012d", n) }
	for _, tc := range []struct {
		name   string
		reader func(string) io.Reader
	}{
		{"seekable", func(s string) io.Reader { return strings.NewReader(s) }},
		{"stream", func(s string) io.Reader { return io.MultiReader(strings.NewReader(s)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := dbtest.As(context.Background(), uniqueOrg("importagain"), cartograph.ScopeWrite, cartograph.RoleUser)
			first := fmt.Sprintf(`{"id":%q,"type":"service","name":"a"}`, id(1))
			if _, err := testDB.Import(ctx, db.ImportSource{Entities: tc.reader(first), Relations: tc.reader("")}); err != nil {
				t.Fatal(err)
			}
			second := strings.Join([]string{
				fmt.Sprintf(`{"id":%q,"type":"service","name":"A"}`, id(2)), // the org's "a": skipped
				fmt.Sprintf(`{"id":%q,"type":"service","name":"c"}`, id(3)), // kept
				fmt.Sprintf(`{"id":%q,"type":"service","name":"C"}`, id(4)), // line 2's name: skipped
				fmt.Sprintf(`{"id":%q,"type":"service","name":"d"}`, id(1)), // the org's id: skipped
				fmt.Sprintf(`{"id":%q,"type":"service","name":"e"}`, id(4)), // line 3 claimed no key: kept
				`{"id":"` + id(6) + `","type":"resource","name":"r","provider":"AWS","providerResourceKey":"arn:again","providerResourceType":"AWS:S3:Bucket"}`,
				`{"id":"` + id(7) + `","type":"resource","name":"r2","provider":"AWS","providerResourceKey":"arn:again","providerResourceType":"AWS:S3:Bucket"}`,
			}, "\n")
			rels := fmt.Sprintf(`{"sourceEntityId":%q,"label":"depends_on","targetEntityId":%q}`+"\n"+
				`{"sourceEntityId":%q,"label":"depends_on","targetEntityId":%q}`, id(3), id(4), id(2), id(3))
			counts, err := testDB.Import(ctx, db.ImportSource{Entities: tc.reader(second), Relations: tc.reader(rels)})
			if err != nil {
				t.Fatal(err)
			}
			if counts.Entities != 3 || counts.SkippedEntities != 4 || counts.Relations != 1 || counts.SkippedRelations != 1 {
				t.Errorf("counts = %+v; want 3 entities (4 skipped), 1 relation (1 skipped)", *counts)
			}
			want := []db.RefusedEntity{
				{Line: 1, ID: id(2), Type: "service", Name: "A", Rule: db.RuleName},
				{Line: 3, ID: id(4), Type: "service", Name: "C", Rule: db.RuleName}, // its id is line 5's, taken later
				{Line: 4, ID: id(1), Type: "service", Name: "d", Rule: db.RuleID},
				{Line: 7, ID: id(7), Type: "resource", Name: "r2", Rule: db.RuleIdentity},
			}
			if !slices.Equal(counts.Refused, want) {
				t.Errorf("refused = %+v\nwant %+v", counts.Refused, want)
			}
			for n, want := range map[int]string{1: "a", 3: "c", 4: "e", 6: "r"} {
				if e, err := testDB.Entities.Get(ctx, id(n)); err != nil || e.Name != want {
					t.Errorf("entity %d = %+v, %v; want %q", n, e, err, want)
				}
			}
			if _, err := testDB.Entities.Get(ctx, id(2)); cartograph.ErrorCode(err) != cartograph.NotFound {
				t.Errorf("entity 2, whose name the org held: %v; want not found", err)
			}
		})
	}
}
