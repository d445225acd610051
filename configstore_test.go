package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"

	"cartograph/cartograph"
)

// configClient calls the config store as one org's write key.
type configClient struct {
	srv *testServer
	org string
	key string
}

func newConfigClient(t *testing.T, base string) *configClient {
	t.Helper()
	org := uniqueOrg(base)
	return &configClient{srv: newTestServer(t, nil), org: org, key: key(t, org+"-writer", org, cartograph.ScopeWrite, cartograph.RoleUser)}
}

func (c *configClient) call(t *testing.T, method, path, body string) response {
	t.Helper()
	return c.srv.do(t, method, path, map[string]string{"Api-Key": c.key}, body)
}

// must calls and fails the test unless the status is want.
func (c *configClient) must(t *testing.T, want int, method, path, body string) response {
	t.Helper()
	res := c.call(t, method, path, body)
	if res.status != want {
		t.Fatalf("%s %s = %d, want %d: %s", method, path, res.status, want, res.body)
	}
	return res
}

// wantError checks a Configmonkey error body.
func wantError(t *testing.T, res response, status int, code string) {
	t.Helper()
	var body map[string]any
	if err := json.Unmarshal(res.body, &body); err != nil {
		t.Fatalf("body is not JSON: %s", res.body)
	}
	if res.status != status || body["code"] != code || len(body) != 2 || body["message"] == "" {
		t.Fatalf("got %d %s, want %d with code %q and a message", res.status, res.body, status, code)
	}
}

var microTime = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

