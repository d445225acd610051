// Package metrics is Cartograph's Prometheus instrumentation: the one place
// that knows the metric names and labels. Other packages record through its
// functions; server.go serves Handler at /metrics.
package metrics

import (
	"database/sql"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Registry holds Cartograph's metrics (plus Go runtime and process metrics).
var Registry = prometheus.NewRegistry()

var (
	requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cartograph_http_requests_total",
		Help: "HTTP requests by surface, method and status.",
	}, []string{"surface", "method", "status"})
	duration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cartograph_http_request_duration_seconds",
		Help:    "HTTP request latency by surface and method.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
	}, []string{"surface", "method"})
	statements = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cartograph_sql_statements_per_request",
		Help:    "SQL statements a request issued, by surface.",
		Buckets: []float64{0, 1, 2, 3, 4, 6, 8, 12, 16, 32, 64},
	}, []string{"surface"})
	operations = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cartograph_graphql_operations_total",
		Help: "GraphQL operations by type and name (anonymous when unnamed).",
	}, []string{"type", "name"})
	gqlErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cartograph_graphql_errors_total",
		Help: "GraphQL errors by extensions.code.",
	}, []string{"code"})
	batches = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cartograph_dataloader_batch_size",
		Help:    "Keys per dataloader batch or prefetch, by loader.",
		Buckets: []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000},
	}, []string{"loader"})
	fastReads = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cartograph_graphql_fast_reads_total",
		Help: "GraphQL queries by what the fast path for catalog reads did: answered, declined (gqlgen ran it) or rerun (gqlgen ran it again after an error).",
	}, []string{"result"})
	subscriptions = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "cartograph_graphql_active_subscriptions",
		Help: "GraphQL subscriptions open now on this process.",
	})
)

func init() {
	Registry.MustRegister(requests, duration, statements, operations, gqlErrors, batches, fastReads, subscriptions,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
}

// Handler serves the registry in the Prometheus text format.
func Handler() http.Handler {
	return promhttp.HandlerFor(Registry, promhttp.HandlerOpts{})
}

// Request records one HTTP request.
func Request(surface, method string, status int, d time.Duration, sqlStatements int64) {
	requests.WithLabelValues(surface, method, strconv.Itoa(status)).Inc()
	duration.WithLabelValues(surface, method).Observe(d.Seconds())
	statements.WithLabelValues(surface).Observe(float64(sqlStatements))
}

// Operation records a GraphQL operation; names are capped in length to bound
// label cardinality from clients.
func Operation(kind, name string) {
	if name == "" {
		name = "anonymous"
	}
	if len(name) > 64 {
		name = name[:64]
	}
	operations.WithLabelValues(kind, name).Inc()
}

// GraphQLError records a GraphQL error by its extensions.code.
func GraphQLError(code string) { gqlErrors.WithLabelValues(code).Inc() }

// FastRead counts a query by what the GraphQL fast path did with it.
func FastRead(result string) { fastReads.WithLabelValues(result).Inc() }

// Subscriptions adds delta to the open subscriptions gauge.
func Subscriptions(delta int) { subscriptions.Add(float64(delta)) }

// Batch records the number of keys one loader fetched at once.
func Batch(loader string, keys int) { batches.WithLabelValues(loader).Observe(float64(keys)) }

// RegisterPool exports the connection pool's statistics.
func RegisterPool(db *sql.DB) {
	Registry.MustRegister(collectors.NewDBStatsCollector(db, "cartograph"))
}
