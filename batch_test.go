package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func resourceItem(key string, extra string) string {
	return fmt.Sprintf(`{"name":%q,"provider":"K8s","providerAccountId":"c1","providerResourceKey":%q,"providerResourceType":"K8s:Pod"%s}`, key, key, extra)
}

func batchBody(items ...string) string { return "[" + strings.Join(items, ",") + "]" }

func (c *catalogClient) count(t *testing.T, typ string) float64 {
	t.Helper()
	return c.must(t, http.StatusOK, "POST", "/public/v1/catalog/entities", `{"types":["`+typ+`"]}`).json(t)["totalFound"].(float64)
}

func TestResourceBatch(t *testing.T) {
	c := newCatalogClient(t, "batch")
	const path = "/public/v1/catalog/batch/entities/resource"

	var fifty []string
	for i := range 50 {
		fifty = append(fifty, resourceItem(fmt.Sprintf("pod-%02d", i), ""))
	}
	res := c.must(t, http.StatusOK, "POST", path, batchBody(fifty...)).json(t)
	if res["success"] != float64(50) || res["failures"] != float64(0) || len(res["items"].([]any)) != 50 {
		t.Fatalf("50 items: %v %v", res["success"], res["failures"])
	}
	if first := res["items"].([]any)[0].(map[string]any); first["origin"] != "DISCOVERY" {
		t.Errorf("batch-created entity origin = %v", first["origin"])
	}
	wantCatalogError(t, c.call(t, "POST", path, batchBody(append(fifty, resourceItem("pod-50", ""))...)), 413, "at most 50")
	if n := c.count(t, "resource"); n != 50 {
		t.Errorf("after a refused 51-item batch, resources = %v, want 50 (nothing written)", n)
	}

	ns := c.create(t, "resource", `{"name":"ns","provider":"K8s","providerAccountId":"c1","providerResourceKey":"c1:ns","providerResourceType":"K8s:Namespace"}`)["id"].(string)
	env := c.create(t, "environment", `{"name":"prod"}`)["id"].(string)
	svc := c.create(t, "service", `{"name":"svc"}`)["id"].(string)
	mixed := batchBody(
		resourceItem("pod-00", fmt.Sprintf(`,"description":"updated","parents":[{"id":%q},{"id":%q,"label":"contains","secondaryId":%q}]`, ns, env, svc)),
		`{"name":"no-provider","providerResourceKey":"x1","providerResourceType":"t"}`,
		resourceItem("pod-x", `,"parents":[{"id":"00000000-0000-4000-8000-000000000000"}]`),
		resourceItem("pod-y", `,"parents":[{"id":"`+svc+`","label":"uses"}]`),
	)
	res = c.must(t, http.StatusOK, "POST", path, mixed).json(t)
	failed := map[string]float64{}
	for _, f := range res["failed"].([]any) {
		m := f.(map[string]any)
		failed[m["providerResourceKey"].(string)] = m["status"].(float64)
		if m["error"] == "" {
			t.Errorf("a failure without an error message: %v", m)
		}
	}
	if res["success"] != float64(1) || res["failures"] != float64(3) || failed["x1"] != 400 || failed["pod-x"] != 404 || failed["pod-y"] != 422 {
		t.Errorf("mixed batch = success %v failures %v failed %v", res["success"], res["failures"], failed)
	}
	// The item whose parent was missing was not half-written.
	if n := c.count(t, "resource"); n != 51 {
		t.Errorf("resources = %v, want 51 (50 pods + ns; the failed items wrote nothing)", n)
	}
	pod := res["items"].([]any)[0].(map[string]any)
	if pod["description"] != "updated" || pod["providerResourceKey"] != "pod-00" {
		t.Errorf("upserted pod = %v", pod)
	}
	rels := c.must(t, http.StatusOK, "GET", "/public/v1/catalog/relations?targetId="+pod["id"].(string), "").json(t)
	out := c.must(t, http.StatusOK, "GET", "/public/v1/catalog/relations?sourceId="+pod["id"].(string), "").json(t)
	if rels["totalFound"] != float64(1) || out["totalFound"] != float64(1) {
		t.Errorf("pod relations: into %v (want contains), from %v (want child_of)", rels["totalFound"], out["totalFound"])
	}

	// A retried batch leaves the same state.
	again := c.must(t, http.StatusOK, "POST", path, mixed).json(t)
	if again["items"].([]any)[0].(map[string]any)["id"] != pod["id"] || c.count(t, "resource") != 51 {
		t.Errorf("retry changed identities or counts")
	}
	rels2 := c.must(t, http.StatusOK, "GET", "/public/v1/catalog/relations?targetId="+pod["id"].(string), "").json(t)
	if rels2["totalFound"] != float64(1) {
		t.Errorf("retry duplicated relations: %v", rels2["totalFound"])
	}
	// Discovered entities accept only tags and meta tags through PATCH.
	wantCatalogError(t, c.call(t, "PATCH", "/public/v1/catalog/entities/resource/"+pod["id"].(string), `{"description":"mine"}`), 422, "")

	wantCatalogError(t, c.call(t, "POST", path, `{"name":"not an array"}`), 400, "")
	wantCatalogError(t, c.call(t, "POST", "/public/v1/catalog/batch/entities/service", `[]`), 404, "")

	// Base entities upsert by name.
	b := c.must(t, http.StatusOK, "POST", "/public/v1/catalog/batch/entities/base", `[{"name":"INC-1","providerResourceType":"incident","details":{"status":"open"}}]`).json(t)
	b2 := c.must(t, http.StatusOK, "POST", "/public/v1/catalog/batch/entities/base", `[{"name":"inc-1","providerResourceType":"incident","details":{"status":"closed"}}]`).json(t)
	id1 := b["items"].([]any)[0].(map[string]any)["id"]
	item2 := b2["items"].([]any)[0].(map[string]any)
	if item2["id"] != id1 || fmt.Sprint(item2["details"]) != "map[status:closed]" {
		t.Errorf("base upsert = %v, want the same entity updated", item2)
	}
}

