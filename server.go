// Command cartograph is the Cartograph server: a GraphQL API (with GraphiQL at
// /) and REST compatibility surfaces over a PostgreSQL catalog and config store.
//
//	go run .                       serve (PORT, DATABASE_URL; see README.md)
//	go run . keys create --name N --scope read|write --role admin|user [--org O] [--expires 720h]
//	go run . keys list | keys revoke NAME [--org O]
//	go run . pg status | pg stop   the private PostgreSQL cluster
//	go run . import --dir DIR [--org O] [--refused FILE]  bulk-load the benchmark catalog
package main

//go:generate go tool gqlgen generate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"os/signal"
	"syscall"
	"time"

	"cartograph/db"
	"cartograph/graph"
	"cartograph/live"
	"cartograph/metrics"
	"cartograph/rest"
	"cartograph/tracing"
	"cartograph/web"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "cartograph:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	cmd := "serve"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serve(args)
	case "keys":
		return keysCommand(args)
	case "pg":
		return pgCommand(args)
	case "import":
		return importCommand(args)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, usage)
}

const usage = `usage:
  cartograph [serve]
  cartograph keys create --name NAME --scope read|write --role admin|user [--org ORG] [--expires 720h]
  cartograph keys list
  cartograph keys revoke NAME [--org ORG]
  cartograph pg status | pg stop
  cartograph import --dir DIR [--org ORG] [--refused FILE]
                                            load gencatalog NDJSON; FILE lists skipped entity lines (see docs/benchmarks.md)
`

// serve runs the HTTP server until SIGINT or SIGTERM, then lets in-flight
// requests finish (SHUTDOWN_GRACE) and closes the pool. A private PostgreSQL
// cluster it started is left running, for the next start to reuse.
func serve(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("serve takes no arguments (configure it with environment variables)")
	}
	cfg, err := loadConfig()
	if err != nil {
		return err
	}
	log := cfg.logger()
	slog.SetDefault(log)
	tuneGC()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	start := time.Now()
	stopTracing, err := tracing.Setup(ctx)
	if err != nil {
		return fmt.Errorf("tracing: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Warn("flushing traces", "err", err)
		}
	}()
	store, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer store.Close()
	if tracing.Enabled() {
		log.Info("tracing on: OTLP export to the OTEL_EXPORTER_OTLP_* endpoint")
	}
	if key, err := store.Bootstrap(ctx); err != nil {
		return err
	} else if key != nil {
		log.Info("no API keys existed: created the bootstrap key (admin, write, org default)", "name", key.Key.Name)
		fmt.Fprintf(os.Stderr, "\n    Bootstrap API key (admin, write, org %q), shown once:\n\n    %s\n\n"+
			"    Send it as the Api-Key header; make more with `go run . keys create`.\n\n", key.Key.OrgID, key.Secret)
	}

	metrics.RegisterPool(store.Bun().DB)
	go store.WatchKeys(ctx, log)
	if cfg.PprofAddr != "" {
		go servePprof(cfg.PprofAddr, log)
	}
	hub := live.New(store, log)
	defer hub.Close()
	if cfg.ChangeRetention > 0 {
		go pruneChanges(ctx, store, cfg.ChangeRetention, log)
	}
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           newHandler(cfg, store, hub, log),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("ready", "addr", ln.Addr().String(), "graphiql", "http://localhost"+portOf(ln)+"/",
		"startup_ms", time.Since(start).Milliseconds())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", cfg.ShutdownGrace.String())
	// Responses from now on say Connection: close, so clients stop reusing
	// connections that Shutdown is about to close.
	srv.SetKeepAlivesEnabled(false)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// pruneChanges deletes change-log events older than retention, now and then
// hourly. Every server may run it: deleting what another already deleted is
// harmless.
func pruneChanges(ctx context.Context, store *db.DB, retention time.Duration, log *slog.Logger) {
	for {
		n, err := store.Changes.Prune(ctx, time.Now().Add(-retention))
		if err != nil && ctx.Err() == nil {
			log.Warn("pruning the change log", "err", err)
		} else if n > 0 {
			log.Info("pruned the change log", "events", n, "retention", retention.String())
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}

// newHandler wires every surface behind the shared edge middleware.
func newHandler(cfg *config, store *db.DB, hub *live.Hub, log *slog.Logger) http.Handler {
	h := web.New(web.Config{Logger: log, Timeout: cfg.RequestTimeout}, store, []web.Surface{
		{Pattern: "/graphql", Handler: graph.NewHandler(store, graph.Options{
			Logger: log, MaxDepth: cfg.MaxDepth, MaxComplexity: cfg.MaxComplexity, Hub: hub, Trace: tracing.Enabled(),
			GqlgenOnly: cfg.GqlgenOnly,
		}), WriteError: graph.WriteHTTPError},
		{Pattern: "/public/v1/", Handler: rest.Catalog(store), WriteError: rest.WriteCatalogError},
		{Pattern: "/v1/", Handler: rest.Configs(store), WriteError: rest.WriteConfigError, BodyLimit: 1 << 20},
		{Pattern: "GET /metrics", Handler: metrics.Handler(), WriteError: rest.WriteCatalogError},
		{Pattern: "GET /openapi.json", Handler: rest.OpenAPIHandler(), WriteError: rest.WriteCatalogError},
	})
	if tracing.Enabled() {
		h = tracing.HTTP(h, web.SurfaceName)
	}
	return h
}

func portOf(ln net.Listener) string {
	if a, ok := ln.Addr().(*net.TCPAddr); ok {
		return fmt.Sprintf(":%d", a.Port)
	}
	return ""
}

// openStore connects to DATABASE_URL, or to the private cluster (started if
// need be) when it is unset, and applies the migrations.
func openStore(ctx context.Context, cfg *config) (*db.DB, error) {
	url, err := databaseURL(ctx, cfg)
	if err != nil {
		return nil, err
	}
	store, err := db.Open(ctx, url, db.Options{MaxConns: cfg.MaxConns, Hooks: tracing.QueryHooks()})
	if err != nil {
		return nil, err
	}
	if err := store.Migrate(ctx); err != nil {
		store.Close()
		return nil, err
	}
	return store, nil
}

// servePprof serves the runtime profiles (net/http/pprof) on addr, apart from
// the API: they are for operators finding where the time goes, not callers.
func servePprof(addr string, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	log.Info("pprof", "addr", addr)
	srv := &http.Server{Addr: addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	if err := srv.ListenAndServe(); err != nil {
		log.Warn("pprof server", "err", err)
	}
}
