package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"cartograph/cartograph"
	"cartograph/graph/model"
)

// TestFieldsReadAlone checks the column projection: a query reads only the
// columns its selection shows, so each field asked alone, at the root and
// through relation fields, must answer what it answers among all fields.
// A field mapped to the wrong columns comes back empty here.
func TestFieldsReadAlone(t *testing.T) {
	c := newCatalogClient(t, "parts")
	common := `"description":"described","tags":["t1","t2"],"metaTags":[{"name":"tier","value":"1","type":"Text"}],` +
		`"links":[{"url":"https://example.com","title":"home","icon":"web"}],`
	ids := map[string]string{}
	for _, tc := range entityCases {
		ids[tc.typ] = c.create(t, tc.typ, "{"+common+tc.create[1:])["id"].(string)
	}
	holder := c.create(t, "service", `{"name":"holder"}`)["id"].(string)
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: c.org, KeyName: "seed", Scope: cartograph.ScopeWrite})
	for _, r := range []cartograph.Relation{
		{SourceID: holder, TargetID: ids["environment"], Label: "has_environment"},
		{SourceID: ids["environment"], TargetID: ids["resource"], Label: "contains"},
	} {
		if _, err := testDB.Relations.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}

	for _, tc := range entityCases {
		typ := model.TypeName(cartograph.EntityType(tc.typ))
		sels := leafSelections(t, c, typ)
		// wrap puts a selection where the entity of this type is found.
		wrap := func(sel string) string {
			return fmt.Sprintf(`{ entities(types: [%s], first: 1) { items { ... on %s { %s } } } }`, strings.ToUpper(tc.typ), typ, sel)
		}
		path := []string{"entities", "items"}
		switch tc.typ {
		case "environment", "resource":
			// Through the relation loaders instead of the search.
			inner := "environments(first: 1) { items { %s } }"
			path = append(path, "environments", "items")
			if tc.typ == "resource" {
				inner = "environments(first: 1) { items { resources(first: 1) { items { %s } } } }"
				path = append(path, "resources", "items")
			}
			wrap = func(sel string) string {
				return fmt.Sprintf(`{ entities(types: [SERVICE], first: 1, where: {field: "name", eq: "holder"}) { items {
					... on Service { `+inner+` } } } }`, "... on "+typ+" { "+sel+" }")
			}
		}
		t.Run(tc.typ, func(t *testing.T) {
			all := firstItem(t, c, wrap(strings.Join(sels, " ")), path)
			for _, f := range []string{"id", "description", "tags", "metaTags", "links", "createdAt", "origin", "createdBy"} {
				if v := string(all[f]); v == "" || v == `""` || v == "[]" || v == "null" {
					t.Fatalf("%s is empty among all fields (%s): some field reads the wrong columns, or the fixture left it empty", f, v)
				}
			}
			for k := range tc.want {
				if _, ok := all[k]; !ok {
					t.Fatalf("%s missing among all fields", k)
				}
			}
			for _, sel := range sels {
				name, _, _ := strings.Cut(sel, " ")
				one := firstItem(t, c, wrap(sel), path)
				if string(one[name]) != string(all[name]) {
					t.Errorf("%s alone = %s, among all fields = %s", name, one[name], all[name])
				}
			}
		})
	}
}

// leafSelections lists a selection for every argument-free field of a
// GraphQL type: the field, or for an object field the field with its leaf
// subfields.
func leafSelections(t *testing.T, c *catalogClient, typ string) []string {
	t.Helper()
	type typeRef struct {
		Kind, Name string
		OfType     *typeRef
	}
	base := func(r typeRef) typeRef {
		for r.OfType != nil {
			r = *r.OfType
		}
		return r
	}
	type field struct {
		Name string
		Args []struct{ Name string }
		Type typeRef
	}
	fields := func(name string) []field {
		var out struct {
			Type struct{ Fields []field } `json:"__type"`
		}
		c.gqlData(t, fmt.Sprintf(`{ __type(name: %q) { fields { name args { name }
			type { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }`, name), &out)
		return out.Type.Fields
	}
	var sels []string
	for _, f := range fields(typ) {
		if len(f.Args) > 0 {
			continue
		}
		b := base(f.Type)
		switch b.Kind {
		case "SCALAR", "ENUM":
			sels = append(sels, f.Name)
		case "OBJECT":
			var sub []string
			for _, g := range fields(b.Name) {
				if k := base(g.Type).Kind; len(g.Args) == 0 && (k == "SCALAR" || k == "ENUM") {
					sub = append(sub, g.Name)
				}
			}
			if len(sub) > 0 {
				sels = append(sels, f.Name+" { "+strings.Join(sub, " ")+" }")
			}
		}
	}
	if len(sels) < 15 {
		t.Fatalf("%s has %d selectable fields: %v", typ, len(sels), sels)
	}
	return sels
}

// firstItem runs query and follows path (objects, and lists by their first
// element) to the first entity, returned field by field.
func firstItem(t *testing.T, c *catalogClient, query string, path []string) map[string]json.RawMessage {
	t.Helper()
	var data json.RawMessage
	c.gqlData(t, query, &data)
	for _, key := range path {
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			t.Fatalf("at %s: %v in %s", key, err, data)
		}
		data = obj[key]
		var list []json.RawMessage
		if json.Unmarshal(data, &list) == nil {
			if len(list) == 0 {
				t.Fatalf("%s is empty: %s", key, query)
			}
			data = list[0]
		}
	}
	var item map[string]json.RawMessage
	if err := json.Unmarshal(data, &item); err != nil {
		t.Fatal(err)
	}
	return item
}
