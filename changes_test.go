package main

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cartograph/cartograph"
)

type changeJSON struct {
	ID         string
	At         time.Time
	KeyName    string
	Operation  string
	ObjectType string
	ObjectID   string
	Kind       *string
	Refs       []string
	Before     map[string]any
	After      map[string]any
}

const changeFields = `id at keyName operation objectType objectId kind refs before after`

// since returns the org's events after cursor, oldest first.
func (c *catalogClient) since(t *testing.T, cursor string) []changeJSON {
	t.Helper()
	var out struct {
		Changes struct{ Items []changeJSON }
	}
	c.gqlData(t, fmt.Sprintf(`{ changes(after: %q, first: 1000) { items { %s } } }`, cursor, changeFields), &out)
	return out.Changes.Items
}

// cursor returns the newest event's id in the org ("" when none).
func (c *catalogClient) cursor(t *testing.T) string {
	t.Helper()
	var out struct {
		Changes struct{ Items []changeJSON }
	}
	c.gqlData(t, `{ changes(newestFirst: true, first: 1) { items { id } } }`, &out)
	if len(out.Changes.Items) == 0 {
		return ""
	}
	return out.Changes.Items[0].ID
}

// TestEveryWriteLogsOneEvent performs each kind of write and checks that it
// logged exactly the events it should, with the key's name and the changed
// fields' before and after values.
func TestEveryWriteLogsOneEvent(t *testing.T) {
	c := newCatalogClient(t, "changelog")
	admin := key(t, "changelog-admin", c.org, cartograph.ScopeWrite, cartograph.RoleAdmin)
	keyName := c.org + "-writer"
	svc := c.create(t, "service", `{"name":"ledger","description":"old"}`)["id"].(string)
	dep := c.create(t, "service", `{"name":"fx"}`)["id"].(string)
	res := c.create(t, "resource", `{"name":"db","provider":"aws","providerAccountId":"1","providerResourceKey":"k1","providerResourceType":"rds"}`)["id"].(string)
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"app"}`)
	c.must(t, http.StatusCreated, "POST", "/v1/configs/app", `{"key":"port"}`)

	type want struct {
		op, typ, object string
		before, after   map[string]any // fields that must have these values (JSON-decoded)
		absent          []string       // fields that must not appear in before or after
	}
	for _, tc := range []struct {
		name  string
		write func()
		want  []want
	}{
		{"create entity", func() { c.create(t, "service", `{"name":"billing","tags":["a"]}`) },
			[]want{{op: "create", typ: "ENTITY", after: map[string]any{"name": "billing", "tags": []any{"a"}, "type": "service"},
				absent: []string{"searchText", "orgId", "updatedAt"}}}},
		{"update entity", func() {
			c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+svc, `{"description":"new"}`)
		}, []want{{op: "update", typ: "ENTITY", object: svc, before: map[string]any{"description": "old"}, after: map[string]any{"description": "new"},
			absent: []string{"name", "lastChangedBy", "updatedAt"}}}},
		{"update type-specific field", func() {
			c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+svc, `{"lifecycle":"production"}`)
		}, []want{{op: "update", typ: "ENTITY", object: svc, before: map[string]any{"lifecycle": nil}, after: map[string]any{"lifecycle": "production"},
			absent: []string{"attrs", "description"}}}},
		{"meta tags", func() {
			c.must(t, http.StatusOK, "PUT", "/public/v1/catalog/metadata/"+svc, `{"metaTags":[{"name":"owner","value":"team-a","type":"Nickname"}]}`)
		}, []want{{op: "update", typ: "ENTITY", object: svc, before: map[string]any{"metaTags": []any{}}}}},
		{"create relation", func() {
			c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, svc, dep))
		}, []want{{op: "create", typ: "RELATION", after: map[string]any{"label": "depends_on", "sourceId": svc, "targetId": dep},
			absent: []string{"targetType", "targetName", "targetProvider"}}}},
		{"rename a relation's target: its relations' copies are no event", func() {
			c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+dep, `{"name":"fx-renamed"}`)
		}, []want{{op: "update", typ: "ENTITY", object: dep, before: map[string]any{"name": "fx"}, after: map[string]any{"name": "fx-renamed"}}}},
		{"delete relation", func() {
			c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, svc, dep))
		}, []want{{op: "delete", typ: "RELATION", before: map[string]any{"label": "depends_on", "sourceId": svc}}}},
		{"costs batch is one summary", func() {
			var rows []string
			for _, d := range []string{"2026-01-01", "2026-01-02", "2026-01-03"} {
				rows = append(rows, fmt.Sprintf(`{"catalogResourceId":%q,"date":%q,"operation":"TOTAL","cost":1.5}`, res, d))
			}
			c.must(t, http.StatusOK, "POST", "/public/v1/costs/batch", batchBody(rows...))
		}, []want{{op: "update", typ: "COSTS", after: map[string]any{"rows": 3.0, "resources": 1.0, "from": "2026-01-01", "to": "2026-01-03"}}}},
		{"domain", func() { c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"web"}`) },
			[]want{{op: "create", typ: "DOMAIN", after: map[string]any{"slug": "web"}}}},
		{"config version", func() {
			c.must(t, http.StatusCreated, "POST", "/v1/configs/app/port/versions", `{"value":8080}`)
		}, []want{{op: "create", typ: "CONFIG_VERSION", after: map[string]any{"version": 1.0, "value": 8080.0}, absent: []string{"lastVersion"}}}},
		{"delete config", func() { c.must(t, http.StatusNoContent, "DELETE", "/v1/configs/app/port", "") },
			[]want{{op: "delete", typ: "CONFIG", before: map[string]any{"key": "port"}}}},
		{"api key, never its hash", func() {
			res := c.srv.gql(t, admin, `mutation { createApiKey(input: {name: "robot", scope: READ, role: USER}) { secret } }`)
			if res.status != http.StatusOK || strings.Contains(string(res.body), "errors") {
				t.Fatalf("createApiKey: %s", res.body)
			}
		}, []want{{op: "create", typ: "KEY", after: map[string]any{"name": "robot", "scope": "read"}, absent: []string{"hash", "lastUsedAt"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cursor := c.cursor(t)
			tc.write()
			got := c.since(t, cursor)
			if len(got) != len(tc.want) {
				t.Fatalf("%d events, want %d: %+v", len(got), len(tc.want), got)
			}
			for i, w := range tc.want {
				g := got[i]
				if g.Operation != strings.ToUpper(w.op) || g.ObjectType != w.typ || (w.object != "" && g.ObjectID != w.object) {
					t.Errorf("event %s %s %s, want %s %s %s", g.Operation, g.ObjectType, g.ObjectID, w.op, w.typ, w.object)
				}
				if g.KeyName != keyName && (w.typ != "KEY" || g.KeyName != "changelog-admin") {
					t.Errorf("keyName = %q", g.KeyName)
				}
				for k, v := range w.before {
					if gv, ok := g.Before[k]; !ok || fmt.Sprint(gv) != fmt.Sprint(v) {
						t.Errorf("before[%s] = %v, want %v (before %v)", k, gv, v, g.Before)
					}
				}
				for k, v := range w.after {
					if gv, ok := g.After[k]; !ok || fmt.Sprint(gv) != fmt.Sprint(v) {
						t.Errorf("after[%s] = %v, want %v (after %v)", k, gv, v, g.After)
					}
				}
				for _, k := range w.absent {
					if _, ok := g.Before[k]; ok {
						t.Errorf("before has %s: %v", k, g.Before)
					}
					if _, ok := g.After[k]; ok {
						t.Errorf("after has %s: %v", k, g.After)
					}
				}
			}
		})
	}

	t.Run("delete entity: its event, and its relations' as they go", func(t *testing.T) {
		c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, svc, dep))
		cursor := c.cursor(t)
		c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+dep, "")
		var kinds []string
		for _, g := range c.since(t, cursor) {
			kinds = append(kinds, g.Operation+" "+g.ObjectType)
			if g.ObjectType == "ENTITY" && g.Before["name"] != "fx-renamed" { // as renamed above
				t.Errorf("a delete's before holds the whole entity: %v", g.Before)
			}
		}
		if strings.Join(kinds, ",") != "DELETE RELATION,DELETE ENTITY" && strings.Join(kinds, ",") != "DELETE ENTITY,DELETE RELATION" {
			t.Errorf("events %v, want the entity's delete and its relation's", kinds)
		}
	})
}

