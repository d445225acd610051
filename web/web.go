// Package web is Cartograph's HTTP edge: it routes to the API surfaces
// (GraphQL, Configure8 REST, Configmonkey REST) and wraps each in the same
// middleware — request log, panic recovery, body limit, timeout and API-key
// authentication — rendering failures through the surface's own error writer,
// so each surface keeps its documented error shape.
package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
)

// ErrorWriter renders err in a surface's wire shape.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// Surface is one API mounted under a ServeMux pattern.
type Surface struct {
	Pattern    string // e.g. "/graphql", "/public/v1/"
	Handler    http.Handler
	WriteError ErrorWriter
	BodyLimit  int64 // bytes; 0 means DefaultBodyLimit
}

// DefaultBodyLimit is the largest request body accepted (CONTRACT.md §1).
const DefaultBodyLimit = 5 << 20

// Config tunes the edge.
type Config struct {
	Logger  *slog.Logger
	Timeout time.Duration // per request; 0 means 30 s. WebSockets are exempt.
}

// New returns the server's root handler: the surfaces behind authentication,
// GraphiQL at / and the graph page at /graph (pages that hold no data), and
// the unauthenticated /healthz and /readyz.
func New(cfg Config, store *db.DB, surfaces []Surface) http.Handler {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	mux := http.NewServeMux()
	for _, s := range surfaces {
		limit := s.BodyLimit
		if limit <= 0 {
			limit = DefaultBodyLimit
		}
		h := authenticate(store.Keys, s.WriteError, s.Handler)
		h = limitBody(limit, s.WriteError, h)
		h = recoverPanics(cfg.Logger, s.WriteError, h)
		mux.Handle(s.Pattern, h)
	}
	mux.Handle("GET /{$}", graphiQLPage())
	mux.Handle("GET /graphiql/", assetFiles())
	mux.Handle("GET /graph", graphPage())
	mux.Handle("GET /graph/", assetFiles())
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if err := store.Ready(r.Context()); err != nil {
			cfg.Logger.Warn("not ready", "err", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": "database not ready"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "Not Found"})
	})
	return logRequests(cfg.Logger, withTimeout(cfg.Timeout, mux))
}

// KeyFromRequest returns the API key a request carries: the Api-Key header
// (any case) or an Authorization: Bearer token.
func KeyFromRequest(r *http.Request) string {
	if k := r.Header.Get("Api-Key"); k != "" {
		return k
	}
	const bearer = "bearer "
	if h := r.Header.Get("Authorization"); len(h) > len(bearer) && strings.EqualFold(h[:len(bearer)], bearer) {
		return h[len(bearer):]
	}
	return ""
}

// authenticate resolves the request's key into a cartograph.Actor on the
// context; a missing or invalid key is answered with 401 in the surface's shape.
// WebSocket upgrades pass through: their key comes in the connection's init
// payload, checked by the GraphQL transport.
func authenticate(keys *db.Keys, writeError ErrorWriter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		secret := KeyFromRequest(r)
		if secret == "" {
			writeError(w, r, cartograph.Errorf(cartograph.Unauthenticated, "An API key is required: send it as the Api-Key header"))
			return
		}
		actor, err := keys.Authenticate(r.Context(), secret)
		if err != nil {
			writeError(w, r, err)
			return
		}
		if info := requestInfoFrom(r.Context()); info != nil {
			info.actor = actor
		}
		next.ServeHTTP(w, r.WithContext(cartograph.WithActor(r.Context(), actor)))
	})
}

func isWebSocket(r *http.Request) bool {
	return strings.EqualFold(r.Header.Get("Upgrade"), "websocket")
}

// withTimeout bounds a request by d, and detaches it from the client: a
// request whose client goes away runs on to its end (at most d) instead of
// being canceled. Canceling a statement mid-flight makes pgx close its
// connection, and under load the fresh backends that replace such
// connections cost the next requests about a second each
// (docs/benchmark-rounds.md, "a request runs on when its client hangs up").
// WebSockets are exempt: a subscription ends with its connection.
func withTimeout(d time.Duration, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWebSocket(r) {
			next.ServeHTTP(w, r)
			return
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), d)
		defer cancel()
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
