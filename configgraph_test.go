package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"cartograph/cartograph"
)

// gqlData runs a query that must succeed and decodes its data into out.
func (c *configClient) gqlData(t *testing.T, query string, out any) {
	t.Helper()
	res := c.srv.gql(t, c.key, query)
	var body struct {
		Data   json.RawMessage
		Errors []any
	}
	if err := json.Unmarshal(res.body, &body); err != nil || len(body.Errors) > 0 || res.status != http.StatusOK {
		t.Fatalf("query failed: %d %s\nquery: %s", res.status, res.body, query)
	}
	if out != nil {
		if err := json.Unmarshal(body.Data, out); err != nil {
			t.Fatal(err)
		}
	}
}

// gqlError runs a query that must fail with one error and returns it.
func (c *configClient) gqlError(t *testing.T, query string) (code, field, message string) {
	t.Helper()
	res := c.srv.gql(t, c.key, query)
	var body struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code, Field string }
		}
	}
	if err := json.Unmarshal(res.body, &body); err != nil || len(body.Errors) != 1 {
		t.Fatalf("want one error: %s", res.body)
	}
	e := body.Errors[0]
	return e.Extensions.Code, e.Extensions.Field, e.Message
}

func TestConfigStoreGraphQL(t *testing.T) {
	c := newConfigClient(t, "gql-configs")
	c.gqlData(t, `mutation { createDomain(slug: "payments") { slug } }`, nil)
	c.gqlData(t, `mutation { createConfig(domain: "payments", key: "timeout") { key } }`, nil)
	c.gqlData(t, `mutation { createConfig(domain: "payments", key: "enabled") { key } }`, nil)

	var v1 struct {
		CreateVersion struct {
			Version   int
			CreatedAt time.Time
			Value     json.RawMessage
		}
	}
	c.gqlData(t, `mutation { createVersion(domain: "payments", key: "timeout", value: 1.5) { version createdAt value } }`, &v1)
	if v1.CreateVersion.Version != 1 || string(v1.CreateVersion.Value) != "1.5" {
		t.Fatalf("first version = %+v", v1.CreateVersion)
	}
	time.Sleep(20 * time.Millisecond)
	between := time.Now()
	time.Sleep(20 * time.Millisecond)
	c.gqlData(t, `mutation { createVersion(domain: "payments", key: "timeout", value: "30s") { version } }`, nil)
	c.gqlData(t, `mutation { createVersion(domain: "payments", key: "enabled", value: true) { version } }`, nil)
	// The REST API sees what GraphQL wrote, and the other way round.
	c.must(t, http.StatusCreated, "POST", "/v1/configs/payments/timeout/versions", `{"value":45}`)

	var got struct {
		Domain struct {
			Configs struct {
				TotalCount  int
				HasNextPage bool
				Items       []struct {
					Key    string
					Latest *struct {
						Version int
						Value   json.RawMessage
					}
					Then     *struct{ Value json.RawMessage }
					Versions struct {
						TotalCount int
						Items      []struct{ Version int }
					}
				}
			}
			Snapshot []struct {
				Key     string
				Version *struct{ Value json.RawMessage }
			}
		}
	}
	at := between.UTC().Format(time.RFC3339Nano)
	c.gqlData(t, fmt.Sprintf(`{ domain(slug: "payments") {
		configs(first: 1) { totalCount hasNextPage items {
			key latest { version value } then: value(asOf: %q) { value }
			versions(first: 2) { totalCount items { version } } } }
		snapshot(asOf: %q) { key version { value } } } }`, at, at), &got)
	cfgs := got.Domain.Configs
	if cfgs.TotalCount != 2 || !cfgs.HasNextPage || len(cfgs.Items) != 1 || cfgs.Items[0].Key != "enabled" {
		t.Fatalf("configs page = %+v", cfgs)
	}
	c.gqlData(t, fmt.Sprintf(`{ domain(slug: "payments") { configs(offset: 1) { hasNextPage items {
		key latest { version value } then: value(asOf: %q) { value }
		versions(first: 2) { totalCount items { version } } } } } }`, at), &got)
	timeout := got.Domain.Configs.Items[0]
	if timeout.Key != "timeout" || timeout.Latest.Version != 3 || string(timeout.Latest.Value) != "45" {
		t.Errorf("latest = %+v", timeout.Latest)
	}
	if timeout.Then == nil || string(timeout.Then.Value) != "1.5" {
		t.Errorf("value(asOf) between v1 and v2 = %+v, want 1.5", timeout.Then)
	}
	if timeout.Versions.TotalCount != 3 || len(timeout.Versions.Items) != 2 || timeout.Versions.Items[0].Version != 3 {
		t.Errorf("versions = %+v", timeout.Versions)
	}
	c.gqlData(t, fmt.Sprintf(`{ domain(slug: "payments") { snapshot(asOf: %q) { key version { value } } } }`, at), &got)
	snap := map[string]string{}
	for _, e := range got.Domain.Snapshot {
		snap[e.Key] = "null"
		if e.Version != nil {
			snap[e.Key] = string(e.Version.Value)
		}
	}
	if snap["timeout"] != "1.5" || snap["enabled"] != "null" || len(snap) != 2 {
		t.Errorf("snapshot at %s = %v, want timeout 1.5 and enabled without a value", at, snap)
	}

	var diff struct {
		Domain struct {
			Config struct {
				Diff struct {
					Changed, KindChanged bool
					Delta                *float64
				}
				Numbers struct {
					Delta *float64
				}
			}
		}
	}
	c.gqlData(t, `{ domain(slug: "payments") { config(key: "timeout") {
		diff(from: 1, to: 2) { changed kindChanged delta }
		numbers: diff(from: 1, to: 3) { delta } } } }`, &diff)
	d := diff.Domain.Config
	if !d.Diff.Changed || !d.Diff.KindChanged || d.Diff.Delta != nil || d.Numbers.Delta == nil || *d.Numbers.Delta != 43.5 {
		t.Errorf("diff = %+v, numbers delta %v", d.Diff, d.Numbers.Delta)
	}

	for _, tc := range []struct {
		name, query, code, field string
	}{
		{"duplicate domain", `mutation { createDomain(slug: "payments") { slug } }`, "CONFLICT", "slug"},
		{"bad slug", `mutation { createDomain(slug: "a b") { slug } }`, "BAD_USER_INPUT", "slug"},
		{"unknown domain", `mutation { createConfig(domain: "nope", key: "x") { key } }`, "NOT_FOUND", ""},
		{"object value", `mutation { createVersion(domain: "payments", key: "timeout", value: {a: 1}) { version } }`, "BAD_USER_INPUT", "value"},
		{"domain not empty", `mutation { deleteDomain(slug: "payments") }`, "UNPROCESSABLE", ""},
		{"missing version in diff", `{ domain(slug: "payments") { config(key: "timeout") { diff(from: 1, to: 9) { changed } } } }`, "NOT_FOUND", "to"},
		{"negative page", `{ domains(first: -1) { items { slug } } }`, "BAD_USER_INPUT", "first"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, field, _ := c.gqlError(t, tc.query)
			if code != tc.code || field != tc.field {
				t.Errorf("code %s field %q, want %s %q", code, field, tc.code, tc.field)
			}
		})
	}

	var gone struct{ Domain *struct{ Slug string } }
	c.gqlData(t, `mutation { deleteConfig(domain: "payments", key: "timeout") }`, nil)
	c.gqlData(t, `mutation { deleteConfig(domain: "payments", key: "enabled") }`, nil)
	c.gqlData(t, `mutation { deleteDomain(slug: "payments") }`, nil)
	c.gqlData(t, `{ domain(slug: "payments") { slug } }`, &gone)
	if gone.Domain != nil {
		t.Errorf("deleted domain still found: %+v", gone.Domain)
	}
}

