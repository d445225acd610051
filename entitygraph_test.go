package main

import (
	"encoding/json"
	"fmt"
	"testing"
)

func TestEntitiesGraphQL(t *testing.T) {
	c := newCatalogClient(t, "gql-entities")
	var created struct {
		CreateService struct {
			ID, Name, Lifecycle string
			Languages           []string
			Type, Origin        string
			MetaTags            []struct {
				Name  string
				Value json.RawMessage
			}
		}
	}
	c.gqlData(t, `mutation { createService(input: {name: "ledger", lifecycle: "production", languages: ["Go"],
		metaTags: [{name: "tier", value: 1, type: "Text"}, {name: "cfg", value: {replicas: 3}, type: "JSON"}]}) {
		id name lifecycle languages type origin metaTags { name value } } }`, &created)
	s := created.CreateService
	if s.Name != "ledger" || s.Lifecycle != "production" || s.Type != "SERVICE" || s.Origin != "MANUAL" ||
		len(s.MetaTags) != 2 || string(s.MetaTags[1].Value) != `{"replicas":3}` {
		t.Fatalf("created = %+v", s)
	}
	// REST sees it, with the same fields.
	rest := c.must(t, 200, "GET", "/public/v1/catalog/entities/"+s.ID, "").json(t)
	if rest["lifecycle"] != "production" || fmt.Sprint(rest["languages"]) != "[Go]" {
		t.Errorf("REST view = %v", rest)
	}
	c.gqlData(t, `mutation { createResource(input: {name: "queue", provider: "AWS", providerResourceKey: "arn:sqs:1",
		providerResourceType: "AWS:SQS:Queue", details: {fifo: true}}) { id } }`, nil)
	c.gqlData(t, `mutation { createPerson(input: {name: "Grace", email: "grace@example.com"}) { id isActive } }`, nil)

	var page struct {
		Entities struct {
			TotalCount  int
			HasNextPage bool
			Items       []struct {
				Typename  string `json:"__typename"`
				Name      string
				Lifecycle *string
				Provider  *string
				Details   json.RawMessage
				Email     *string
			}
		}
	}
	c.gqlData(t, `{ entities(first: 2) { totalCount hasNextPage items { __typename name
		... on Service { lifecycle } ... on Resource { provider details } ... on Person { email } } } }`, &page)
	p := page.Entities
	if p.TotalCount != 3 || !p.HasNextPage || len(p.Items) != 2 || p.Items[0].Typename != "Person" || p.Items[1].Typename != "Service" {
		t.Fatalf("page = %+v", p)
	}
	if *p.Items[0].Email != "grace@example.com" || *p.Items[1].Lifecycle != "production" {
		t.Errorf("typed fields = %+v", p.Items)
	}
	c.gqlData(t, `{ entities(types: [RESOURCE], search: "QUE") { items { ... on Resource { provider details } } } }`, &page)
	if len(page.Entities.Items) != 1 || string(page.Entities.Items[0].Details) != `{"fifo":true}` {
		t.Errorf("resource search = %+v", page.Entities.Items)
	}

	var one struct {
		Entity *struct{ Name string }
	}
	c.gqlData(t, fmt.Sprintf(`{ entity(id: %q) { name } }`, s.ID), &one)
	if one.Entity == nil || one.Entity.Name != "ledger" {
		t.Errorf("entity(id) = %+v", one.Entity)
	}
	c.gqlData(t, `{ entity(id: "00000000-0000-4000-8000-000000000000") { name } }`, &one)
	if one.Entity != nil {
		t.Errorf("unknown id should be null: %+v", one.Entity)
	}

	for _, tc := range []struct{ name, query, code, field string }{
		{"bad email names the field", `mutation { createPerson(input: {name: "x", email: "nope"}) { id } }`, "BAD_USER_INPUT", "email"},
		{"duplicate", `mutation { createService(input: {name: "LEDGER"}) { id } }`, "CONFLICT", "name"},
		{"bad enum string", `mutation { createLibrary(input: {name: "l", provider: "GitHub", packageManager: "CARGO"}) { id } }`, "BAD_USER_INPUT", "packageManager"},
		{"nickname twice", `mutation { createTeam(input: {name: "t", metaTags: [{name: "n", value: "a", type: "Nickname"}, {name: "n", value: "b", type: "Nickname"}]}) { id } }`, "UNPROCESSABLE", "metaTags"},
		{"update unknown", `mutation { updateSystem(id: "00000000-0000-4000-8000-000000000000", input: {description: "x"}) { id } }`, "NOT_FOUND", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, field, _ := c.gqlError(t, tc.query)
			if code != tc.code || field != tc.field {
				t.Errorf("code %s field %q, want %s %q", code, field, tc.code, tc.field)
			}
		})
	}

	var upd struct {
		UpdateService struct{ Description, Lifecycle string }
	}
	c.gqlData(t, fmt.Sprintf(`mutation { updateService(id: %q, input: {description: "books"}) { description lifecycle } }`, s.ID), &upd)
	if upd.UpdateService.Description != "books" || upd.UpdateService.Lifecycle != "production" {
		t.Errorf("a patch changes only what it names: %+v", upd)
	}
	var mt struct {
		SetMetaTags struct{ MetaTags []struct{ Name string } }
	}
	c.gqlData(t, fmt.Sprintf(`mutation { setMetaTags(id: %q, metaTags: [{name: "owner", value: "x", type: "Nickname"}]) { metaTags { name } } }`, s.ID), &mt)
	if len(mt.SetMetaTags.MetaTags) != 1 {
		t.Errorf("setMetaTags = %+v", mt)
	}
	var del struct{ DeleteEntity bool }
	c.gqlData(t, fmt.Sprintf(`mutation { deleteEntity(id: %q) }`, s.ID), &del)
	if !del.DeleteEntity {
		t.Error("deleteEntity = false")
	}
	code, _, _ := c.gqlError(t, fmt.Sprintf(`mutation { deleteEntity(id: %q) }`, s.ID))
	if code != "NOT_FOUND" {
		t.Errorf("second delete: %s", code)
	}
}
