package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"cartograph/cartograph"
)

// seedGraph creates n services in org, each depending on the next two, each
// with two environments of three resources, directly through db.
func seedGraph(t testing.TB, org string, n int) {
	t.Helper()
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: org, KeyName: "seed", Scope: cartograph.ScopeWrite})
	mk := func(typ cartograph.EntityType, fields string) string {
		var m map[string]json.RawMessage
		if err := json.Unmarshal([]byte(fields), &m); err != nil {
			t.Fatal(err)
		}
		e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: typ, Fields: m})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	rel := func(src, label, dst string) {
		if _, err := testDB.Relations.Create(ctx, cartograph.Relation{SourceID: src, TargetID: dst, Label: label}); err != nil {
			t.Fatal(err)
		}
	}
	services := make([]string, n)
	for i := range n {
		services[i] = mk(cartograph.Service, fmt.Sprintf(`{"name":"svc-%03d"}`, i))
		for _, stage := range []string{"dev", "prod"} {
			env := mk(cartograph.Environment, fmt.Sprintf(`{"name":"svc-%03d-%s"}`, i, stage))
			rel(services[i], "has_environment", env)
			for r := range 3 {
				res := mk(cartograph.Resource, fmt.Sprintf(`{"name":"r-%03d-%s-%d","provider":"AWS","providerResourceKey":"k-%03d-%s-%d","providerResourceType":"AWS:EC2:Instance"}`, i, stage, r, i, stage, r))
				rel(env, "contains", res)
			}
		}
	}
	for i := range n {
		for d := 1; d <= 2 && i+d < n; d++ {
			rel(services[i], "depends_on", services[i+d])
		}
	}
}

// TestGraphQueryStatementCount: the three-level query "services →
// dependencies → environments → resources" issues the same number of SQL
// statements for 2 services as for 200.
func TestGraphQueryStatementCount(t *testing.T) {
	const query = `{ entities(types: [SERVICE], first: 200) { items { name ... on Service {
		dependencies(first: 3) { totalCount items { name } }
		environments(first: 2) { items { name resources(first: 5) { items { name provider } } } } } } } }`
	counts := map[int]int64{}
	for _, n := range []int{2, 200} {
		org := uniqueOrg(fmt.Sprintf("graph-%d", n))
		seedGraph(t, org, n)
		k := key(t, "reader", org, cartograph.ScopeRead, cartograph.RoleUser)
		run := func() (int64, string) { return countStatements(t, k, query) }
		run() // the first use of a key also records its last-used time
		got, body := run()
		if strings.Contains(body, `"errors"`) || strings.Count(body, `"provider":"AWS"`) != 6*n {
			t.Fatalf("%d services: unexpected answer %.300s", n, body)
		}
		counts[n] = got
	}
	if counts[2] != counts[200] {
		t.Errorf("statements: %d for 2 services, %d for 200; want the same", counts[2], counts[200])
	}
	// key lookup, services, dependencies, their counts, environments, resources
	if counts[200] != 6 {
		t.Errorf("statements = %d, want 6", counts[200])
	}
	t.Logf("statements per request: %d (2 services), %d (200 services)", counts[2], counts[200])
}

