package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"

	"cartograph/bench/shapes"
	"cartograph/cartograph"
	"cartograph/graph/model"
)

// TestFastReadsMatchGqlgen holds the GraphQL fast path for catalog reads
// (graph/fastpath.go) to gqlgen's executor: each query goes to a server with
// the fast path and to one without it (GRAPHQL_FAST_READS=off), and both
// answers must be the same status and bytes. The fast path's own counter
// says whether it answered, declined the query to gqlgen, or handed it to
// gqlgen after an error, so a query meant for the fast path cannot pass by
// quietly going to gqlgen.
func TestFastReadsMatchGqlgen(t *testing.T) {
	c := newCatalogClient(t, "fastreads")
	ids := seedEveryType(t, c)
	gqlgen := newTestServer(t, func(cfg *config) { cfg.GqlgenOnly = true })

	// Every field of every entity type, each aliased by its type (Service's
	// languages and Repository's have different types), as one query of
	// inline fragments and per type.
	var every strings.Builder
	fields := map[string]string{}
	for _, tc := range entityCases {
		typ := model.TypeName(cartograph.EntityType(tc.typ))
		var sels []string
		for _, sel := range leafSelections(t, c, typ) {
			name, _, _ := strings.Cut(sel, " ")
			sels = append(sels, typ+"_"+name+": "+sel)
		}
		fields[typ] = strings.Join(sels, " ")
		fmt.Fprintf(&every, " ... on %s { %s }", typ, fields[typ])
	}
	holder := ids["holder"]
	cases := []struct {
		name, query string
		vars        map[string]any
		want        string // answered, declined or rerun
	}{
		{"every field of every type", `{ entities(first: 50) { totalCount hasNextPage items { __typename` + every.String() + ` } } }`, nil, "answered"},
		{"every field through relations", `{ entity(id: "` + holder + `") { ... on Service {
			dependencies { totalCount items { ` + fields["Service"] + ` } }
			environments { totalCount hasNextPage items { ` + fields["Environment"] + ` resources(first: 5) { totalCount items { ` + fields["Resource"] + ` } } } } } } }`, nil, "answered"},
		{"relation pages, totals and next pages", `{ entities(types: [SERVICE], first: 3) { hasNextPage items { name ... on Service {
			dependencies(first: 1) { totalCount hasNextPage items { name dependents { totalCount items { name } } } }
			environments(first: 1, offset: 0) { hasNextPage totalCount items { __typename name services { items { name } } resources { items { name provider ... on Resource { parents { items { name } } children { items { name } } } } } } } } } } }`, nil, "answered"},
		{"aliases, fragments, skip and include", `query Q($skip: Boolean!, $n: Int) {
			__typename
			a: entities(types: [SERVICE], first: $n) { items { ...F n: name id @skip(if: $skip) ... on Service { name lifecycle } } }
			b: entities(first: 2, offset: 1) { hasNextPage more: hasNextPage }
			c: entities(first: 1) @include(if: $skip) { totalCount } }
			fragment F on Entity { name tags @include(if: $skip) type }`, map[string]any{"skip": true, "n": 3}, "answered"},
		{"the same with other variables", `query Q($skip: Boolean!, $n: Int) {
			a: entities(types: [SERVICE], first: $n) { items { ...F n: name id @skip(if: $skip) } }
			c: entities(first: 1) @include(if: $skip) { totalCount } }
			fragment F on Entity { name tags @include(if: $skip) }`, map[string]any{"skip": false, "n": 1}, "answered"},
		{"an entity and a missing one", `{ e: entity(id: "` + holder + `") { id name ... on Service { dependencies { items { id } } } }
			none: entity(id: "00000000-0000-0000-0000-000000000000") { id } }`, nil, "answered"},
		{"where filters, sorts and search", `{ x: entities(types: [SERVICE], where: {relation: "environments", some: {field: "name", ilike: "%prod%"}}) {
			totalCount items { name ... on Service { environments(where: {field: "name", eq: "billing-prod"}) { totalCount items { name } } } } }
			y: entities(sort: {field: CREATED_AT, direction: DESC}, search: "bill") { totalCount items { name } } }`, nil, "answered"},
		{"meta tags and links", `{ entities(types: [SERVICE, RESOURCE]) { items { metaTags { __typename name value type createdBy } links { url title icon __typename } } } }`, nil, "answered"},
		{"text that needs escaping", `{ entities(where: {field: "name", eq: "esc<a>&\"q\"\u2028"}) { items { name description tags metaTags { value } } } }`, nil, "answered"},
		{"Q1 page", shapes.Q1GraphQL, nil, "answered"},
		{"Q2 graph", shapes.Q2GraphQL(5), nil, "answered"},
		{"Q3 filter", shapes.Q3GraphQL, nil, "answered"},
		{"Q3 filter, counted", shapes.Q3GraphQLCounted, nil, "answered"},

		// Queries the fast path leaves to gqlgen, whose answers must not change.
		{"a field it lacks", `{ viewer { name } entities { totalCount } }`, nil, "declined"},
		{"Q4 cost", shapes.Q4GraphQL("2026-01-25", "2026-01-31"), nil, "answered"},
		{"cost summaries along relations", `query C($to: Date!) { entity(id: "` + holder + `") { ... on Service {
			own: cost(from: "2026-01-24", to: $to) { __typename total daily { __typename date total } breakdown { total } }
			all: cost(from: "2026-01-24", to: $to, includeDependencies: true) { total breakdown { total } }
			dependencies { items { ... on Service { cost(from: "2026-01-01", to: "2026-01-31") { total } } } }
			environments { items { name cost(from: "2026-01-25", to: $to) { total daily { date total } }
				resources { items { name ... on Resource { cost(from: "2026-01-26", to: $to) { breakdown { total } total } } } } } } } } }`,
			map[string]any{"to": "2026-01-28"}, "answered"},
		{"a cost breakdown's entity", `{ entity(id: "` + holder + `") { ... on Service { cost(from: "2026-01-25", to: "2026-01-31") {
			breakdown { entity { name } total } } } } }`, nil, "declined"},
		{"a cost range the wrong way round", `{ entity(id: "` + holder + `") { ... on Service { cost(from: "2026-01-31", to: "2026-01-01") { total } } } }`, nil, "rerun"},
		{"a cost date that is no date", `{ entity(id: "` + holder + `") { ... on Service { cost(from: "2026-02-30", to: "2026-03-01") { total } } } }`, nil, "rerun"},
		{"introspection", `{ __schema { queryType { name } } entities { totalCount } }`, nil, "declined"},
		{"a resolver error", `{ entities(first: -1) { totalCount } }`, nil, "rerun"},
		{"a relation argument error", `{ entity(id: "` + holder + `") { ... on Service { dependencies(offset: -1) { totalCount } } } }`, nil, "rerun"},
		{"a filter error", `{ entities(where: {field: "nope", eq: "1"}) { totalCount } }`, nil, "rerun"},
		{"an id that is not a UUID", `{ entity(id: "not-a-uuid") { id } }`, nil, "answered"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, err := json.Marshal(map[string]any{"query": tc.query, "variables": tc.vars})
			if err != nil {
				t.Fatal(err)
			}
			before := fastReadCounts(t, c)
			got := c.srv.do(t, "POST", "/graphql", map[string]string{"Api-Key": c.key}, string(body))
			after := fastReadCounts(t, c)
			want := gqlgen.do(t, "POST", "/graphql", map[string]string{"Api-Key": c.key}, string(body))
			if got.status != want.status || !bytes.Equal(got.body, want.body) {
				t.Fatalf("fast path: %d %s\ngqlgen:    %d %s", got.status, got.body, want.status, want.body)
			}
			for _, r := range []string{"answered", "declined", "rerun"} {
				wantDelta := 0.0
				if r == tc.want {
					wantDelta = 1
				}
				if d := after[r] - before[r]; d != wantDelta {
					t.Errorf("fast reads %q went up by %v, want %v", r, d, wantDelta)
				}
			}
			if tc.want == "answered" && (bytes.Contains(got.body, []byte(`"errors"`)) || !bytes.Contains(got.body, []byte(`"data":{`))) {
				t.Errorf("an answered query should have data and no errors: %s", got.body)
			}
		})
	}
}

