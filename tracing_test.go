package main

import (
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
)

// collector is a minimal OTLP/HTTP trace receiver: it keeps every span sent.
type collector struct {
	mu    sync.Mutex
	spans []*tracepb.Span
}

func (c *collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	var req coltracepb.ExportTraceServiceRequest
	if err == nil {
		err = proto.Unmarshal(body, &req)
	}
	if err != nil || r.URL.Path != "/v1/traces" {
		http.Error(w, "bad export", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			c.spans = append(c.spans, ss.Spans...)
		}
	}
	c.mu.Unlock()
	out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
	w.Header().Set("Content-Type", "application/x-protobuf")
	_, _ = w.Write(out)
}

// trace returns the spans of a trace whose root span is named root and that
// holds a span named each of want; it waits up to 10 s for one.
func (c *collector) trace(t *testing.T, root string, want ...string) map[string][]*tracepb.Span {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		c.mu.Lock()
		var byName map[string][]*tracepb.Span
		missing := want[0]
		for _, s := range c.spans {
			if s.Name != root || len(s.ParentSpanId) != 0 {
				continue
			}
			byName = map[string][]*tracepb.Span{}
			for _, o := range c.spans {
				if string(o.TraceId) == string(s.TraceId) {
					byName[o.Name] = append(byName[o.Name], o)
				}
			}
			missing = ""
			for _, w := range want {
				if len(byName[w]) == 0 {
					missing = w
				}
			}
			if missing == "" {
				break
			}
		}
		c.mu.Unlock()
		if missing == "" {
			return byName
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q span in the trace of %q after 10 s; spans: %v", missing, root, slices.Collect(maps.Keys(byName)))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestTracesExportedOverOTLP runs the real server with
// OTEL_EXPORTER_OTLP_ENDPOINT pointing at a test collector and checks that
// one GraphQL request arrives as one trace: the HTTP span, the operation, the
// root field, the dataloader batch of the nested level, and SQL statements
// as children of the span that ran them.
func TestTracesExportedOverOTLP(t *testing.T) {
	col := &collector{}
	srv := httptest.NewServer(col)
	defer srv.Close()
	p := newServerProcess(t, "OTEL_EXPORTER_OTLP_ENDPOINT="+srv.URL, "OTEL_BSP_SCHEDULE_DELAY=50")
	_, key := p.start(t)
	s := &testServer{url: p.url}
	res := s.gql(t, key, `mutation { createService(input: {name: "traced"}) { id } }`)
	if res.status != http.StatusOK || strings.Contains(string(res.body), `"errors"`) {
		t.Fatalf("create: %d %s", res.status, res.body)
	}
	res = s.gql(t, key, `query Traced { entities(types: [SERVICE]) { items { name ... on Service { environments { items { name } } } } } }`)
	if !strings.Contains(string(res.body), `"traced"`) {
		t.Fatalf("query: %d %s", res.status, res.body)
	}

	spans := col.trace(t, "POST graphql", "graphql query Traced", "graphql field Query.entities", "SELECT")
	byID := map[string]*tracepb.Span{}
	for _, list := range spans {
		for _, s := range list {
			byID[string(s.SpanId)] = s
		}
	}
	// Every statement but the key lookup (which precedes GraphQL) hangs below
	// the operation span, through the field or the loader batch that ran it.
	op := spans["graphql query Traced"][0]
	for _, sql := range spans["SELECT"] {
		if strings.Contains(attr(sql, "db.statement"), "api_keys") {
			continue
		}
		under := false
		for s := sql; s != nil; s = byID[string(s.ParentSpanId)] {
			under = under || s == op
		}
		if !under {
			t.Errorf("SQL span %v is not below the operation span", attr(sql, "db.statement"))
		}
		if !strings.Contains(attr(sql, "db.statement"), "SELECT") {
			t.Errorf("SQL span without its statement: %v", sql.Attributes)
		}
	}
	loaded := false
	for name := range spans {
		loaded = loaded || strings.HasPrefix(name, "prefetch ") || strings.HasPrefix(name, "load ")
	}
	if !loaded {
		t.Errorf("no dataloader batch span in the trace: %v", slices.Collect(maps.Keys(spans)))
	}
	if got := attr(spans["POST graphql"][0], "url.path"); got != "/graphql" {
		t.Errorf("HTTP span url.path = %q", got)
	}
	p.stop(t)
}

func attr(s *tracepb.Span, key string) string {
	for _, a := range s.Attributes {
		if a.Key == key {
			return a.Value.GetStringValue()
		}
	}
	return ""
}