func TestRelationsREST(t *testing.T) {
	c := newCatalogClient(t, "relations")
	svc := c.create(t, "service", `{"name":"api"}`)["id"].(string)
	dep := c.create(t, "service", `{"name":"db-svc"}`)["id"].(string)
	env := c.create(t, "environment", `{"name":"api-prod"}`)["id"].(string)
	sys := c.create(t, "system", `{"name":"core"}`)["id"].(string)
	res := c.create(t, "resource", `{"name":"vm","provider":"AWS","providerResourceKey":"vm1","providerResourceType":"AWS:EC2:Instance"}`)["id"].(string)
	const path = "/public/v1/catalog/relations"
	body := func(src, label, dst string) string {
		return fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":%q}`, src, dst, label)
	}
	created := c.must(t, http.StatusCreated, "POST", path, body(svc, "depends_on", dep)).json(t)
	if created["sourceEntityId"] != svc || created["label"] != "depends_on" || created["field"] != "" {
		t.Errorf("created = %v", created)
	}
	c.must(t, http.StatusCreated, "POST", path, body(svc, "has_environment", env))
	c.must(t, http.StatusCreated, "POST", path, fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"contains","serviceId":%q}`, env, res, svc))
	c.must(t, http.StatusCreated, "POST", path, fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"field":"owner-of"}`, sys, res))

	for _, tc := range []struct {
		name, body string
		status     int
	}{
		{"duplicate", body(svc, "depends_on", dep), 409},
		{"pair not allowed", body(svc, "contains", res), 422},
		{"label unknown", body(svc, "likes", dep), 400},
		{"no label, no field", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q}`, svc, dep), 400},
		{"unknown target", body(svc, "depends_on", "00000000-0000-4000-8000-000000000000"), 404},
		{"target not a UUID", body(svc, "depends_on", "nope"), 404},
		{"missing ids", `{"label":"depends_on"}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCatalogError(t, c.call(t, "POST", path, tc.body), tc.status, "")
		})
	}

	list := func(q string) map[string]any { return c.must(t, http.StatusOK, "GET", path+q, "").json(t) }
	if l := list("?sourceId=" + svc); l["totalFound"] != float64(2) {
		t.Errorf("relations from the service = %v", l)
	}
	if l := list("?sourceEntityId=" + svc + "&label=depends_on"); l["totalFound"] != float64(1) {
		t.Errorf("alias and label = %v", l)
	}
	if l := list("?targetEntityId=" + res); l["totalFound"] != float64(2) {
		t.Errorf("relations into the resource = %v", l)
	}
	if l := list("?sourceId=not-a-uuid"); l["totalFound"] != float64(0) || len(l["items"].([]any)) != 0 {
		t.Errorf("a non-UUID filter = %v, want an empty page", l)
	}
	if l := list("?pageSize=1&pageNumber=1"); l["totalFound"] != float64(4) || len(l["items"].([]any)) != 1 {
		t.Errorf("paging = %v", l)
	}

	// The entity's parents show the contains relation with its service id.
	e := c.must(t, http.StatusOK, "GET", "/public/v1/catalog/entities/"+res, "").json(t)
	if !strings.Contains(fmt.Sprint(e["parents"]), svc) {
		t.Errorf("parents = %v, want the environment with secondaryId %s", e["parents"], svc)
	}

	c.must(t, http.StatusOK, "DELETE", path, fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q}`, svc, dep))
	wantCatalogError(t, c.call(t, "DELETE", path, fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q}`, svc, dep)), 404, "")

	// Deleting an entity deletes its relations.
	c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+env, "")
	if l := list("?targetId=" + res); l["totalFound"] != float64(1) {
		t.Errorf("after deleting the environment, relations into the resource = %v", l)
	}

	// Another org sees none of it and cannot relate to it.
	other := newCatalogClient(t, "relations-other")
	if l := other.must(t, http.StatusOK, "GET", path+"?sourceId="+svc, "").json(t); l["totalFound"] != float64(0) {
		t.Errorf("another org lists %v", l)
	}
	mine := other.create(t, "service", `{"name":"x"}`)["id"].(string)
	wantCatalogError(t, other.call(t, "POST", path, body(mine, "depends_on", svc)), 404, "")
}

func TestRelationsBetweenDiscoveredEntities(t *testing.T) {
	c := newCatalogClient(t, "rel-discovery")
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: c.org, KeyName: "agent", Scope: cartograph.ScopeWrite})
	mk := func(key string) string {
		e, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Resource, Origin: cartograph.OriginDiscovery,
			Fields: map[string]json.RawMessage{"name": json.RawMessage(`"` + key + `"`), "provider": json.RawMessage(`"K8s"`),
				"providerResourceKey": json.RawMessage(`"` + key + `"`), "providerResourceType": json.RawMessage(`"K8s:Pod"`)}})
		if err != nil {
			t.Fatal(err)
		}
		return e.ID
	}
	a, b := mk("pod-a"), mk("pod-b")
	manual := c.create(t, "resource", `{"name":"m","provider":"K8s","providerResourceKey":"m","providerResourceType":"K8s:Node"}`)["id"].(string)
	const path = "/public/v1/catalog/relations"
	wantCatalogError(t, c.call(t, "POST", path, fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"uses"}`, a, b)), 422, "")
	c.must(t, http.StatusCreated, "POST", path, fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"child_of"}`, a, manual))
	// A discovered entity's own parents[] are exempt: pod-c child_of pod-a.
	c2, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Resource, Origin: cartograph.OriginDiscovery,
		Fields: map[string]json.RawMessage{"name": json.RawMessage(`"pod-c"`), "provider": json.RawMessage(`"K8s"`),
			"providerResourceKey": json.RawMessage(`"pod-c"`), "providerResourceType": json.RawMessage(`"K8s:Pod"`),
			"parents": json.RawMessage(`[{"id":"` + a + `"}]`)}})
	if err != nil {
		t.Fatalf("a discovered entity declaring its own parent: %v", err)
	}
	l := c.must(t, http.StatusOK, "GET", path+"?sourceId="+c2.ID+"&label=child_of", "").json(t)
	if l["totalFound"] != float64(1) {
		t.Errorf("child_of from pod-c = %v", l)
	}
	// But a PATCH of a discovered entity changes tags and meta tags only.
	_, err = testDB.Entities.Update(ctx, b, cartograph.EntityInput{Type: cartograph.Resource,
		Fields: map[string]json.RawMessage{"parents": json.RawMessage(`[{"id":"` + a + `"}]`)}})
	if cartograph.ErrorCode(err) != cartograph.Unprocessable {
		t.Errorf("PATCH parents of a discovered entity: %v, want UNPROCESSABLE", err)
	}
}