func TestBatchDelete(t *testing.T) {
	c := newCatalogClient(t, "batch-del")
	a := c.create(t, "service", `{"name":"a"}`)["id"].(string)
	b := c.create(t, "service", `{"name":"b"}`)["id"].(string)
	c.must(t, 201, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, a, b))
	other := newCatalogClient(t, "batch-del-other")
	theirs := other.create(t, "service", `{"name":"theirs"}`)["id"].(string)
	body := fmt.Sprintf(`{"ids":[%q,%q,"00000000-0000-4000-8000-000000000000","nope",%q]}`, a, b, theirs)
	if res := c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/batch/entities", body).json(t); res["deleted"] != float64(2) {
		t.Errorf("deleted = %v, want 2", res["deleted"])
	}
	if res := c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/batch/entities", body).json(t); res["deleted"] != float64(0) {
		t.Errorf("retry deleted = %v, want 0", res["deleted"])
	}
	other.must(t, http.StatusOK, "GET", "/public/v1/catalog/entities/"+theirs, "")
	wantCatalogError(t, c.call(t, "DELETE", "/public/v1/catalog/batch/entities", `{"ids":"a"}`), 400, "")
}

func TestCostBatch(t *testing.T) {
	c := newCatalogClient(t, "costs")
	r1 := c.create(t, "resource", `{"name":"vm","provider":"AWS","providerResourceKey":"vm","providerResourceType":"AWS:EC2:Instance"}`)["id"].(string)
	svc := c.create(t, "service", `{"name":"s"}`)["id"].(string)
	theirs := newCatalogClient(t, "costs-other").create(t, "resource", `{"name":"x","provider":"AWS","providerResourceKey":"x","providerResourceType":"t"}`)["id"].(string)
	const path = "/public/v1/costs/batch"
	row := func(id, date, op string, cost any) string {
		b, _ := json.Marshal(map[string]any{"catalogResourceId": id, "date": date, "operation": op, "cost": cost})
		return string(b)
	}
	res := c.must(t, http.StatusOK, "POST", path, batchBody(
		row(r1, "2026-01-01", "TOTAL", 10.5),
		row(r1, "2026-01-01", "RunInstances", 8),
		row(r1, "2026-01-02", "TOTAL", 1.23456),
		row(r1, "2026-02-30", "TOTAL", 1),
		row("00000000-0000-4000-8000-000000000000", "2026-01-01", "TOTAL", 1),
		row(theirs, "2026-01-01", "TOTAL", 1),
		row(svc, "2026-01-01", "TOTAL", 1),
		row(r1, "2026-01-03", "TOTAL", "abc"),
	)).json(t)
	var failed []string
	for _, f := range res["failed"].([]any) {
		m := f.(map[string]any)
		failed = append(failed, fmt.Sprintf("%v:%v", m["index"], m["status"]))
	}
	if res["success"] != float64(3) || res["failures"] != float64(5) || strings.Join(failed, ",") != "3:400,7:400,4:404,5:404,6:404" {
		t.Errorf("cost batch = %v %v %v", res["success"], res["failures"], failed)
	}
	total := func() string {
		var s string
		testDB.Bun().NewRaw(`SELECT coalesce(sum(cost), 0)::text FROM costs WHERE org_id = ? AND operation = 'TOTAL'`, c.org).Scan(context.Background(), &s)
		return s
	}
	if got := total(); got != "11.7346" {
		t.Errorf("TOTAL sum = %s, want 11.7346 (10.5 + 1.23456 rounded to 4 places)", got)
	}
	// Replace by (resource, date, operation); in one batch the last row wins.
	c.must(t, http.StatusOK, "POST", path, batchBody(row(r1, "2026-01-01", "TOTAL", 3), row(r1, "2026-01-01", "TOTAL", 2)))
	if got := total(); got != "3.2346" {
		t.Errorf("after replacing, TOTAL sum = %s, want 3.2346", got)
	}
	var many []string
	for range 1001 {
		many = append(many, row(r1, "2026-01-01", "TOTAL", 1))
	}
	wantCatalogError(t, c.call(t, "POST", path, batchBody(many...)), 413, "")

	del := c.must(t, http.StatusOK, "DELETE", path, fmt.Sprintf(`[{"catalogResourceId":%q,"date":"2026-01-01","operation":"RunInstances"}]`, r1)).json(t)
	if del["deleted"] != float64(1) {
		t.Errorf("delete one operation = %v", del)
	}
	del = c.must(t, http.StatusOK, "DELETE", path, fmt.Sprintf(`[{"catalogResourceId":%q,"date":"2026-01-01"},{"catalogResourceId":%q,"date":"2026-01-01"}]`, r1, theirs)).json(t)
	if del["deleted"] != float64(1) {
		t.Errorf("delete a day = %v, want 1 (another org's resource untouched)", del)
	}
	wantCatalogError(t, c.call(t, "DELETE", path, `[{"catalogResourceId":"x","date":"yesterday"}]`), 400, "")
	// Deleting the resource deletes its costs.
	c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+r1, "")
	if got := total(); got != "0" {
		t.Errorf("after deleting the resource, costs = %s", got)
	}
}

