package tracing

import (
	"context"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// TestOffWithoutEndpoint checks that with no OTLP endpoint nothing is
// installed and Start hands back the caller's context untouched.
func TestOffWithoutEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "")
	t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "")
	shutdown, err := Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = shutdown(context.Background()) }()
	if Enabled() {
		t.Fatal("tracing enabled with no endpoint")
	}
	ctx := context.Background()
	got, end := Start(ctx, "work")
	end(nil)
	if got != ctx || trace.SpanFromContext(got).SpanContext().IsValid() {
		t.Error("Start made a span while tracing is off")
	}
}

// TestOnWithEndpoint checks that an endpoint turns spans on, and that
// shutdown turns them off again.
func TestOnWithEndpoint(t *testing.T) {
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:1")
	shutdown, err := Setup(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, end := Start(context.Background(), "work")
	if !trace.SpanFromContext(ctx).SpanContext().IsValid() {
		t.Error("no span with tracing on")
	}
	end(nil)
	sctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_ = shutdown(sctx) // the endpoint is closed: the flush may fail
	if Enabled() {
		t.Error("still enabled after shutdown")
	}
}