// TestFailedWritesLogNothing checks that refused and rolled-back writes leave
// no event, and that a batch logs only the items it wrote.
func TestFailedWritesLogNothing(t *testing.T) {
	c := newCatalogClient(t, "changelog-fail")
	c.create(t, "service", `{"name":"only"}`)
	cursor := c.cursor(t)
	c.call(t, "POST", "/public/v1/catalog/entities/service", `{"name":"only"}`)                      // duplicate: 409
	c.call(t, "POST", "/public/v1/catalog/entities/service", `{"name":""}`)                          // invalid: 400
	c.call(t, "POST", "/v1/configs/nowhere", `{"key":"k"}`)                                          // no domain: 404
	c.call(t, "POST", "/public/v1/catalog/relations", `{"sourceEntityId":"x","label":"depends_on"}`) // 400
	if got := c.since(t, cursor); len(got) != 0 {
		t.Fatalf("failed writes logged %+v", got)
	}
	res := c.must(t, http.StatusOK, "POST", "/public/v1/catalog/batch/entities/resource",
		batchBody(resourceItem("ok-1", ""), `{"name":"broken","providerResourceKey":"x","providerResourceType":"t"}`, resourceItem("ok-2", "")))
	if !strings.Contains(string(res.body), `"failures":1`) && !strings.Contains(string(res.body), `"failed"`) {
		t.Logf("batch answer: %s", res.body)
	}
	var names []string
	for _, g := range c.since(t, cursor) {
		names = append(names, fmt.Sprint(g.After["name"]))
	}
	if strings.Join(names, ",") != "ok-1,ok-2" {
		t.Errorf("batch events for %v, want ok-1 and ok-2 only", names)
	}
}

