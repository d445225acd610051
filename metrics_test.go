package main

import (
	"net/http"
	"strings"
	"testing"

	"cartograph/cartograph"
)

// TestMetrics: /metrics needs a key (any scope), and after some traffic it
// reports requests by surface and status, SQL statements per request,
// GraphQL operations and error codes, loader batch sizes and Go runtime
// metrics in the Prometheus text format.
func TestMetrics(t *testing.T) {
	c := newCatalogClient(t, "metrics")
	reader := key(t, "metrics-reader", c.org, cartograph.ScopeRead, cartograph.RoleUser)
	if res := c.srv.do(t, "GET", "/metrics", nil, ""); res.status != http.StatusUnauthorized {
		t.Fatalf("metrics without a key = %d, want 401", res.status)
	}
	c.create(t, "service", `{"name":"m1"}`)
	c.gqlData(t, `query ListServices { entities(types: [SERVICE]) { items { name ... on Service { environments { items { name } } } } } }`, nil)
	c.gqlError(t, `{ entity(id: "x") { name } nope }`)
	res := c.srv.do(t, "GET", "/metrics", map[string]string{"Api-Key": reader}, "")
	if res.status != http.StatusOK || !strings.HasPrefix(res.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("metrics = %d %s", res.status, res.header.Get("Content-Type"))
	}
	body := string(res.body)
	for _, want := range []string{
		`cartograph_http_requests_total{method="POST",status="201",surface="catalog"}`,
		`cartograph_http_request_duration_seconds_bucket{method="POST",surface="graphql"`,
		`cartograph_sql_statements_per_request_count{surface="graphql"}`,
		`cartograph_graphql_operations_total{name="ListServices",type="query"}`,
		`cartograph_graphql_errors_total{code="BAD_USER_INPUT"}`,
		`cartograph_dataloader_batch_size_count{loader="related (prefetch)"}`,
		`cartograph_graphql_active_subscriptions 0`,
		`go_goroutines`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}
