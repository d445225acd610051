package main

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"

	"cartograph/bench/shapes"
	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

// TestShapeStatements is the benchmark shapes' statement budget (issue 10):
// it fails when a shape's SQL statement count grows. With the key cache on,
// a known key costs nothing, so the counts are the shapes' own. REST answers
// always carry totalFound, which the page's statement reads too: the
// per-type counts for Q1 and Q4, a window count of the matches for Q3.
func TestShapeStatements(t *testing.T) {
	dir := t.TempDir()
	generateCatalog(t, dir, "0.05", "1")
	org := uniqueOrg("shapes")
	importCatalog(t, dir, org)
	dbtest.WatchKeys(t, testDB)
	k := key(t, "shapes", org, cartograph.ScopeRead, cartograph.RoleUser)

	from, to := "2026-01-25", "2026-01-31"
	cases := []struct {
		name, path, body string
		want             int64
	}{
		{"Q1 page GraphQL", "/graphql", shapes.Body(shapes.Q1GraphQL), 1},
		{"Q2 graph GraphQL, 5 services", "/graphql", shapes.Body(shapes.Q2GraphQL(5)), 4},
		{"Q2 graph GraphQL, 25 services", "/graphql", shapes.Body(shapes.Q2GraphQL(25)), 4},
		{"Q3 filter GraphQL", "/graphql", shapes.Body(shapes.Q3GraphQL), 1},
		{"Q3 filter GraphQL, with totalCount", "/graphql", shapes.Body(shapes.Q3GraphQLCounted), 1},
		{"Q4 cost GraphQL", "/graphql", shapes.Body(shapes.Q4GraphQL(from, to)), 2},
		{"Q1 page REST", "/public/v1/query-builder", shapes.Q1REST, 1},
		{"Q3 filter REST", "/public/v1/query-builder", shapes.Q3REST, 1},
		{"Q4 cost REST", "/public/v1/query-builder", shapes.Q4REST(from, to), 1},
		{"Q1 page REST, whole entities", "/public/v1/query-builder", shapes.Q1RESTWhole, 1},
		{"Q3 filter REST, whole entities", "/public/v1/query-builder", shapes.Q3RESTWhole, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The first request with a key reads it, and so does one after a
			// key change elsewhere (tests running in parallel revoke keys): the
			// count is the least of a few warm requests.
			n, body := countRequest(t, k, c.path, c.body)
			for range 3 {
				m, _ := countRequest(t, k, c.path, c.body)
				n = min(n, m)
			}
			if strings.Contains(body, `"errors"`) || !strings.Contains(body, `"name"`) {
				t.Fatalf("response: %.300s", body)
			}
			if n != c.want {
				t.Errorf("%d SQL statements, want %d", n, c.want)
			}
		})
	}
}

// countRequest POSTs body to path through the full handler with key and
// returns how many SQL statements it issued, and the response body.
func countRequest(t testing.TB, key, path, body string) (int64, string) {
	t.Helper()
	cfg, _ := loadConfig()
	h := newHandler(cfg, testDB, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	ctx, statements := db.WithStatementCount(context.Background())
	req := httptest.NewRequest("POST", path, strings.NewReader(body)).WithContext(ctx)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Api-Key", key)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		t.Fatalf("%s: %d %.300s", path, w.Code, w.Body)
	}
	return statements.Load(), w.Body.String()
}