// TestHistoryAndAsOf follows one entity through its life: history lists its
// events and those of relations touching it; asOf shows it as it was.
func TestHistoryAndAsOf(t *testing.T) {
	c := newCatalogClient(t, "asof")
	before := time.Now().Add(-time.Second)
	id := c.create(t, "service", `{"name":"svc","description":"v1","tags":["x"]}`)["id"].(string)
	other := c.create(t, "service", `{"name":"other"}`)["id"].(string)
	time.Sleep(20 * time.Millisecond)
	t1 := time.Now()
	time.Sleep(20 * time.Millisecond)
	c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+id, `{"description":"v2","lifecycle":"beta"}`)
	c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, other, id))
	time.Sleep(20 * time.Millisecond)
	t2 := time.Now()
	time.Sleep(20 * time.Millisecond)
	c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+id, `{"description":"v3","tags":[]}`)

	var h struct {
		History struct {
			Items []changeJSON
		}
	}
	c.gqlData(t, fmt.Sprintf(`{ history(entityId: %q) { items { %s } } }`, id, changeFields), &h)
	var seen []string
	for _, g := range h.History.Items {
		seen = append(seen, g.Operation+" "+g.ObjectType)
	}
	if strings.Join(seen, ",") != "CREATE ENTITY,UPDATE ENTITY,CREATE RELATION,UPDATE ENTITY" {
		t.Errorf("history %v", seen)
	}

	var got struct {
		Entity struct {
			Description string
			At0, At1    *struct{ Description string }
			At2         *struct {
				Description, Lifecycle string
				Tags                   []string
			}
		}
	}
	q := fmt.Sprintf(`{ entity(id: %q) { description
		at0: asOf(time: %q) { description }
		at1: asOf(time: %q) { description }
		at2: asOf(time: %q) { description tags ... on Service { lifecycle } } } }`,
		id, before.Format(time.RFC3339Nano), t1.Format(time.RFC3339Nano), t2.Format(time.RFC3339Nano))
	c.gqlData(t, q, &got)
	e := got.Entity
	if e.At0 != nil {
		t.Errorf("before it was created, asOf = %+v, want null", e.At0)
	}
	if e.At1 == nil || e.At1.Description != "v1" {
		t.Errorf("asOf(t1) = %+v, want v1", e.At1)
	}
	if e.At2 == nil || e.At2.Description != "v2" || e.At2.Lifecycle != "beta" || len(e.At2.Tags) != 1 {
		t.Errorf("asOf(t2) = %+v, want v2, beta, tags [x]", e.At2)
	}
	if e.Description != "v3" {
		t.Errorf("now = %q", e.Description)
	}
}