// TestNestedLevelsFollowTheirTargets: a nested level that shows only names
// and providers reads the copies each relation keeps of its target
// (migration 13); renaming a target shows at once, in the level's name
// order.
func TestNestedLevelsFollowTheirTargets(t *testing.T) {
	c := newCatalogClient(t, "targets")
	id := func(typ, body string) string { return c.create(t, typ, body)["id"].(string) }
	svc := id("service", `{"name":"ledger"}`)
	b, cdep := id("service", `{"name":"b-dep"}`), id("service", `{"name":"c-dep"}`)
	env := id("environment", `{"name":"prod"}`)
	m := id("resource", `{"name":"m-res","provider":"AWS","providerAccountId":"1","providerResourceKey":"m","providerResourceType":"rds"}`)
	n := id("resource", `{"name":"n-res","provider":"AWS","providerAccountId":"1","providerResourceKey":"n","providerResourceType":"rds"}`)
	c.relate(t, svc, "depends_on", b)
	c.relate(t, svc, "depends_on", cdep)
	c.relate(t, svc, "has_environment", env)
	c.relate(t, env, "contains", m)
	c.relate(t, env, "contains", n)

	query := fmt.Sprintf(`{ entity(id: %q) { ... on Service { dependencies(first: 5) { items { id name } }
		environments(first: 5) { items { name resources(first: 5) { items { id name provider } } } } } } }`, svc)
	type item struct{ ID, Name, Provider string }
	read := func() (deps, resources []item) {
		t.Helper()
		var out struct {
			Entity struct {
				Dependencies struct{ Items []item }
				Environments struct {
					Items []struct{ Resources struct{ Items []item } }
				}
			}
		}
		c.gqlData(t, query, &out)
		if len(out.Entity.Environments.Items) != 1 {
			t.Fatalf("environments: %+v", out.Entity.Environments)
		}
		return out.Entity.Dependencies.Items, out.Entity.Environments.Items[0].Resources.Items
	}
	want := func(what string, got, want []item) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s = %v, want %v", what, got, want)
		}
	}

	deps, resources := read()
	want("dependencies", deps, []item{{b, "b-dep", ""}, {cdep, "c-dep", ""}})
	want("resources", resources, []item{{m, "m-res", "AWS"}, {n, "n-res", "AWS"}})

	c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+cdep, `{"name":"a-dep"}`)
	c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/resource/"+n, `{"name":"l-res"}`)
	deps, resources = read()
	want("dependencies after a rename", deps, []item{{cdep, "a-dep", ""}, {b, "b-dep", ""}})
	want("resources after a rename", resources, []item{{n, "l-res", "AWS"}, {m, "m-res", "AWS"}})

	// Relation conditions on those fields read the same copies.
	for _, tc := range []struct{ where, want string }{
		{`{relation: "dependencies", some: {field: "name", eq: "a-dep"}}`, "[ledger]"},
		{`{relation: "dependencies", some: {field: "name", eq: "c-dep"}}`, "[]"},
		{`{relation: "environments", some: {relation: "resources", some: {and: [{field: "name", eq: "l-res"}, {field: "provider", eq: "AWS"}]}}}`, "[ledger]"},
		{`{relation: "environments", some: {relation: "resources", some: {field: "name", eq: "n-res"}}}`, "[]"},
	} {
		if got := fmt.Sprint(c.gqlWhere(t, tc.where)); got != tc.want {
			t.Errorf("services where %s = %s, want %s", tc.where, got, tc.want)
		}
	}

	// A target deleted takes its relation with it.
	c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+n, "")
	if _, resources = read(); len(resources) != 1 || resources[0].ID != m {
		t.Errorf("resources after a delete = %v, want m-res alone", resources)
	}
}
