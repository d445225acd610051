package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"cartograph/db"
	"cartograph/db/pglocal"
)

// config is the server's configuration, read from the environment (README.md
// lists every variable).
type config struct {
	Addr           string
	DatabaseURL    string
	MaxConns       int
	MaxDepth       int
	MaxComplexity  int
	RequestTimeout time.Duration
	ShutdownGrace  time.Duration
	// ChangeRetention is how long change-log events are kept; 0 keeps all.
	ChangeRetention time.Duration
	LogFormat       string
	LogLevel        slog.Level
	// PprofAddr, when set, serves net/http/pprof there (keep it on loopback).
	PprofAddr string
	// GqlgenOnly turns off the GraphQL fast path for catalog reads.
	GqlgenOnly bool
}

func loadConfig() (*config, error) {
	c := &config{
		Addr:        ":" + envOr("PORT", "8080"),
		DatabaseURL: os.Getenv("DATABASE_URL"),
		LogFormat:   envOr("LOG_FORMAT", "text"),
		PprofAddr:   os.Getenv("PPROF_ADDR"),
	}
	var err error
	set := func(name string, parse func(string) error) {
		if v := os.Getenv(name); v != "" && err == nil {
			if e := parse(v); e != nil {
				err = fmt.Errorf("%s=%q: %w", name, v, e)
			}
		}
	}
	c.RequestTimeout, c.ShutdownGrace = 30*time.Second, 20*time.Second
	set("DB_MAX_CONNS", intInto(&c.MaxConns))
	set("GRAPHQL_MAX_DEPTH", intInto(&c.MaxDepth))
	set("GRAPHQL_MAX_COMPLEXITY", intInto(&c.MaxComplexity))
	set("REQUEST_TIMEOUT", durationInto(&c.RequestTimeout))
	set("SHUTDOWN_GRACE", durationInto(&c.ShutdownGrace))
	set("CHANGE_RETENTION", durationInto(&c.ChangeRetention))
	set("GRAPHQL_FAST_READS", func(s string) error {
		switch s {
		case "on":
		case "off":
			c.GqlgenOnly = true
		default:
			return fmt.Errorf("want on or off")
		}
		return nil
	})
	set("LOG_LEVEL", func(s string) error { return c.LogLevel.UnmarshalText([]byte(s)) })
	return c, err
}

// Collector defaults for the server, where GOGC and GOMEMLIMIT are unset.
// A GraphQL answer allocates a lot of short-lived objects, and at Go's
// default (GOGC=100 over a ~20 MiB live heap) the collector took ~20 % of
// the server's CPU under load. GOGC=400 collects a quarter as often, and
// the soft limit keeps the heap from growing past 128 MiB whatever GOGC
// would allow (the benchmark's "RSS under load <= 150 MiB"). Measured with
// bench/run.sh: Q1 and Q2 +30-60 % req/s and a lower p99 (docs/benchmark-rounds.md).
const (
	defaultGCPercent   = 400
	defaultMemoryLimit = 128 << 20
)

// gcDefaults returns the collector settings to apply: the defaults above
// for whichever of GOGC and GOMEMLIMIT the environment leaves unset, and 0
// for one it sets (the runtime has read it already).
func gcDefaults(getenv func(string) string) (gcPercent int, memoryLimit int64) {
	if getenv("GOGC") == "" {
		gcPercent = defaultGCPercent
	}
	if getenv("GOMEMLIMIT") == "" {
		memoryLimit = defaultMemoryLimit
	}
	return gcPercent, memoryLimit
}

// tuneGC applies gcDefaults to the running process.
func tuneGC() {
	gcPercent, memoryLimit := gcDefaults(os.Getenv)
	if gcPercent > 0 {
		debug.SetGCPercent(gcPercent)
	}
	if memoryLimit > 0 {
		debug.SetMemoryLimit(memoryLimit)
	}
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func intInto(p *int) func(string) error {
	return func(s string) error {
		n, err := strconv.Atoi(s)
		if err == nil && n < 0 {
			err = fmt.Errorf("must not be negative")
		}
		*p = n
		return err
	}
}

func durationInto(p *time.Duration) func(string) error {
	return func(s string) error {
		d, err := time.ParseDuration(s)
		*p = d
		return err
	}
}

func (c *config) logger() *slog.Logger {
	opts := &slog.HandlerOptions{Level: c.LogLevel}
	if strings.EqualFold(c.LogFormat, "json") {
		return slog.New(slog.NewJSONHandler(os.Stderr, opts))
	}
	return slog.New(slog.NewTextHandler(os.Stderr, opts))
}

// localDatabase is the database Cartograph uses on its private cluster.
const localDatabase = "cartograph"

// databaseURL returns DATABASE_URL, or else starts (or reuses) the private
// cluster and makes sure its cartograph database exists.
func databaseURL(ctx context.Context, c *config) (string, error) {
	if c.DatabaseURL != "" {
		return c.DatabaseURL, nil
	}
	cluster, err := pglocal.Config()
	if err != nil {
		return "", err
	}
	server, err := cluster.Start(ctx, "postgres")
	if err != nil {
		return "", err
	}
	if err := db.EnsureDatabase(ctx, server, localDatabase); err != nil {
		return "", err
	}
	slog.Info("using the private PostgreSQL cluster", "dir", cluster.Dir, "port", cluster.Port)
	return db.WithDatabase(server, localDatabase)
}