// TestChangeFeedPagingAndIsolation pages the feed with cursors both ways,
// filters it, and checks that another org sees none of it.
func TestChangeFeedPagingAndIsolation(t *testing.T) {
	c := newCatalogClient(t, "feed")
	for i := range 5 {
		c.create(t, "service", fmt.Sprintf(`{"name":"s%d"}`, i))
	}
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"feed"}`)

	page := func(args string) (names []string, end string, more bool) {
		var out struct {
			Changes struct {
				Items       []changeJSON
				EndCursor   string
				HasNextPage bool
			}
		}
		c.gqlData(t, `{ changes(`+args+`) { items { `+changeFields+` } endCursor hasNextPage } }`, &out)
		for _, g := range out.Changes.Items {
			n := fmt.Sprint(g.After["name"])
			if g.ObjectType == "DOMAIN" {
				n = "domain"
			}
			names = append(names, n)
		}
		return names, out.Changes.EndCursor, out.Changes.HasNextPage
	}
	var all []string
	after := ""
	for range 10 {
		names, end, more := page(fmt.Sprintf(`first: 2, after: %q, where: {objectTypes: [ENTITY, DOMAIN]}`, after))
		all = append(all, names...)
		after = end
		if !more {
			break
		}
	}
	if strings.Join(all, ",") != "s0,s1,s2,s3,s4,domain" {
		t.Errorf("paged feed %v", all)
	}
	if names, _, _ := page(`first: 2, newestFirst: true`); strings.Join(names, ",") != "domain,s4" {
		t.Errorf("newest first %v", names)
	}
	if names, _, _ := page(`where: {objectTypes: [DOMAIN]}`); strings.Join(names, ",") != "domain" {
		t.Errorf("domain events %v", names)
	}
	if names, _, _ := page(`where: {keyName: "someone else"}`); len(names) != 0 {
		t.Errorf("events of another key %v", names)
	}
	if names, _, _ := page(fmt.Sprintf(`where: {keyName: %q, operations: [CREATE], objectTypes: [ENTITY]}`, c.org+"-writer")); len(names) != 5 {
		t.Errorf("entity creates by the key: %v, want 5", names)
	}
	if names, _, _ := page(fmt.Sprintf(`where: {since: %q}`, time.Now().Add(time.Hour).Format(time.RFC3339))); len(names) != 0 {
		t.Errorf("events from the future %v", names)
	}
	code, field, _ := c.gqlError(t, `{ changes(first: 5000) { items { id } } }`)
	if code != "BAD_USER_INPUT" || field != "first" {
		t.Errorf("first 5000: %s %s", code, field)
	}

	stranger := newCatalogClient(t, "feed-stranger")
	for _, g := range stranger.since(t, "") {
		if g.ObjectType != "KEY" || g.After["orgId"] != nil && g.After["orgId"] != stranger.org {
			t.Errorf("another org sees %+v", g)
		}
	}
	var h struct {
		History struct{ Items []changeJSON }
	}
	id := c.create(t, "service", `{"name":"private"}`)["id"].(string)
	stranger.gqlData(t, fmt.Sprintf(`{ history(entityId: %q) { items { id } } }`, id), &h)
	if len(h.History.Items) != 0 {
		t.Errorf("another org reads the history: %+v", h.History.Items)
	}
}

// TestChangeLogIsAppendOnly checks that the database itself refuses to
// rewrite or delete events, whoever asks.
func TestChangeLogIsAppendOnly(t *testing.T) {
	c := newCatalogClient(t, "appendonly")
	c.create(t, "service", `{"name":"s"}`)
	ctx := t.Context()
	for _, stmt := range []string{
		"UPDATE changes SET key_name = 'forged' WHERE org_id = ?",
		"DELETE FROM changes WHERE org_id = ?",
	} {
		if _, err := testDB.Bun().ExecContext(ctx, stmt, c.org); err == nil || !strings.Contains(err.Error(), "append-only") {
			t.Errorf("%s: %v, want refused", stmt, err)
		}
	}
}
