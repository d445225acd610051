package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"testing"

	"cartograph/cartograph"
)

func TestServiceSync(t *testing.T) {
	c := newCatalogClient(t, "sync")
	checkout := c.create(t, "service", `{"name":"checkout","metaTags":[{"name":"dd-name","value":"checkout-svc","type":"Text"}]}`)["id"].(string)
	c.create(t, "service", `{"name":"payments"}`)
	legacy := c.create(t, "service", `{"name":"legacy"}`)["id"].(string)
	c.must(t, 201, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, checkout, legacy))

	observed := `{"metatagMappingName":"dd-name","services":{"checkout-svc":{"calls":["payments","inventory"]},"payments":{"calls":[]}}}`
	var diff cartograph.SyncResult
	res := c.must(t, http.StatusOK, "POST", "/public/v1/sync/services/diff", observed)
	if err := json.Unmarshal(res.body, &diff); err != nil {
		t.Fatal(err)
	}
	want := cartograph.SyncResult{
		Services: cartograph.ServiceSync{Added: []string{"inventory"}, Mappings: map[string]string{"checkout-svc": "checkout", "payments": "payments"}},
		Dependencies: cartograph.DependencySync{
			Added:   map[string][]string{"checkout-svc": {"payments", "inventory"}},
			Removed: map[string][]string{"checkout-svc": {"legacy"}},
		},
		Errors: []string{},
	}
	if !reflect.DeepEqual(diff, want) {
		t.Fatalf("diff = %s\nwant %+v", res.body, want)
	}
	// The diff wrote nothing.
	if l := c.must(t, 200, "GET", "/public/v1/catalog/relations?sourceId="+checkout, "").json(t); l["totalFound"] != float64(1) {
		t.Fatalf("diff changed relations: %v", l)
	}

	apply, _ := json.Marshal(map[string]any{"services": diff.Services, "dependencies": diff.Dependencies, "metatagMappingName": "dd-name"})
	var applied cartograph.SyncResult
	json.Unmarshal(c.must(t, http.StatusOK, "POST", "/public/v1/sync/services", string(apply)).body, &applied)
	if !reflect.DeepEqual(applied.Services.Added, []string{"inventory"}) || len(applied.Errors) != 0 ||
		!reflect.DeepEqual(applied.Dependencies.Removed["checkout-svc"], []string{"legacy"}) ||
		len(applied.Dependencies.Added["checkout-svc"]) != 2 {
		t.Fatalf("applied = %+v", applied)
	}

	// Now the catalog matches what was observed: a new diff is empty.
	var again cartograph.SyncResult
	json.Unmarshal(c.must(t, http.StatusOK, "POST", "/public/v1/sync/services/diff", observed).body, &again)
	if len(again.Services.Added) != 0 || len(again.Dependencies.Added) != 0 || len(again.Dependencies.Removed) != 0 {
		t.Errorf("after apply, diff = %+v; want nothing to do", again)
	}
	// A retried apply converges: nothing new, no duplicate service.
	var retry cartograph.SyncResult
	json.Unmarshal(c.must(t, http.StatusOK, "POST", "/public/v1/sync/services", string(apply)).body, &retry)
	if len(retry.Services.Added) != 0 || len(retry.Dependencies.Added) != 0 || len(retry.Dependencies.Removed) != 0 {
		t.Errorf("retried apply = %+v; want no change", retry)
	}
	if s := c.must(t, 200, "POST", "/public/v1/catalog/entities", `{"types":["service"]}`).json(t); s["totalFound"] != float64(4) {
		t.Errorf("services = %v, want 4", s["totalFound"])
	}

	// GraphQL gives the same diff.
	var gql struct {
		ServiceSyncDiff struct {
			Services     struct{ Added []string }
			Dependencies struct{ Added, Removed json.RawMessage }
		}
	}
	c.gqlData(t, `{ serviceSyncDiff(metatagMappingName: "dd-name", services: [{name: "checkout-svc", calls: ["payments"]}]) {
		services { added } dependencies { added removed } } }`, &gql)
	if len(gql.ServiceSyncDiff.Services.Added) != 0 || string(gql.ServiceSyncDiff.Dependencies.Removed) != `{"checkout-svc":["inventory"]}` {
		t.Errorf("GraphQL diff = %+v %s", gql, gql.ServiceSyncDiff.Dependencies.Removed)
	}

	for _, tc := range []struct {
		name, path, body string
		status           int
	}{
		{"no mapping tag", "/public/v1/sync/services/diff", `{"services":{}}`, 400},
		{"services not an object", "/public/v1/sync/services/diff", `{"services":[1],"metatagMappingName":"x"}`, 400},
		{"apply without dependencies", "/public/v1/sync/services", `{"services":{"added":[],"mappings":{}},"metatagMappingName":"x"}`, 400},
	} {
		t.Run(tc.name, func(t *testing.T) { wantCatalogError(t, c.call(t, "POST", tc.path, tc.body), tc.status, "") })
	}
	reader := &catalogClient{&configClient{srv: c.srv, org: c.org, key: key(t, "sync-reader", c.org, cartograph.ScopeRead, cartograph.RoleUser)}}
	reader.must(t, http.StatusOK, "POST", "/public/v1/sync/services/diff", observed)
	wantCatalogError(t, reader.call(t, "POST", "/public/v1/sync/services", string(apply)), 403, "")
}
