package web

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/metrics"
)

// requestInfo is what inner middleware tells the request log.
type requestInfo struct {
	actor *cartograph.Actor
}

type requestInfoKey struct{}

func requestInfoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(requestInfoKey{}).(*requestInfo)
	return info
}

// logRequests writes one structured line per request: method, path, status,
// duration, bytes, SQL statements, and the key's name and org — never the key.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		ctx, statements := db.WithStatementCount(context.WithValue(r.Context(), requestInfoKey{}, info))
		rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(rec, r.WithContext(ctx))
		elapsed, sql := time.Since(start), statements.Load()
		metrics.Request(SurfaceName(r.URL.Path), r.Method, rec.status, elapsed, sql)
		level := slog.LevelInfo
		if rec.status >= 500 {
			level = slog.LevelError
		}
		if !log.Enabled(r.Context(), level) {
			return // no attributes boxed for a line nobody reads
		}
		attrs := []any{
			"method", r.Method,
			"path", r.URL.Path,
			"status", rec.status,
			"duration_ms", float64(elapsed.Microseconds()) / 1000,
			"bytes", rec.bytes,
			"sql", sql,
		}
		if info.actor != nil {
			attrs = append(attrs, "key", info.actor.KeyName, "org", info.actor.OrgID)
		}
		log.Log(r.Context(), level, "request", attrs...)
	})
}

// SurfaceName labels a path by the API surface it belongs to, so metrics keep
// a bounded number of label values whatever paths clients send.
func SurfaceName(path string) string {
	switch {
	case path == "/graphql":
		return "graphql"
	case strings.HasPrefix(path, "/public/v1/"):
		return "catalog"
	case strings.HasPrefix(path, "/v1/"):
		return "configs"
	case path == "/metrics":
		return "metrics"
	case path == "/healthz" || path == "/readyz":
		return "health"
	case path == "/" || strings.HasPrefix(path, "/graphiql/"):
		return "graphiql"
	case path == "/graph" || strings.HasPrefix(path, "/graph/"):
		return "graphpage"
	}
	return "other"
}

// statusRecorder remembers the status and size of a response. It passes
// Flush and Hijack through for streaming and WebSockets.
type statusRecorder struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wroteHeader {
		s.status, s.wroteHeader = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	s.wroteHeader = true
	n, err := s.ResponseWriter.Write(b)
	s.bytes += int64(n)
	return n, err
}

func (s *statusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := s.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack not supported")
	}
	s.status = http.StatusSwitchingProtocols
	return h.Hijack()
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// recoverPanics turns a panic in a handler into an INTERNAL error in the
// surface's shape; the stack goes to the log, never to the client.
func recoverPanics(log *slog.Logger, writeError ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler { //nolint:errorlint // sentinel compared as net/http does
				panic(v)
			}
			log.Error("panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			writeError(w, r, cartograph.InternalError(fmt.Errorf("panic: %v", v)))
		}()
		next.ServeHTTP(w, r)
	})
}

// limitBody reads the request body up to limit bytes before the handler runs,
// answering 413 in the surface's shape when it is larger. Handlers then read
// from memory and never see a half-read body.
func limitBody(limit int64, writeError ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		tooLarge := cartograph.Errorf(cartograph.TooLarge, "The request body is larger than %d bytes", limit)
		if r.ContentLength > limit {
			writeError(w, r, tooLarge)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			writeError(w, r, tooLarge)
			return
		}
		if err != nil {
			writeError(w, r, cartograph.Errorf(cartograph.Invalid, "The request body could not be read"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		next.ServeHTTP(w, r)
	})
}