// seedEveryType creates one entity of every type with every common field
// set, a service "holder" related to several of them, and an entity whose
// text needs escaping; it returns the ids by type.
func seedEveryType(t *testing.T, c *catalogClient) map[string]string {
	t.Helper()
	common := `"description":"described","tags":["t1","t2"],"metaTags":[{"name":"tier","value":"1","type":"Text"},{"name":"n","value":{"a":[1, 2]},"type":"JSON","createdBy":"MANUAL"}],` +
		`"links":[{"url":"https://example.com","title":"home","icon":"web"}],`
	ids := map[string]string{}
	for _, tc := range entityCases {
		ids[tc.typ] = c.create(t, tc.typ, "{"+common+tc.create[1:])["id"].(string)
	}
	ids["holder"] = c.create(t, "service", `{"name":"holder","lifecycle":"production"}`)["id"].(string)
	ids["prod"] = c.create(t, "environment", `{"name":"holder-prod"}`)["id"].(string)
	ids["child"] = c.create(t, "resource", `{"name":"db-1-replica","provider":"AWS","providerResourceKey":"arn:aws:rds:2","providerResourceType":"AWS:RDS:Instance","providerAccountId":"123"}`)["id"].(string)
	c.create(t, "service", `{"name":"esc<a>&\"q\"\u2028","description":"<b>x</b> & \u2029","tags":["<t>"],"metaTags":[{"name":"h","value":"<&>","type":"Text"}]}`)
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: c.org, KeyName: "seed", Scope: cartograph.ScopeWrite})
	for _, r := range []cartograph.Relation{
		{SourceID: ids["holder"], TargetID: ids["service"], Label: "depends_on"},
		{SourceID: ids["holder"], TargetID: ids["environment"], Label: "has_environment"},
		{SourceID: ids["holder"], TargetID: ids["prod"], Label: "has_environment"},
		{SourceID: ids["environment"], TargetID: ids["resource"], Label: "contains"},
		{SourceID: ids["prod"], TargetID: ids["resource"], Label: "contains"},
		{SourceID: ids["prod"], TargetID: ids["child"], Label: "contains"},
		{SourceID: ids["child"], TargetID: ids["resource"], Label: "child_of"},
	} {
		if _, err := testDB.Relations.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	// Daily costs for the resources of the holder's environments and of
	// the service it depends on, some days without: each rollup has
	// shares, days and a total to show.
	var costs []cartograph.Cost
	for i, res := range []string{ids["resource"], ids["child"]} {
		for d := 25; d <= 27-i; d++ {
			costs = append(costs, cartograph.Cost{ResourceID: res, Date: fmt.Sprintf("2026-01-%02d", d),
				Operation: cartograph.TotalOperation, Cost: fmt.Sprintf("%d.%04d", d, 125*(i+1))})
		}
	}
	index := make([]int, len(costs))
	for i := range index {
		index[i] = i
	}
	if res, err := testDB.Costs.Upsert(ctx, costs, nil, index); err != nil || res.Failures > 0 {
		t.Fatalf("costs: %+v, %v", res, err)
	}
	return ids
}