func TestDomains(t *testing.T) {
	c := newConfigClient(t, "cfg-domains")
	res := c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"configmonkey"}`)
	if !regexp.MustCompile(`^\{"slug":"configmonkey","created_at":"[^"]+"\}\n?$`).Match(res.body) {
		t.Errorf("create body = %s, want the bare {slug, created_at}", res.body)
	}
	var d domainBody
	json.Unmarshal(res.body, &d)
	if !microTime.MatchString(d.CreatedAt) {
		t.Errorf("created_at %q: want RFC 3339 UTC with microseconds", d.CreatedAt)
	}

	for _, tc := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"duplicate", `{"slug":"configmonkey"}`, 409, "duplicate_slug"},
		{"space", `{"slug":"Config Monkey"}`, 400, "invalid_slug"},
		{"slash", `{"slug":"config/monkey"}`, 400, "invalid_slug"},
		{"percent", `{"slug":"%DATABASE_URL%"}`, 400, "invalid_slug"},
		{"dollar", `{"slug":"${DB_URL}"}`, 400, "invalid_slug"},
		{"empty slug", `{"slug":""}`, 400, "invalid_slug"},
		{"missing slug", `{"name":"x"}`, 400, "bad_request"},
		{"slug not a string", `{"slug":42}`, 400, "bad_request"},
		{"malformed JSON", `{"slug":`, 400, "bad_request"},
		{"array body", `["configmonkey"]`, 400, "bad_request"},
		{"empty body", ``, 400, "bad_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, c.call(t, "POST", "/v1/domains", tc.body), tc.status, tc.code)
		})
	}
	// Case-sensitive, extra fields ignored, no Content-Type needed.
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"Configmonkey","extra":1}`)
	res = c.srv.do(t, "POST", "/v1/domains", map[string]string{"Api-Key": c.key, "Content-Type": ""}, `{"slug":"no-content-type"}`)
	if res.status != http.StatusCreated {
		t.Errorf("without Content-Type: %d %s", res.status, res.body)
	}

	c.must(t, http.StatusOK, "GET", "/v1/domains/configmonkey", "")
	wantError(t, c.call(t, "GET", "/v1/domains/nope", ""), 404, "not_found")

	// Deleting: unknown → not_found; with configs → not_empty; empty → 204.
	wantError(t, c.call(t, "DELETE", "/v1/domains/nope", ""), 404, "not_found")
	c.must(t, http.StatusCreated, "POST", "/v1/configs/configmonkey", `{"key":"database_url"}`)
	wantError(t, c.call(t, "DELETE", "/v1/domains/configmonkey", ""), 422, "not_empty")
	c.must(t, http.StatusNoContent, "DELETE", "/v1/configs/configmonkey/database_url", "")
	res = c.must(t, http.StatusNoContent, "DELETE", "/v1/domains/configmonkey", "")
	if len(res.body) != 0 || res.header.Get("Content-Type") != "application/json" {
		t.Errorf("204: body %q, Content-Type %q; want empty and application/json", res.body, res.header.Get("Content-Type"))
	}
	wantError(t, c.call(t, "GET", "/v1/domains/configmonkey", ""), 404, "not_found")
}

type domainBody struct {
	Slug      string `json:"slug"`
	CreatedAt string `json:"created_at"`
}

type listBody struct {
	Data       []map[string]any `json:"data"`
	Pagination struct {
		Count  int     `json:"count"`
		Offset int     `json:"offset"`
		Limit  int     `json:"limit"`
		Next   *string `json:"next"`
		Prev   *string `json:"prev"`
	} `json:"pagination"`
}

func list(t *testing.T, res response) listBody {
	t.Helper()
	var l listBody
	if err := json.Unmarshal(res.body, &l); err != nil {
		t.Fatalf("not a list: %s", res.body)
	}
	if !strings.Contains(string(res.body), `"next":`) || !strings.Contains(string(res.body), `"prev":`) {
		t.Errorf("next and prev must always be present: %s", res.body)
	}
	return l
}

func strOrNil(s *string) string {
	if s == nil {
		return "<nil>"
	}
	return *s
}

func TestPagination(t *testing.T) {
	c := newConfigClient(t, "cfg-pages")
	for _, s := range []string{"d1", "d2", "d3"} {
		c.must(t, http.StatusCreated, "POST", "/v1/domains", fmt.Sprintf(`{"slug":%q}`, s))
	}
	for _, k := range []string{"k_b", "k_a", "k_c"} {
		c.must(t, http.StatusCreated, "POST", "/v1/configs/d1", fmt.Sprintf(`{"key":%q}`, k))
	}
	for _, tc := range []struct {
		name, path        string
		count, off, lim   int
		next, prev, first string
	}{
		{"defaults", "/v1/domains", 3, 0, 10, "<nil>", "<nil>", "d1"},
		{"first page", "/v1/domains?limit=2", 2, 0, 2, "/v1/domains?limit=2&offset=2", "<nil>", "d1"},
		{"last page", "/v1/domains?limit=2&offset=2", 1, 2, 2, "<nil>", "/v1/domains?limit=2&offset=0", "d3"},
		{"full last page links to an empty one", "/v1/domains?limit=3", 3, 0, 3, "/v1/domains?limit=3&offset=3", "<nil>", "d1"},
		{"prev clamps to 0", "/v1/domains?limit=2&offset=1", 2, 1, 2, "/v1/domains?limit=2&offset=3", "/v1/domains?limit=2&offset=0", "d2"},
		{"limit 0 links to itself", "/v1/domains?limit=0&offset=1", 0, 1, 0, "/v1/domains?limit=0&offset=1", "/v1/domains?limit=0&offset=1", ""},
		{"non-numeric means default", "/v1/domains?limit=abc&offset=x", 3, 0, 10, "<nil>", "<nil>", "d1"},
		{"out of int32 means default", "/v1/domains?limit=99999999999", 3, 0, 10, "<nil>", "<nil>", "d1"},
		{"limit above 1000 served as 1000", "/v1/domains?limit=5000", 3, 0, 1000, "<nil>", "<nil>", "d1"},
		{"configs by key", "/v1/configs/d1?limit=2", 2, 0, 2, "/v1/configs/d1?limit=2&offset=2", "<nil>", "k_a"},
		{"alias keeps its path family", "/v1/domains/d1/configs?limit=2", 2, 0, 2, "/v1/domains/d1/configs?limit=2&offset=2", "<nil>", "k_a"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := list(t, c.must(t, http.StatusOK, "GET", tc.path, ""))
			p := l.Pagination
			if p.Count != tc.count || p.Offset != tc.off || p.Limit != tc.lim || strOrNil(p.Next) != tc.next || strOrNil(p.Prev) != tc.prev {
				t.Errorf("pagination = {count %d offset %d limit %d next %s prev %s}, want {%d %d %d %s %s}",
					p.Count, p.Offset, p.Limit, strOrNil(p.Next), strOrNil(p.Prev), tc.count, tc.off, tc.lim, tc.next, tc.prev)
			}
			if len(l.Data) != tc.count {
				t.Errorf("%d items, count says %d", len(l.Data), p.Count)
			}
			if tc.first != "" && len(l.Data) > 0 && l.Data[0]["slug"] != tc.first && l.Data[0]["key"] != tc.first {
				t.Errorf("first item = %v, want %s", l.Data[0], tc.first)
			}
		})
	}
	for _, path := range []string{"/v1/domains?limit=-1", "/v1/domains?offset=-5", "/v1/configs/d1?limit=-1", "/v1/configs/d1/k_a/versions?offset=-1"} {
		wantError(t, c.call(t, "GET", path, ""), 400, "bad_request")
	}
}

func TestConfigsAndVersions(t *testing.T) {
	c := newConfigClient(t, "cfg-versions")
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"app"}`)
	res := c.must(t, http.StatusCreated, "POST", "/v1/configs/app", `{"key":"database_port"}`)
	if !regexp.MustCompile(`^\{"key":"database_port","created_at":"[^"]+"\}\n?$`).Match(res.body) {
		t.Errorf("config body = %s", res.body)
	}
	long := strings.Repeat("k", 513)
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code                     string
	}{
		{"bad key before missing domain", "POST", "/v1/configs/nope", `{"key":"a b"}`, 400, "invalid_slug"},
		{"key too long", "POST", "/v1/configs/app", `{"key":"` + long + `"}`, 400, "invalid_slug"},
		{"config in missing domain", "POST", "/v1/configs/nope", `{"key":"x"}`, 404, "domain_not_found"},
		{"duplicate config", "POST", "/v1/configs/app", `{"key":"database_port"}`, 409, "config_already_exists"},
		{"config key not a string", "POST", "/v1/configs/app", `{"key":{}}`, 400, "bad_request"},
		{"list configs of missing domain", "GET", "/v1/configs/nope", "", 404, "domain_not_found"},
		{"get config of missing domain", "GET", "/v1/configs/nope/x", "", 404, "domain_not_found"},
		{"get missing config", "GET", "/v1/configs/app/nope", "", 404, "config_not_found"},
		{"delete missing config", "DELETE", "/v1/configs/app/nope", "", 404, "config_not_found"},
		{"delete config of missing domain", "DELETE", "/v1/configs/nope/x", "", 404, "domain_not_found"},
		{"versions of missing config", "GET", "/v1/configs/app/nope/versions", "", 404, "config_not_found"},
		{"null value", "POST", "/v1/configs/app/database_port/versions", `{"value":null}`, 400, "invalid_value"},
		{"array value", "POST", "/v1/configs/app/database_port/versions", `{"value":[1]}`, 400, "invalid_value"},
		{"object value", "POST", "/v1/configs/app/database_port/versions", `{"value":{"a":1}}`, 400, "invalid_value"},
		{"value checked before the domain", "POST", "/v1/configs/nope/x/versions", `{"value":{}}`, 400, "invalid_value"},
		{"missing value", "POST", "/v1/configs/app/database_port/versions", `{"valeu":1}`, 400, "bad_request"},
		{"version in missing domain", "POST", "/v1/configs/nope/x/versions", `{"value":1}`, 404, "domain_not_found"},
		{"version of missing config", "POST", "/v1/configs/app/nope/versions", `{"value":1}`, 404, "config_not_found"},
		{"latest of a config without versions", "GET", "/v1/configs/app/database_port/versions/latest", "", 404, "version_not_found"},
		{"no such route", "GET", "/v1/nothing", "", 404, "not_found"},
		{"wrong method", "PUT", "/v1/domains", `{}`, 404, "not_found"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, c.call(t, tc.method, tc.path, tc.body), tc.status, tc.code)
		})
	}

	// Values keep their JSON form and type; numbering runs from 1.
	values := []string{`5432`, `1.0`, `"text with \"quotes\""`, `true`, `-2.50e3`, `""`}
	for i, v := range values {
		res := c.must(t, http.StatusCreated, "POST", "/v1/configs/app/database_port/versions", `{"value":`+v+`}`)
		want := fmt.Sprintf(`{"id":%d,"created_at":"`, i+1)
		if !strings.HasPrefix(string(res.body), want) || !strings.HasSuffix(strings.TrimSpace(string(res.body)), `"value":`+v+`}`) {
			t.Errorf("create %s = %s", v, res.body)
		}
	}
	l := list(t, c.must(t, http.StatusOK, "GET", "/v1/domains/app/configs/database_port/versions?limit=2", ""))
	if len(l.Data) != 2 || l.Data[0]["id"] != float64(6) || l.Data[1]["id"] != float64(5) {
		t.Errorf("versions newest first: %v", l.Data)
	}
	if strOrNil(l.Pagination.Next) != "/v1/domains/app/configs/database_port/versions?limit=2&offset=2" {
		t.Errorf("next = %s", strOrNil(l.Pagination.Next))
	}
	res = c.must(t, http.StatusOK, "GET", "/v1/configs/app/database_port/versions/latest", "")
	if !strings.Contains(string(res.body), `"id":6`) || !strings.Contains(string(res.body), `"value":""`) {
		t.Errorf("latest = %s", res.body)
	}
	res = c.must(t, http.StatusOK, "GET", "/v1/configs/app/database_port/versions?offset=4", "")
	if !strings.Contains(string(res.body), `"value":1.0}`) {
		t.Errorf("1.0 must come back as 1.0: %s", res.body)
	}

	// Deleting a config deletes its versions; re-creating starts again at 1.
	c.must(t, http.StatusNoContent, "DELETE", "/v1/configs/app/database_port", "")
	c.must(t, http.StatusCreated, "POST", "/v1/configs/app", `{"key":"database_port"}`)
	res = c.must(t, http.StatusCreated, "POST", "/v1/configs/app/database_port/versions", `{"value":1}`)
	if !strings.HasPrefix(string(res.body), `{"id":1,`) {
		t.Errorf("after re-creating the config, first version = %s", res.body)
	}
	var orphans int
	if err := testDB.Bun().NewRaw(`SELECT count(*) FROM config_versions v WHERE NOT EXISTS
		(SELECT 1 FROM configs c WHERE c.org_id = v.org_id AND c.id = v.config_id)`).Scan(t.Context(), &orphans); err != nil || orphans != 0 {
		t.Errorf("orphan versions after delete: %d (%v)", orphans, err)
	}
}