// TestConfigQueryStatementCount: listing domains with their configs, counts
// and latest values costs the same number of SQL statements for 5 domains as
// for 50: the loaders batch each level into one statement.
func TestConfigQueryStatementCount(t *testing.T) {
	const query = `{ domains(first: 100) { items { slug
		configs(first: 10) { totalCount items { key latest { version value } versions(first: 2) { items { version } } } } } } }`
	counts := map[int]int64{}
	for _, n := range []int{5, 50} {
		org := uniqueOrg(fmt.Sprintf("stmt-%d", n))
		ctx := context.Background()
		ok := func(_ any, err error) {
			if err != nil {
				t.Fatal(err)
			}
		}
		seed := cartograph.WithActor(ctx, &cartograph.Actor{OrgID: org, Scope: cartograph.ScopeWrite, Role: cartograph.RoleUser})
		for i := range n {
			slug := fmt.Sprintf("d%03d", i)
			ok(testDB.Configs.CreateDomain(seed, slug))
			for _, k := range []string{"a", "b", "c"} {
				ok(testDB.Configs.CreateConfig(seed, slug, k))
				ok(testDB.Configs.CreateVersion(seed, slug, k, cartograph.ConfigValue(`1`)))
				ok(testDB.Configs.CreateVersion(seed, slug, k, cartograph.ConfigValue(`"two"`)))
			}
		}
		k := key(t, org+"-reader", org, cartograph.ScopeRead, cartograph.RoleUser)
		run := func() (int64, string) { return countStatements(t, k, query) }
		run() // the first use of a key also records its last-used time
		n64, body := run()
		if strings.Contains(body, `"errors"`) || strings.Count(body, `"slug"`) != n || strings.Count(body, `"value":"two"`) != 3*n {
			t.Fatalf("%d domains: unexpected answer %.300s", n, body)
		}
		counts[n] = n64
	}
	if counts[5] != counts[50] {
		t.Errorf("statements: %d for 5 domains, %d for 50; want the same", counts[5], counts[50])
	}
	// key lookup, domains, configs, their counts, latest versions, version pages
	if counts[50] > 6 {
		t.Errorf("statements = %d, want at most 6 (one per level)", counts[50])
	}
	t.Logf("statements per request: %d (5 domains), %d (50 domains)", counts[5], counts[50])
}
