package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"cartograph/bench/shapes"
	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
	"cartograph/live"
)

var testDB *db.DB

// uniqueOrg is dbtest.UniqueOrg, short for the many tests that call it.
var uniqueOrg = dbtest.UniqueOrg

func TestMain(m *testing.M) {
	code := dbtest.Main(m, &testDB)
	if binPath != "" && buildErr == nil {
		os.Remove(binPath) // built by newServerProcess
	}
	os.Exit(code)
}

// testServer is a running Cartograph: the full handler of `serve` over the
// package's test database, or a real server process.
type testServer struct {
	url string
}

func newTestServer(t *testing.T, tune func(*config)) *testServer {
	t.Helper()
	cfg, err := loadConfig()
	if err != nil {
		t.Fatal(err)
	}
	if tune != nil {
		tune(cfg)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	hub := live.New(testDB, log)
	t.Cleanup(hub.Close)
	srv := httptest.NewServer(newHandler(cfg, testDB, hub, log))
	t.Cleanup(srv.Close)
	return &testServer{url: srv.URL}
}

// key issues a key in org with scope and role and returns its secret.
func key(t testing.TB, name, org string, scope cartograph.Scope, role cartograph.Role) string {
	t.Helper()
	k, err := testDB.Keys.Issue(context.Background(), cartograph.NewAPIKey{Name: name, OrgID: org, Scope: scope, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	return k.Secret
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

func (s *testServer) do(t *testing.T, method, path string, headers map[string]string, body string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}

// gql posts a GraphQL query with the key and returns the response.
func (s *testServer) gql(t *testing.T, apiKey, query string) response {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	return s.do(t, "POST", "/graphql", map[string]string{"Api-Key": apiKey}, string(body))
}

// errorCodes returns the extensions.code of each GraphQL error in r.
func errorCodes(t *testing.T, r response) []string {
	t.Helper()
	var body struct {
		Errors []struct {
			Message    string
			Extensions map[string]any
		}
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatalf("not a GraphQL response: %s", r.body)
	}
	var codes []string
	for _, e := range body.Errors {
		code, _ := e.Extensions["code"].(string)
		codes = append(codes, code)
	}
	return codes
}

func TestAuthentication(t *testing.T) {
	srv := newTestServer(t, nil)
	org := uniqueOrg("auth")
	good := key(t, "auth-good", org, cartograph.ScopeRead, cartograph.RoleUser)
	revoked := key(t, "auth-revoked", org, cartograph.ScopeRead, cartograph.RoleUser)
	if _, err := testDB.Keys.RevokeIn(context.Background(), org, "auth-revoked"); err != nil {
		t.Fatal(err)
	}
	query := `{"query":"{ viewer { name orgId } }"}`

	for _, tc := range []struct {
		name    string
		headers map[string]string
		want    int
	}{
		{"no key", nil, http.StatusUnauthorized},
		{"malformed key", map[string]string{"Api-Key": "hello"}, http.StatusUnauthorized},
		{"unknown key", map[string]string{"Api-Key": "c8ak_" + strings.Repeat("z", 40)}, http.StatusUnauthorized},
		{"revoked key", map[string]string{"Api-Key": revoked}, http.StatusUnauthorized},
		{"Api-Key header", map[string]string{"Api-Key": good}, http.StatusOK},
		{"api-key header in lower case", map[string]string{"api-key": good}, http.StatusOK},
		{"bearer token", map[string]string{"Authorization": "Bearer " + good}, http.StatusOK},
		{"bearer in lower case", map[string]string{"Authorization": "bearer " + good}, http.StatusOK},
	} {
		t.Run("graphql/"+tc.name, func(t *testing.T) {
			res := srv.do(t, "POST", "/graphql", tc.headers, query)
			if res.status != tc.want {
				t.Fatalf("status = %d, want %d: %s", res.status, tc.want, res.body)
			}
			if tc.want == http.StatusUnauthorized {
				if codes := errorCodes(t, res); len(codes) != 1 || codes[0] != "UNAUTHENTICATED" {
					t.Errorf("codes = %v, want [UNAUTHENTICATED]", codes)
				}
				return
			}
			data := res.json(t)["data"].(map[string]any)["viewer"].(map[string]any)
			if data["name"] != "auth-good" || data["orgId"] != org {
				t.Errorf("viewer = %v", data)
			}
		})
		t.Run("rest/"+tc.name, func(t *testing.T) {
			res := srv.do(t, "GET", "/public/v1/no-such-route", tc.headers, "")
			want := tc.want
			if want == http.StatusOK {
				want = http.StatusNotFound // authenticated, then routed
			}
			if res.status != want {
				t.Fatalf("status = %d, want %d: %s", res.status, want, res.body)
			}
			body := res.json(t)
			if body["statusCode"] != float64(want) || body["error"] != http.StatusText(want) {
				t.Errorf("body = %s, want the Configure8 error shape", res.body)
			}
		})
	}
}

func TestGraphQLScopeAndRole(t *testing.T) {
	srv := newTestServer(t, nil)
	org, otherOrg := uniqueOrg("scope"), uniqueOrg("scope-other")
	reader := key(t, "scope-reader", org, cartograph.ScopeRead, cartograph.RoleAdmin)
	user := key(t, "scope-user", org, cartograph.ScopeWrite, cartograph.RoleUser)
	admin := key(t, "scope-admin", org, cartograph.ScopeWrite, cartograph.RoleAdmin)
	other := key(t, "other-admin", otherOrg, cartograph.ScopeWrite, cartograph.RoleAdmin)
	create := `mutation { createApiKey(input: {name: "made", scope: READ, role: USER}) { secret key { name orgId } } }`

	for _, tc := range []struct {
		name, key, query, want string
	}{
		{"read key mutates", reader, create, "FORBIDDEN"},
		{"user key lists keys", user, `{ apiKeys { name } }`, "FORBIDDEN"},
		{"bad input names the field", admin, `mutation { createApiKey(input: {name: "x", scope: READ, role: USER, expiresIn: "soon"}) { secret } }`, "BAD_USER_INPUT"},
		{"unknown field", admin, `{ nope }`, "BAD_USER_INPUT"},
		{"revoke another org's key", other, `mutation { revokeApiKey(name: "scope-user") { name } }`, "NOT_FOUND"},
		{"admin creates", admin, create, ""},
		{"duplicate name", admin, create, "CONFLICT"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := srv.gql(t, tc.key, tc.query)
			codes := errorCodes(t, res)
			if tc.want == "" {
				if len(codes) != 0 || res.status != http.StatusOK {
					t.Fatalf("want success, got %d %s", res.status, res.body)
				}
				return
			}
			if len(codes) != 1 || codes[0] != tc.want {
				t.Fatalf("codes = %v, want [%s]: %s", codes, tc.want, res.body)
			}
		})
	}

	res := srv.gql(t, admin, `mutation { createApiKey(input: {name: "y", scope: READ, role: USER, expiresIn: "soon"}) { secret } }`)
	if !bytes.Contains(res.body, []byte(`"field":"expiresIn"`)) {
		t.Errorf("want extensions.field expiresIn: %s", res.body)
	}
	res = srv.gql(t, admin, `{ apiKeys { name orgId } }`)
	if bytes.Contains(res.body, []byte(otherOrg)) || !bytes.Contains(res.body, []byte(`"made"`)) {
		t.Errorf("an admin lists exactly its own org's keys: %s", res.body)
	}
}

func TestLimits(t *testing.T) {
	srv := newTestServer(t, func(c *config) { c.MaxDepth = 2; c.MaxComplexity = 20 })
	k := key(t, "limits", uniqueOrg("limits"), cartograph.ScopeWrite, cartograph.RoleAdmin)
	big := `{"query":"{ viewer { name } }","pad":"` + strings.Repeat("x", 5<<20) + `"}`

	t.Run("graphql body over 5 MiB", func(t *testing.T) {
		res := srv.do(t, "POST", "/graphql", map[string]string{"Api-Key": k}, big)
		if res.status != http.StatusRequestEntityTooLarge {
			t.Fatalf("status = %d, want 413", res.status)
		}
		if codes := errorCodes(t, res); len(codes) != 1 {
			t.Errorf("want one GraphQL error, got %s", res.body)
		}
	})
	t.Run("rest body over 5 MiB", func(t *testing.T) {
		res := srv.do(t, "POST", "/public/v1/catalog/entities", map[string]string{"Api-Key": k}, big)
		if res.status != http.StatusRequestEntityTooLarge || res.json(t)["statusCode"] != float64(413) {
			t.Fatalf("status = %d, body %s; want 413 in Configure8 shape", res.status, res.body)
		}
	})
	for _, tc := range []struct {
		name, query string
		ok          bool
	}{
		{"within depth", `{ viewer { name } }`, true},
		{"too deep", `mutation { createApiKey(input: {name: "deep", scope: READ, role: USER}) { key { name } } }`, false},
		{"too deep through a fragment", `mutation { createApiKey(input: {name: "deep2", scope: READ, role: USER}) { ...F } } fragment F on CreatedApiKey { key { name } }`, false},
		{"introspection is exempt from depth", `{ __schema { types { fields { type { ofType { ofType { name } } } } } } }`, true},
		{"too complex through aliases", `{ a: viewer { name } b: viewer { name } c: viewer { name } d: viewer { name } e: viewer { name } f: viewer { name } g: viewer { name } h: viewer { name } i: viewer { name } j: viewer { name } k: viewer { name } }`, false},
	} {
		// Twice: the second answer comes from what the server kept of the
		// first (graph.opCache).
		for range 2 {
			t.Run(tc.name, func(t *testing.T) {
				res := srv.gql(t, k, tc.query)
				codes := errorCodes(t, res)
				if tc.ok && len(codes) != 0 {
					t.Fatalf("want success: %s", res.body)
				}
				if !tc.ok && (len(codes) != 1 || codes[0] != "BAD_USER_INPUT") {
					t.Fatalf("want one BAD_USER_INPUT error: %s", res.body)
				}
			})
		}
	}
	// An operation with variables is measured with each request's values:
	// one text, within the limit or over it.
	for _, tc := range []struct {
		first int
		ok    bool
	}{{1, true}, {100, false}, {2, true}} {
		body, _ := json.Marshal(map[string]any{"query": `query($n: Int) { domains(first: $n) { totalCount } }`, "variables": map[string]any{"n": tc.first}})
		res := srv.do(t, "POST", "/graphql", map[string]string{"Api-Key": k}, string(body))
		if codes := errorCodes(t, res); tc.ok != (len(codes) == 0) {
			t.Errorf("first: %d: %s, want ok %v", tc.first, res.body, tc.ok)
		}
	}
	// The refused mutation wrote nothing.
	keys, _ := testDB.Keys.ListAll(context.Background())
	for _, k := range keys {
		if strings.HasPrefix(k.Name, "deep") {
			t.Errorf("a query over the depth limit ran: key %s exists", k.Name)
		}
	}
}

// TestRequestTimeout: a request that outlives REQUEST_TIMEOUT fails cleanly
// with 503 in the surface's shape instead of hanging.
func TestRequestTimeout(t *testing.T) {
	srv := newTestServer(t, func(c *config) { c.RequestTimeout = time.Nanosecond })
	k := key(t, "timeout", uniqueOrg("timeout"), cartograph.ScopeRead, cartograph.RoleUser)
	res := srv.gql(t, k, `{ viewer { name } }`)
	if res.status != http.StatusServiceUnavailable {
		t.Errorf("graphql: %d %s, want 503", res.status, res.body)
	}
	res = srv.do(t, "GET", "/v1/domains", map[string]string{"Api-Key": k}, "")
	if res.status != http.StatusServiceUnavailable || !bytes.Contains(res.body, []byte(`"code":"unavailable"`)) {
		t.Errorf("config store: %d %s, want 503", res.status, res.body)
	}
}

func TestBatchedOperationsRefused(t *testing.T) {
	srv := newTestServer(t, nil)
	k := key(t, "batch", uniqueOrg("batch"), cartograph.ScopeRead, cartograph.RoleUser)
	ops := `[` + strings.Repeat(`{"query":"{ viewer { name } }"},`, 99) + `{"query":"{ viewer { name } }"}]`
	res := srv.do(t, "POST", "/graphql", map[string]string{"Api-Key": k}, ops)
	if res.status == http.StatusOK && bytes.Contains(res.body, []byte(`"viewer"`)) {
		t.Fatalf("a JSON array of 100 operations was executed: %.200s", res.body)
	}
}

func TestHealth(t *testing.T) {
	srv := newTestServer(t, nil)
	for _, path := range []string{"/healthz", "/readyz"} {
		if res := srv.do(t, "GET", path, nil, ""); res.status != http.StatusOK {
			t.Errorf("%s = %d, want 200 without a key", path, res.status)
		}
	}
	res := srv.do(t, "GET", "/", nil, "")
	if res.status != http.StatusOK || !bytes.Contains(res.body, []byte("graphiql.min.js")) {
		t.Errorf("GraphiQL page: %d", res.status)
	}
}

// TestReadyWhenDatabaseIsGone: /readyz answers 503 once the database is gone,
// while /healthz (liveness) stays 200.
func TestReadyWhenDatabaseIsGone(t *testing.T) {
	ctx := context.Background()
	store, name, _ := dbtest.Fresh(t, "readyz")
	cfg, _ := loadConfig()
	srv := httptest.NewServer(newHandler(cfg, store, nil, slog.New(slog.NewTextHandler(io.Discard, nil))))
	defer srv.Close()
	ts := &testServer{url: srv.URL}
	if res := ts.do(t, "GET", "/readyz", nil, ""); res.status != http.StatusOK {
		t.Fatalf("readyz before = %d", res.status)
	}
	if err := dbtest.Drop(ctx, name); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	res := ts.do(t, "GET", "/readyz", nil, "")
	if res.status != http.StatusServiceUnavailable {
		t.Fatalf("readyz after the database was dropped = %d, want 503", res.status)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("readyz took %s; it must answer promptly", time.Since(start))
	}
	if res := ts.do(t, "GET", "/healthz", nil, ""); res.status != http.StatusOK {
		t.Errorf("healthz = %d, want 200", res.status)
	}
}

// countStatements runs a GraphQL query through the full handler with key and
// returns how many SQL statements it issued, and the response body.
func countStatements(t testing.TB, key, query string) (int64, string) {
	t.Helper()
	return countRequest(t, key, "/graphql", shapes.Body(query))
}