func TestConfigStoreAccess(t *testing.T) {
	owner := newConfigClient(t, "cfg-owner")
	owner.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"private"}`)
	owner.must(t, http.StatusCreated, "POST", "/v1/configs/private", `{"key":"secret"}`)
	stranger := &configClient{srv: owner.srv, key: key(t, "stranger", uniqueOrg("cfg-stranger"), cartograph.ScopeWrite, cartograph.RoleAdmin)}
	reader := &configClient{srv: owner.srv, key: key(t, "owner-reader", owner.org, cartograph.ScopeRead, cartograph.RoleUser)}

	wantError(t, stranger.call(t, "GET", "/v1/domains/private", ""), 404, "not_found")
	wantError(t, stranger.call(t, "GET", "/v1/configs/private/secret", ""), 404, "domain_not_found")
	wantError(t, stranger.call(t, "DELETE", "/v1/configs/private/secret", ""), 404, "domain_not_found")
	if l := list(t, stranger.must(t, 200, "GET", "/v1/domains", "")); len(l.Data) != 0 {
		t.Errorf("another org's domains are visible: %v", l.Data)
	}
	// Each org has its own slugs.
	stranger.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"private"}`)

	reader.must(t, http.StatusOK, "GET", "/v1/configs/private/secret", "")
	wantError(t, reader.call(t, "POST", "/v1/domains", `{"slug":"x"}`), 403, "forbidden")
	wantError(t, reader.call(t, "POST", "/v1/configs/private/secret/versions", `{"value":1}`), 403, "forbidden")
	wantError(t, reader.call(t, "DELETE", "/v1/domains/private", ""), 403, "forbidden")
	wantError(t, owner.srv.do(t, "GET", "/v1/domains", nil, ""), 401, "unauthorized")

	big := `{"slug":"` + strings.Repeat("a", 1<<20) + `"}`
	wantError(t, owner.call(t, "POST", "/v1/domains", big), 413, "unknown")
}