// fastReadCounts scrapes the fast path's counter from /metrics, by result.
func fastReadCounts(t *testing.T, c *catalogClient) map[string]float64 {
	t.Helper()
	res := c.srv.do(t, "GET", "/metrics", map[string]string{"Api-Key": c.key}, "")
	if res.status != http.StatusOK {
		t.Fatalf("metrics = %d", res.status)
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(bytes.NewReader(res.body))
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), `cartograph_graphql_fast_reads_total{result="`)
		if !ok {
			continue
		}
		result, value, _ := strings.Cut(rest, `"} `)
		n, err := strconv.ParseFloat(value, 64)
		if err != nil {
			t.Fatal(err)
		}
		out[result] = n
	}
	return out
}

// TestFastReadsRepeatedQueries asks the same query text again and again,
// as a frontend does. A query that declares no variable is planned once and
// its plans reused (graph/fastpath.go, planCache): every answer, one after
// the other and side by side, must still be gqlgen's, and a query the fast
// path declines or hands to gqlgen must stay so. A query with variables
// is planned per request: the same text with other variables must follow
// them.
func TestFastReadsRepeatedQueries(t *testing.T) {
	c := newCatalogClient(t, "fastrepeat")
	ids := seedEveryType(t, c)
	gqlgen := newTestServer(t, func(cfg *config) { cfg.GqlgenOnly = true })
	post := func(s *testServer, query string, vars map[string]any) response {
		t.Helper()
		body, err := json.Marshal(map[string]any{"query": query, "variables": vars})
		if err != nil {
			t.Fatal(err)
		}
		return s.do(t, "POST", "/graphql", map[string]string{"Api-Key": c.key}, string(body))
	}
	cases := []struct {
		name, query string
		want        string // answered, declined or rerun
	}{
		{"a page of every type", `{ entities(first: 50) { totalCount items { __typename name ... on Service { lifecycle } ... on Resource { provider } } } }`, "answered"},
		{"relations", `{ entity(id: "` + ids["holder"] + `") { ... on Service { environments(first: 1) { items { name resources { items { name } } } } } } }`, "answered"},
		{"literal skip and include", `{ entities(first: 2) { items { name @include(if: false) id @skip(if: true) type } } }`, "answered"},
		{"a field it lacks", `{ viewer { name } entities { totalCount } }`, "declined"},
		{"a resolver error", `{ entities(first: -1) { totalCount } }`, "rerun"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := post(gqlgen, tc.query, nil)
			before := fastReadCounts(t, c)
			const repeats = 3
			for range repeats {
				if got := post(c.srv, tc.query, nil); got.status != want.status || !bytes.Equal(got.body, want.body) {
					t.Fatalf("fast path: %d %s\ngqlgen:    %d %s", got.status, got.body, want.status, want.body)
				}
			}
			if d := fastReadCounts(t, c)[tc.want] - before[tc.want]; d != repeats {
				t.Errorf("fast reads %q went up by %v, want %d", tc.want, d, repeats)
			}
			// Side by side: requests sharing the plans at once.
			body, _ := json.Marshal(map[string]any{"query": tc.query})
			var wg sync.WaitGroup
			bodies := make([][]byte, 8)
			errs := make([]error, len(bodies))
			for i := range bodies {
				wg.Go(func() {
					req, _ := http.NewRequest("POST", c.srv.url+"/graphql", bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Api-Key", c.key)
					res, err := http.DefaultClient.Do(req)
					if err != nil {
						errs[i] = err
						return
					}
					defer res.Body.Close()
					bodies[i], errs[i] = io.ReadAll(res.Body)
				})
			}
			wg.Wait()
			for i, b := range bodies {
				if errs[i] != nil || !bytes.Equal(b, want.body) {
					t.Errorf("side by side %d: %v %s\ngqlgen: %s", i, errs[i], b, want.body)
				}
			}
		})
	}
	t.Run("variables", func(t *testing.T) {
		query := `query Q($with: Boolean!, $n: Int) { entities(first: $n) { items { name tags @include(if: $with) } } }`
		for _, vars := range []map[string]any{{"with": true, "n": 2}, {"with": false, "n": 3}, {"with": true, "n": 1}} {
			got, want := post(c.srv, query, vars), post(gqlgen, query, vars)
			if got.status != want.status || !bytes.Equal(got.body, want.body) {
				t.Fatalf("%v: fast path %d %s\ngqlgen %d %s", vars, got.status, got.body, want.status, want.body)
			}
			if with := bytes.Contains(got.body, []byte(`"tags"`)); with != vars["with"] {
				t.Errorf("%v: tags in the answer = %v: %s", vars, with, got.body)
			}
		}
	})
}
