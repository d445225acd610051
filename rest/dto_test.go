package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	gojson "github.com/goccy/go-json"

	"cartograph/cartograph"
	"cartograph/db"
)

// mapJSON is the DTO as a map, as the handlers built it before the DTO was
// written directly (with fieldValue): encoded, it is what appendEntity must
// write.
func mapJSON(e *cartograph.Entity, parents []cartograph.Parent) map[string]any {
	if parents == nil {
		parents = []cartograph.Parent{}
	}
	out := map[string]any{
		"id": e.ID, "name": e.Name, "orgId": e.OrgID, "type": e.Type, "description": e.Description,
		"tags": e.Tags, "metaTags": e.MetaTags, "links": e.Links, "parents": parents,
		"createdBy": e.CreatedBy, "lastChangedBy": e.LastChangedBy,
		"createDateTime": catalogTime(e.CreatedAt), "lastChangedDateTime": catalogTime(e.UpdatedAt),
		"permissions": e.Permissions, "generalAccess": e.GeneralAccess, "origin": e.Origin,
	}
	for _, fd := range cartograph.TypeFields[e.Type] {
		if fd.Output {
			out[fd.Name] = mapFieldValue(e, fd)
		}
	}
	return out
}

// mapFieldValue returns a type-specific field for output, with the zero value of
// its kind when unset.
func mapFieldValue(e *cartograph.Entity, fd cartograph.FieldSpec) any {
	switch fd.Column {
	case "provider":
		return e.Provider
	case "provider_type":
		return e.ProviderType
	case "provider_resource_key":
		return e.ProviderResourceKey
	case "provider_resource_type":
		return e.ProviderResourceType
	case "provider_account_id":
		return e.ProviderAccountID
	case "location":
		return e.Location
	}
	if fd.Name == "packageName" {
		return e.Name
	}
	if raw, ok := e.Attrs[fd.Name]; ok {
		return raw
	}
	switch fd.Kind {
	case cartograph.KindStrings, cartograph.KindObjects, cartograph.KindUUIDs:
		return []any{}
	case cartograph.KindObject:
		return map[string]any{}
	case cartograph.KindBool:
		return false
	case cartograph.KindNumber:
		return 0
	}
	return ""
}

// entityMap is mapJSON with the cost columns the query builder added and
// the includeProperties projection the search applied.
func entityMap(e *cartograph.Entity, parents []cartograph.Parent, costs *db.CostColumns, include []string) map[string]any {
	out := mapJSON(e, parents)
	if costs != nil {
		out["accruedCosts"] = json.Number(costs.Accrued)
		out["priorPeriodCosts"] = json.Number(costs.Prior)
		out["changeCosts"] = json.Number(costs.Change)
	}
	if include != nil {
		kept := map[string]any{"id": out["id"], "type": out["type"]}
		for _, name := range include {
			if v, ok := out[name]; ok {
				kept[name] = v
			}
		}
		out = kept
	}
	return out
}

