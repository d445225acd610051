// Package tracing is Cartograph's OpenTelemetry wiring: spans for HTTP
// requests, GraphQL operations and root fields, dataloader batches and SQL
// statements, exported over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT (or
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) is set. With neither set nothing is
// installed: no middleware, no query hook, no extension, and Start returns at
// once, so tracing costs the hot path nothing when it is off.
package tracing

import (
	"context"
	"errors"
	"net/http"
	"os"
	"sync/atomic"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/extra/bunotel"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.39.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// Name is the instrumentation scope of Cartograph's own spans.
const Name = "cartograph"

var (
	enabled atomic.Bool
	tracer  trace.Tracer = noop.NewTracerProvider().Tracer(Name)
)

// Enabled reports whether Setup installed an exporter.
func Enabled() bool { return enabled.Load() }

// configured reports whether the environment asks for traces.
func configured() bool {
	return os.Getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != "" || os.Getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != ""
}

// Setup installs the OTLP/HTTP exporter and the W3C trace-context propagator
// when configured; otherwise it does nothing. The exporter reads the standard
// OTEL_* variables (endpoint, headers, timeout; OTEL_SERVICE_NAME defaults to
// "cartograph"; OTEL_TRACES_SAMPLER picks the sampler). The returned function
// flushes pending spans and turns tracing off again.
func Setup(ctx context.Context) (shutdown func(context.Context) error, err error) {
	if !configured() {
		return func(context.Context) error { return nil }, nil
	}
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		return nil, err
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(semconv.ServiceName(serviceName())))
	if err != nil && !errors.Is(err, resource.ErrPartialResource) && !errors.Is(err, resource.ErrSchemaURLConflict) {
		return nil, err
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithBatcher(exp), sdktrace.WithResource(res))
	otel.SetTracerProvider(tp)
	otel.SetTextMapPropagator(propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{}))
	tracer = tp.Tracer(Name)
	enabled.Store(true)
	return func(ctx context.Context) error {
		enabled.Store(false)
		tracer = noop.NewTracerProvider().Tracer(Name)
		return tp.Shutdown(ctx)
	}, nil
}

func serviceName() string {
	if s := os.Getenv("OTEL_SERVICE_NAME"); s != "" {
		return s
	}
	return "cartograph"
}

// HTTP wraps the server's handler in a server span per request, named by
// method and the surface its path belongs to (surface), so span names stay
// few whatever paths arrive; the full path is the span's url.path attribute.
// Incoming traceparent headers are honoured.
func HTTP(h http.Handler, surface func(path string) string) http.Handler {
	return otelhttp.NewHandler(h, "http",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + surface(r.URL.Path) }),
	)
}

// QueryHooks returns the bun hooks that add a span per SQL statement
// (bunotel), each a child of the span that ran it: the request, the GraphQL
// field, or the dataloader batch. None when tracing is off.
func QueryHooks() []bun.QueryHook {
	if !enabled.Load() {
		return nil
	}
	return []bun.QueryHook{bunotel.NewQueryHook(bunotel.WithDBName("cartograph"))}
}

// Start begins a span named name under ctx's span, or does nothing when
// tracing is off. Call end with the operation's error (nil for success).
func Start(ctx context.Context, name string, attrs ...attribute.KeyValue) (context.Context, func(error)) {
	if !enabled.Load() {
		return ctx, func(error) {}
	}
	ctx, span := tracer.Start(ctx, name, trace.WithAttributes(attrs...))
	return ctx, func(err error) {
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, err.Error())
		}
		span.End()
	}
}