// TestConcurrentVersions: 20 concurrent creates on one config get the
// numbers 1..20, no gap, no duplicate, no error.
func TestConcurrentVersions(t *testing.T) {
	c := newConfigClient(t, "cfg-race")
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"race"}`)
	c.must(t, http.StatusCreated, "POST", "/v1/configs/race", `{"key":"counter"}`)
	const n = 20
	ids := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			res := c.call(t, "POST", "/v1/configs/race/counter/versions", fmt.Sprintf(`{"value":%d}`, i))
			var v struct{ ID int }
			if res.status != http.StatusCreated || json.Unmarshal(res.body, &v) != nil {
				t.Errorf("create %d: %d %s", i, res.status, res.body)
			}
			ids[i] = v.ID
		})
	}
	wg.Wait()
	sort.Ints(ids)
	want := make([]int, n)
	for i := range want {
		want[i] = i + 1
	}
	if !reflect.DeepEqual(ids, want) {
		t.Errorf("version ids = %v, want 1..20", ids)
	}
}

func TestConfigValueWithNUL(t *testing.T) {
	c := newConfigClient(t, "cfg-nul")
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"n"}`)
	c.must(t, http.StatusCreated, "POST", "/v1/configs/n", `{"key":"k"}`)
	res := c.call(t, "POST", "/v1/configs/n/k/versions", `{"value":"a\u0000b"}`)
	if res.status >= 500 {
		t.Fatalf("NUL in a value: %d %s", res.status, res.body)
	}
}