func encode(t *testing.T, v any) string {
	t.Helper()
	var b bytes.Buffer
	if err := gojson.NewEncoder(&b).Encode(v); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestEntityDTO compares the written DTO with the encoded map for every
// type, with strings that need escaping, stored JSON with spaces, absent and
// empty lists, cost columns and includeProperties.
func TestEntityDTO(t *testing.T) {
	// Each needs escaping (or not) on its own.
	singles := []string{"<", ">", "&", `"`, `\`, "\x00", "\x1f", " ", "\x7f", "é", "\u2028", "\u2029", "\xff", "\xe2\x80"}
	tricky := "<a href=\"x\">&amp;</a>\\ \n\t\b\f\x01\x1f é 中 \u2028\u2029 \xff end"
	full := func(typ cartograph.EntityType) *cartograph.Entity {
		return &cartograph.Entity{
			ID: "0b6f3c3e-8d0a-4a53-9d7e-1f2d3c4b5a69", OrgID: "org<1>", Type: typ, Name: "svc " + tricky,
			Description: tricky, Tags: append([]string{"a", tricky, ""}, singles...),
			MetaTags: []cartograph.MetaTag{
				{Name: "tier", Value: json.RawMessage(`"1"`), Type: "Text"},
				{Name: tricky, Value: json.RawMessage(`{"b": [1, 2.50, "<x> \u2028"], "a": {"c": null}}`), Type: "JSON", CreatedBy: "me"},
				{Name: "empty"},
				{Name: "spaced", Value: json.RawMessage("{\"k\" :\t\"a b  c\\\" d \\\\ \" , \"l\": [ \"<\u2028>\u2029&\", \"\\u2028\" ] }\n"), Type: "JSON"},
				{Name: "scalar", Value: json.RawMessage(` 12.50 `), Type: "JSON"},
			},
			Links:         []cartograph.Link{{URL: "https://x.example/?a=1&b=<2>", Title: tricky, Icon: ""}},
			Permissions:   json.RawMessage(`{"owners": ["a", "b"], "note": "&"}`),
			GeneralAccess: []string{},
			Origin:        cartograph.OriginDiscovery,
			CreatedBy:     "key:ci", LastChangedBy: tricky,
			CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 678900000, time.FixedZone("x", 3600)),
			UpdatedAt: time.Date(2026, 12, 31, 23, 59, 59, 999999999, time.UTC),
			Provider:  "AWS", ProviderType: "cloud", ProviderResourceKey: tricky, ProviderResourceType: "ec2",
			ProviderAccountID: "123", Location: "eu-west-1",
			Attrs: map[string]json.RawMessage{
				"details":   json.RawMessage(`{"z": 1, "a": "<b>", "nested": {"list": [true, false, null]}}`),
				"languages": json.RawMessage(`["Go", "TypeScript"]`), "lifecycle": json.RawMessage(`"production"`),
				"url": json.RawMessage(`"https://git.example/<r>"`), "totalDependencies": json.RawMessage(`12.50`),
				"isActive": json.RawMessage(`true`), "packageManager": json.RawMessage(`"GO"`),
				"contributors": json.RawMessage(`[{"name": "x", "commits": 3}]`), "release": json.RawMessage(`{}`),
			},
		}
	}
	bare := func(typ cartograph.EntityType) *cartograph.Entity {
		return &cartograph.Entity{ID: "id", Type: typ, Name: "plain", CreatedAt: time.Unix(0, 0), UpdatedAt: time.Unix(1, 0)}
	}
	parents := []cartograph.Parent{{ID: "p1"}, {ID: "p2", Label: "child_of", SecondaryID: "s<2>", Field: "f"}}
	costs := &db.CostColumns{Accrued: "12.5000", Prior: "0", Change: "-3.25"}
	for _, typ := range cartograph.EntityTypes {
		for _, tc := range []struct {
			name    string
			e       *cartograph.Entity
			parents []cartograph.Parent
			costs   *db.CostColumns
			include []string
		}{
			{"full", full(typ), parents, nil, nil},
			{"bare", bare(typ), nil, nil, nil},
			{"costs", full(typ), nil, costs, nil},
			{"include", full(typ), parents, nil, []string{"name", "parents", "details", "languages", "unknown", "type"}},
			{"include nothing", bare(typ), nil, costs, []string{}},
			{"include costs", bare(typ), nil, costs, []string{"accruedCosts", "tags"}},
		} {
			t.Run(string(typ)+"/"+tc.name, func(t *testing.T) {
				want := encode(t, entityMap(tc.e, tc.parents, tc.costs, tc.include))
				got := string(appendEntity(nil, &entityDTO{e: tc.e, parents: tc.parents, costs: tc.costs}, tc.include)) + "\n"
				if got != want {
					t.Errorf("written:\n%s\nencoded map:\n%s", got, want)
				}
			})
		}
	}
}

// TestPageBody compares a written page, with entity and cost rows, with the
// encoded map form.
func TestPageBody(t *testing.T) {
	es := []*cartograph.Entity{
		{ID: "a", Type: cartograph.Service, Name: "a&b", Tags: []string{"x"}},
		{ID: "b", Type: cartograph.Resource, Name: "b", Attrs: map[string]json.RawMessage{"details": json.RawMessage(`{"k": "v"}`)}},
	}
	cost := &cartograph.Cost{ResourceID: "r<1>", Date: "2026-01-31", Operation: "TOTAL", Cost: "1.2345", ARN: ""}
	for _, tc := range []struct {
		name  string
		n     int
		item  func(b []byte, i int) []byte
		items []any
	}{
		{"empty", 0, nil, []any{}},
		{"entities", 2, func(b []byte, i int) []byte { return appendEntity(b, &entityDTO{e: es[i]}, nil) },
			[]any{entityMap(es[0], nil, nil, nil), entityMap(es[1], nil, nil, nil)}},
		{"cost rows", 1, func(b []byte, _ int) []byte { return appendCostRow(b, cost) },
			[]any{map[string]any{"catalogResourceId": cost.ResourceID, "date": cost.Date, "operation": cost.Operation,
				"cost": json.Number(cost.Cost), "arn": cost.ARN}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := encode(t, map[string]any{"totalFound": 1234, "pageNumber": 3, "pageSize": 50, "items": tc.items})
			if got := string(appendPage(nil, tc.n, 3, 50, 1234, tc.item)); got != want {
				t.Errorf("written:\n%s\nencoded map:\n%s", got, want)
			}
		})
	}
	if raw := entityJSON(es[0], nil); !json.Valid(raw) || !slices.Contains([]string{encode(t, entityMap(es[0], nil, nil, nil))}, string(raw)+"\n") {
		t.Errorf("entityJSON = %s", raw)
	}
}

// BenchmarkEntityPage writes a query-builder page of 50 services, as the
// handlers do now (written) and as they did (an encoded map per entity).
func BenchmarkEntityPage(b *testing.B) {
	es := make([]*cartograph.Entity, 50)
	for i := range es {
		es[i] = &cartograph.Entity{ID: "0b6f3c3e-8d0a-4a53-9d7e-1f2d3c4b5a69", OrgID: "bench", Type: cartograph.Service,
			Name: "accounts-adapter", Description: "Adapts accounts for the ledger", Tags: []string{"backend", "grpc", "team-ledger"},
			MetaTags: []cartograph.MetaTag{{Name: "tier", Value: json.RawMessage(`"1"`), Type: "Text"},
				{Name: "owner", Value: json.RawMessage(`"shipping-core"`), Type: "Nickname"},
				{Name: "runbook", Value: json.RawMessage(`"https://wiki.acme.example/runbooks/accounts-adapter"`), Type: "Link"}},
			Links:       []cartograph.Link{{URL: "https://grafana.acme.example/d/accounts", Title: "Dashboard", Icon: "grafana"}},
			Permissions: json.RawMessage(`{}`), GeneralAccess: []string{}, Origin: cartograph.OriginManual,
			CreatedBy: "import", LastChangedBy: "import", CreatedAt: time.Now(), UpdatedAt: time.Now(),
			Attrs: map[string]json.RawMessage{"languages": json.RawMessage(`["Go", "SQL"]`), "lifecycle": json.RawMessage(`"production"`)}}
	}
	costs := &db.CostColumns{Accrued: "1234.5600", Prior: "1000.0000", Change: "234.5600"}
	b.Run("written", func(b *testing.B) {
		b.ReportAllocs()
		var page []byte // the handlers' pooled buffer (writePage)
		for b.Loop() {
			page = appendPage(page[:0], len(es), 0, 50, 10000, func(buf []byte, i int) []byte {
				return appendEntity(buf, &entityDTO{e: es[i], costs: costs}, nil)
			})
		}
	})
	b.Run("map", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			items := make([]map[string]any, len(es))
			for i, e := range es {
				items[i] = entityMap(e, nil, costs, nil)
			}
			var buf bytes.Buffer
			_ = gojson.NewEncoder(&buf).Encode(map[string]any{"totalFound": 10000, "pageNumber": 0, "pageSize": 50, "items": items})
		}
	})
}

// TestWritePage answers pages through a pool that holds a used buffer: each
// answer is exactly its own page, whatever the buffer held before.
func TestWritePage(t *testing.T) {
	item := func(s string) func([]byte, int) []byte {
		return func(b []byte, _ int) []byte { return appendString(b, s) }
	}
	for _, tc := range []struct {
		name string
		n    int
		s    string
	}{{"long", 40, strings.Repeat("x", 2000)}, {"short after long", 1, "short"}, {"empty", 0, ""}} {
		t.Run(tc.name, func(t *testing.T) {
			used := []byte(strings.Repeat("#", 4096))
			pageBuffers.Put(&used)
			rec := httptest.NewRecorder()
			writePage(rec, tc.n, 2, 50, 99, item(tc.s))
			want := string(appendPage(nil, tc.n, 2, 50, 99, item(tc.s)))
			if got := rec.Body.String(); rec.Code != http.StatusOK || got != want {
				t.Fatalf("status %d, body %.80q…, want %.80q…", rec.Code, got, want)
			}
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(want)) {
				t.Errorf("Content-Length %s, want %d", cl, len(want))
			}
		})
	}
}
