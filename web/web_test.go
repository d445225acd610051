package web_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
	"cartograph/internal/chromium"
	"cartograph/rest"
	"cartograph/web"
)

var testDB *db.DB

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, &testDB)) }

// newServer serves one test surface at /public/v1/ behind the edge middleware
// and returns its URL, a key for it, and the log it writes.
func newServer(t *testing.T, h http.Handler) (string, string, *bytes.Buffer) {
	return newServerWith(t, web.Config{}, h)
}

// newServerWith is newServer with the edge configured as cfg (its logger
// is the returned log's).
func newServerWith(t *testing.T, cfg web.Config, h http.Handler) (string, string, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cfg.Logger = slog.New(slog.NewTextHandler(&syncWriter{w: &logs}, nil))
	handler := web.New(cfg, testDB, []web.Surface{
		{Pattern: "/public/v1/", Handler: h, WriteError: rest.WriteCatalogError},
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	k, err := testDB.Keys.Issue(context.Background(), cartograph.NewAPIKey{
		Name: t.Name(), OrgID: "web", Scope: cartograph.ScopeWrite, Role: cartograph.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	return srv.URL, k.Secret, &logs
}

type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(b []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(b)
}

func send(t *testing.T, method, url, key string, body io.Reader) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Api-Key", key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func TestPanicBecomesInternalError(t *testing.T) {
	url, key, logs := newServer(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret detail: password=hunter2")
	}))
	status, body := send(t, "GET", url+"/public/v1/boom", key, nil)
	if status != http.StatusInternalServerError {
		t.Fatalf("status = %d", status)
	}
	if strings.Contains(body, "hunter2") || !strings.Contains(body, `"statusCode":500`) {
		t.Errorf("body must be the Configure8 500 shape and leak nothing: %s", body)
	}
	if !strings.Contains(logs.String(), "hunter2") {
		t.Errorf("the panic should be logged for operators")
	}
	// The server still serves.
	if status, _ := send(t, "GET", url+"/healthz", "", nil); status != http.StatusOK {
		t.Errorf("healthz after a panic = %d", status)
	}
}

func TestChunkedBodyOverLimit(t *testing.T) {
	var reached bool
	url, key, _ := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { reached = true }))
	// An io.Reader of unknown length is sent chunked, without Content-Length.
	body := io.MultiReader(strings.NewReader(`{"x":"`), strings.NewReader(strings.Repeat("a", web.DefaultBodyLimit)), strings.NewReader(`"}`))
	status, resp := send(t, "POST", url+"/public/v1/anything", key, body)
	if status != http.StatusRequestEntityTooLarge || !strings.Contains(resp, `"statusCode":413`) {
		t.Fatalf("status = %d %s, want 413", status, resp)
	}
	if reached {
		t.Error("the handler ran on an oversized body")
	}
}

func TestRequestLogNamesKeyNeverSecret(t *testing.T) {
	url, key, logs := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	send(t, "GET", url+"/public/v1/x", key, nil)
	line := logs.String()
	for _, want := range []string{"method=GET", "path=/public/v1/x", "status=204", "duration_ms=", "key=" + t.Name(), "org=web"} {
		if !strings.Contains(line, want) {
			t.Errorf("log %q lacks %q", line, want)
		}
	}
	if strings.Contains(line, key) || strings.Contains(line, key[:12]) {
		t.Error("the log contains the key")
	}
}

// TestGraphiQLInChromium loads the playground in a real headless Chromium
// that cannot resolve any host but 127.0.0.1: the page renders only if every
// asset it needs is served by Cartograph itself.
func TestGraphiQLInChromium(t *testing.T) {
	var mu sync.Mutex
	var served []string
	h := web.New(web.Config{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, testDB, nil)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served = append(served, r.URL.Path)
		mu.Unlock()
		h.ServeHTTP(w, r)
	}))
	defer srv.Close()

	dom := chromium.Run(t, srv.URL+"/", "--dump-dom")
	for _, want := range []string{"graphiql-container", "graphiql-editor", "Headers"} {
		if !strings.Contains(dom, want) {
			t.Errorf("rendered page lacks %q: GraphiQL did not start\n%.2000s", want, dom)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, want := range []string{"/graphiql/graphiql.min.js", "/graphiql/react.production.min.js", "/graphql"} {
		found := false
		for _, p := range served {
			found = found || p == want
		}
		if !found {
			t.Errorf("the page did not request %s (requests: %v)", want, served)
		}
	}
}

// TestClientGoneRequestRunsOn: a client that hangs up does not cancel the
// statement its request is running (canceling it would cost the pool its
// connection), while the request timeout still bounds the work.
func TestClientGoneRequestRunsOn(t *testing.T) {
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		wantErr error // of the statement
	}{
		{"runs to its end", 30 * time.Second, nil},
		{"still bounded by the timeout", 300 * time.Millisecond, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			started, done := make(chan struct{}, 1), make(chan error, 1)
			url, key, _ := newServerWith(t, web.Config{Timeout: tc.timeout}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				started <- struct{}{}
				_, err := testDB.Bun().ExecContext(r.Context(), "SELECT pg_sleep(1)")
				done <- err
			}))
			ctx, hangUp := context.WithCancel(t.Context())
			defer hangUp()
			req, _ := http.NewRequestWithContext(ctx, "GET", url+"/public/v1/slow", nil)
			req.Header.Set("Api-Key", key)
			answered := make(chan error, 1)
			go func() {
				res, err := http.DefaultClient.Do(req)
				if err == nil {
					res.Body.Close()
				}
				answered <- err
			}()
			select {
			case <-started:
				hangUp() // while the statement runs
			case <-time.After(10 * time.Second):
				t.Fatal("the request never reached the handler")
			}
			if err := <-answered; err == nil {
				t.Fatal("the client got an answer before hanging up")
			}
			select {
			case err := <-done:
				if !errors.Is(err, tc.wantErr) || (err == nil) != (tc.wantErr == nil) {
					t.Errorf("statement error = %v, want %v", err, tc.wantErr)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the handler did not finish")
			}
		})
	}
}