func TestBatchesOverGraphQL(t *testing.T) {
	c := newCatalogClient(t, "gql-batch")
	var res struct {
		UpsertResources struct {
			Success, Failures int
			Items             []struct{ ID, Origin string }
			Failed            []struct {
				Index  int
				Key    string
				Status int
			}
		}
	}
	c.gqlData(t, `mutation { upsertResources(items: [
		{name: "a", provider: "AWS", providerResourceKey: "a", providerResourceType: "t"},
		{name: "b", provider: "AWS", providerResourceKey: "b", providerResourceType: "t", parents: [{id: "00000000-0000-4000-8000-000000000000"}]}
	]) { success failures items { id origin } failed { index key status } } }`, &res)
	u := res.UpsertResources
	if u.Success != 1 || u.Failures != 1 || u.Items[0].Origin != "DISCOVERY" || u.Failed[0].Index != 1 || u.Failed[0].Key != "b" || u.Failed[0].Status != 404 {
		t.Fatalf("upsertResources = %+v", u)
	}
	var many []string
	for i := range 51 {
		many = append(many, fmt.Sprintf(`{name: "r%d", provider: "AWS", providerResourceKey: "r%d", providerResourceType: "t"}`, i, i))
	}
	if code, _, msg := c.gqlError(t, `mutation { upsertResources(items: [`+strings.Join(many, ",")+`]) { success } }`); code != "BAD_USER_INPUT" || !strings.Contains(msg, "at most 50") {
		t.Errorf("51 items over GraphQL: %s %s", code, msg)
	}
	var costs struct {
		UpsertCosts struct {
			Success, Failures int
			Failed            []struct{ Index, Status int }
		}
	}
	c.gqlData(t, fmt.Sprintf(`mutation { upsertCosts(rows: [
		{catalogResourceId: %q, date: "2026-01-01", cost: 1.5, operation: "TOTAL"},
		{catalogResourceId: "00000000-0000-4000-8000-000000000000", date: "2026-01-01", cost: 1, operation: "TOTAL"}
	]) { success failures failed { index status } } }`, u.Items[0].ID), &costs)
	if costs.UpsertCosts.Success != 1 || costs.UpsertCosts.Failed[0].Index != 1 || costs.UpsertCosts.Failed[0].Status != 404 {
		t.Errorf("upsertCosts = %+v", costs.UpsertCosts)
	}
	var del struct{ DeleteCosts, DeleteEntities int }
	c.gqlData(t, fmt.Sprintf(`mutation { deleteCosts(keys: [{catalogResourceId: %q, date: "2026-01-01"}])
		deleteEntities(ids: [%q, "00000000-0000-4000-8000-000000000000"]) }`, u.Items[0].ID, u.Items[0].ID), &del)
	if del.DeleteCosts != 1 || del.DeleteEntities != 1 {
		t.Errorf("deletes = %+v", del)
	}
}
