package main

import (
	"encoding/json"
	"net/http"
	"os"
	"regexp"
	"strings"
	"testing"
)

type openAPIDoc struct {
	Paths map[string]map[string]struct {
		Summary string
	}
}

// matchPath reports whether a concrete or templated path fits one of ours,
// where our {parameters} match any segment.
func matchPath(ours, theirs string) bool {
	a, b := strings.Split(ours, "/"), strings.Split(theirs, "/")
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !strings.HasPrefix(a[i], "{") && a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOpenAPI checks /openapi.json against what the server does: every route
// has a description; every upstream route we serve (from the shared specs)
// is described; every described route reaches a handler, not the catch-all
// 404.
func TestOpenAPI(t *testing.T) {
	c := newCatalogClient(t, "openapi")
	if res := c.srv.do(t, "GET", "/openapi.json", nil, ""); res.status != http.StatusUnauthorized {
		t.Errorf("openapi.json without a key = %d, want 401", res.status)
	}
	res := c.must(t, http.StatusOK, "GET", "/openapi.json", "")
	var doc openAPIDoc
	if err := json.Unmarshal(res.body, &doc); err != nil {
		t.Fatal(err)
	}
	described := func(method, path string) bool {
		for p, ops := range doc.Paths {
			if _, ok := ops[strings.ToLower(method)]; ok && matchPath(p, path) {
				return true
			}
		}
		return false
	}

	// Upstream routes: the Configure8 catalog operations we serve, and
	// Configmonkey's nine routes.
	raw, err := os.ReadFile("../shared/specs/configure8-public-api.openapi.json")
	if err != nil {
		t.Fatalf("the shared specs are beside the repository in CI: %v", err)
	}
	var spec struct {
		Paths map[string]map[string]any
	}
	json.Unmarshal(raw, &spec)
	served := regexp.MustCompile(`^/public/v1/(catalog|templates|module-settings|sync)`)
	for path, ops := range spec.Paths {
		if !served.MatchString(path) {
			continue
		}
		for method := range ops {
			if !described(method, path) {
				t.Errorf("upstream %s %s is not described", strings.ToUpper(method), path)
			}
		}
	}
	for _, r := range []string{"GET /v1/domains", "POST /v1/domains", "DELETE /v1/domains/{d}", "GET /v1/configs/{d}",
		"POST /v1/configs/{d}", "GET /v1/configs/{d}/{k}", "DELETE /v1/configs/{d}/{k}", "GET /v1/configs/{d}/{k}/versions",
		"POST /v1/configs/{d}/{k}/versions", "POST /public/v1/costs/batch", "DELETE /public/v1/costs/batch", "POST /public/v1/query-builder"} {
		method, path, _ := strings.Cut(r, " ")
		if !described(method, path) {
			t.Errorf("%s is not described", r)
		}
	}

	// Every described operation has a summary and reaches its handler.
	params := strings.NewReplacer("{id}", "00000000-0000-4000-8000-000000000000", "{type}", "service", "{domain}", "d", "{key}", "k")
	n := 0
	for path, ops := range doc.Paths {
		for method, op := range ops {
			n++
			if strings.TrimSpace(op.Summary) == "" {
				t.Errorf("%s %s has no description", method, path)
			}
			body := "{}"
			if strings.Contains(path, "/batch") && !strings.HasSuffix(path, "/batch/entities") {
				body = "[]"
			}
			got := c.call(t, strings.ToUpper(method), params.Replace(path), body)
			if got.status == http.StatusNotFound && (strings.Contains(string(got.body), "Cannot ") || strings.Contains(string(got.body), "Resource not found")) {
				t.Errorf("%s %s is described but answers the catch-all 404", strings.ToUpper(method), path)
			}
			if got.status >= 500 {
				t.Errorf("%s %s = %d", strings.ToUpper(method), path, got.status)
			}
		}
	}
	if n < 40 {
		t.Errorf("only %d operations described", n)
	}
}
