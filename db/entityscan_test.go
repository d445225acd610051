package db_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"

	"cartograph/cartograph"
	"cartograph/db/dbtest"
)

// TestEntityRowsRoundTrip writes entities whose arrays and JSON need quoting
// in PostgreSQL's text forms and reads them back through every path that
// scans entity rows (a page, with all parts and with a few, a relation hop,
// a single read): each must give back what was written.
func TestEntityRowsRoundTrip(t *testing.T) {
	ctx := dbtest.As(context.Background(), uniqueOrg("scan"), cartograph.ScopeWrite, cartograph.RoleUser)
	tags := []string{"a b", "c,d", `say "hi"`, `back\slash`, "", "NULL", "{x}", "ünï", "<&>"}
	fields := map[string]json.RawMessage{}
	for k, v := range map[string]any{
		"name": "scan-holder", "tags": tags, "generalAccess": []string{"read", "inherit"},
		"metaTags":       []map[string]any{{"name": "n", "value": map[string]any{"x": []any{1, "two", nil}}, "type": "JSON"}},
		"links":          []map[string]any{{"url": "https://e.com/?a=1&b=2", "title": "t \"q\"", "icon": ""}},
		"permissions":    map[string]any{"owner": "ünï"},
		"lifecycle":      "production",
		"repositoryPath": `C:\repo`,
	} {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		fields[k] = b
	}
	holder, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Service, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	fields["name"] = json.RawMessage(`"scan-dependency"`)
	dep, err := testDB.Entities.Create(ctx, cartograph.EntityInput{Type: cartograph.Service, Fields: fields})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := testDB.Relations.Create(ctx, cartograph.Relation{SourceID: holder.ID, TargetID: dep.ID, Label: "depends_on"}); err != nil {
		t.Fatal(err)
	}
	want := func(t *testing.T, got *cartograph.Entity, of *cartograph.Entity, parts cartograph.EntityParts) {
		t.Helper()
		if got.ID != of.ID || got.OrgID != of.OrgID || got.Type != of.Type || got.Name != of.Name {
			t.Fatalf("read %s %s %s %q, wrote %s %s %s %q", got.ID, got.OrgID, got.Type, got.Name, of.ID, of.OrgID, of.Type, of.Name)
		}
		if !parts.Has(cartograph.AllParts) {
			if !reflect.DeepEqual(got.Tags, of.Tags) {
				t.Errorf("tags %q, wrote %q", got.Tags, of.Tags)
			}
			return
		}
		if !reflect.DeepEqual(got, of) {
			t.Errorf("read  %+v\nwrote %+v", got, of)
		}
	}
	if !reflect.DeepEqual(holder.Tags, tags) {
		t.Fatalf("created with tags %q, want %q", holder.Tags, tags)
	}
	for _, parts := range []cartograph.EntityParts{cartograph.AllParts, cartograph.PartCore | cartograph.PartTags} {
		page, _, err := testDB.Entities.Search(ctx, cartograph.EntityQuery{Types: []cartograph.EntityType{cartograph.Service},
			Page: cartograph.Page{Limit: 10}, Parts: parts})
		if err != nil || len(page) != 2 {
			t.Fatalf("page: %d entities, %v", len(page), err)
		}
		want(t, page[1], holder, parts) // scan-dependency sorts first
		hop := cartograph.RelationPaths[cartograph.Service]["dependencies"]
		found, err := testDB.Relations.Neighbors(ctx, []string{holder.ID}, hop, cartograph.Page{Limit: 10}, nil, parts)
		if err != nil || len(found[holder.ID]) != 1 {
			t.Fatalf("neighbours: %v, %v", found, err)
		}
		want(t, found[holder.ID][0], dep, parts)
	}
	got, err := testDB.Entities.Get(ctx, dep.ID)
	if err != nil {
		t.Fatal(err)
	}
	want(t, got, dep, cartograph.AllParts)
}
