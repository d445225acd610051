// Command runner is the benchmark of issue 10, run by bench/run.sh: it
// generates the shared catalog data set, imports it into a fresh database,
// starts Cartograph, checks each query shape's answer against manifest.json,
// then measures the shapes over GraphQL and the REST query builder with wrk,
// beside the PostGraphile peer (../shared/bench/peer) and pgbench running the
// shapes' minimal SQL, and prints one table.
//
// Everything runs on the peer's private PostgreSQL cluster (127.0.0.1:54331,
// pg_stat_statements loaded), so both servers and pgbench see the same
// database server, settings and data.
package main

import (
	"cartograph/bench/shapes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

type options struct {
	scale    string
	dataRoot string
	shared   string // ../shared
	duration string
	warmup   string
	runs     int
	conns    int
	peer     bool
	pgbench  bool
	floor    bool
	shapes   string
	out      string
}

func main() {
	var o options
	flag.StringVar(&o.scale, "scale", "1", "data set scale (gencatalog -scale)")
	flag.StringVar(&o.dataRoot, "data", "/tmp/cartograph-bench", "folder for generated data sets (scale<N> below it)")
	flag.StringVar(&o.shared, "shared", "../shared", "the shared folder (bench/gencatalog, bench/peer)")
	flag.StringVar(&o.duration, "duration", "15s", "length of each measured wrk run")
	flag.StringVar(&o.warmup, "warmup", "3s", "wrk warm-up before the measured runs")
	flag.IntVar(&o.runs, "runs", 3, "measured runs per shape (the median is reported)")
	flag.IntVar(&o.conns, "conns", 16, "connections (wrk and pgbench)")
	flag.BoolVar(&o.peer, "peer", true, "also measure the PostGraphile peer")
	flag.BoolVar(&o.pgbench, "pgbench", true, "also measure the shapes' minimal SQL with pgbench")
	flag.BoolVar(&o.floor, "floor", true, "also measure bench/floor, Q1 over net/http (and over bare net) and pgx, beside Q1")
	flag.StringVar(&o.shapes, "shapes", "", "comma-separated subset of shape ids to run (e.g. q2-graphql,q3-rest)")
	flag.StringVar(&o.out, "out", "", "also write the table (markdown) to this file")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	shared, err := filepath.Abs(o.shared)
	if err != nil {
		return err
	}
	peerDir := filepath.Join(shared, "bench", "peer")
	data := filepath.Join(o.dataRoot, "scale"+o.scale)
	if _, err := os.Stat(filepath.Join(data, "manifest.json")); err != nil {
		step("generating scale %s into %s", o.scale, data)
		if err := sh(ctx, nil, "go", "run", filepath.Join(shared, "bench", "gencatalog", "main.go"),
			"-scale", o.scale, "-seed", "1", "-out", data); err != nil {
			return err
		}
	}
	m, err := shapes.ReadManifest(data)
	if err != nil {
		return err
	}
	step("starting PostgreSQL (peer/pg.sh, 127.0.0.1:54331)")
	if err := sh(ctx, nil, filepath.Join(peerDir, "pg.sh"), "start"); err != nil {
		return err
	}
	pg := &cluster{port: "54331"}

	work, err := os.MkdirTemp("", "cartograph-bench-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(work) }()
	bin := filepath.Join(work, "cartograph")
	step("building cartograph")
	if err := sh(ctx, nil, "go", "build", "-o", bin, "."); err != nil {
		return err
	}
	const dbName = "cartograph_bench"
	if err := pg.recreate(ctx, dbName); err != nil {
		return err
	}
	dsn := pg.url(dbName)
	env := append(os.Environ(), "DATABASE_URL="+dsn, "LOG_LEVEL=warn")
	step("importing %s", data)
	start := time.Now()
	if err := sh(ctx, env, bin, "import", "--dir", data, "--org", benchOrg); err != nil {
		return err
	}
	importTime := time.Since(start)
	key, err := output(ctx, env, bin, "keys", "create", "--name", "bench", "--scope", "read", "--role", "user", "--org", benchOrg)
	if err != nil {
		return err
	}
	srv, err := startServer(ctx, bin, env, work)
	if err != nil {
		return err
	}
	defer srv.stop()

	todo := cartographShapes(m, srv.url, key)
	if o.shapes != "" {
		todo = filterShapes(todo, o.shapes)
	}
	step("checking answers against manifest.json")
	ids, err := pg.query(ctx, dbName, "SELECT id FROM entities WHERE org_id = '"+benchOrg+"'")
	if err != nil {
		return err
	}
	imported := map[string]bool{}
	for _, id := range strings.Fields(ids) {
		imported[id] = true
	}
	exp, err := shapes.LoadExpected(data, m, func(id string) bool { return imported[id] })
	if err != nil {
		return err
	}
	for _, s := range todo {
		body, err := post(s)
		if err == nil {
			err = exp.Check(s.kind, strings.HasPrefix(s.surface, "REST"), body)
		}
		if err != nil {
			return fmt.Errorf("%s: wrong answer: %w", s.id, err)
		}
		fmt.Printf("ok   %s\n", s.id)
	}
	w := wrk{duration: o.duration, warmup: o.warmup, runs: o.runs, conns: o.conns, dir: work}
	var peer map[string]target
	if o.peer {
		step("starting the peer (PostGraphile)")
		var stop func()
		if peer, stop, err = startPeer(ctx, peerDir, data, pg); err != nil {
			return err
		}
		defer stop()
	}
	var floorTargets []target
	if o.floor && slices.ContainsFunc(todo, func(s shape) bool { return s.kind == shapes.Page }) {
		step("starting the floors (bench/floor on net/http, and bare)")
		var stop func()
		if floorTargets, stop, err = startFloorShapes(ctx, work, pg, peerDir, data, m, exp); err != nil {
			return err
		}
		defer stop()
	}
	cpu, err := newCPUMeter(ctx, pg)
	if err != nil {
		return err
	}
	measured := map[string]row{} // by shape id
	for _, kind := range []string{shapes.Page, shapes.Graph, shapes.Filter, shapes.Cost} {
		var ts []target
		for _, s := range todo {
			if s.kind == kind {
				ts = append(ts, target{s, dbName, srv.pid})
			}
		}
		if len(ts) == 0 {
			continue
		}
		if kind == shapes.Page {
			ts = append(ts, floorTargets...)
		}
		if p, ok := peer[kind]; ok {
			ts = append(ts, p)
		}
		step("measuring %s, run by run in turn", kindNames[kind])
		rs, err := measureTogether(ctx, w, pg, cpu, ts)
		if err != nil {
			return err
		}
		for _, r := range rs {
			measured[r.shape.id] = r
		}
	}
	var rows []row // in the shapes' order, then the floors
	for _, s := range todo {
		rows = append(rows, measured[s.id])
	}
	for _, f := range floorTargets {
		rows = append(rows, measured[f.shape.id])
	}
	peerRows := map[string]row{}
	for kind, p := range peer {
		if r, ok := measured[p.shape.id]; ok {
			peerRows[kind] = r
		}
	}
	limits := map[string]result{}
	if o.pgbench {
		if err := pg.ensureLoaded(ctx, peerDir, data); err != nil {
			return err
		}
		for _, q := range limitScripts(m) {
			step("pgbench %s", q.shape)
			r, err := pgbench(ctx, pg, w, q)
			if err != nil {
				return err
			}
			limits[q.shape] = r
		}
	}
	table := render(o, importTime, rows, peerRows, limits)
	fmt.Println()
	fmt.Print(table)
	if o.out != "" {
		return os.WriteFile(o.out, []byte(table), 0o600)
	}
	return nil
}

// benchOrg is the org the data set is imported into.
const benchOrg = "bench"

func filterShapes(all []shape, list string) []shape {
	var out []shape
	for _, s := range all {
		for _, id := range strings.Split(list, ",") {
			if s.id == strings.TrimSpace(id) {
				out = append(out, s)
			}
		}
	}
	return out
}

func step(format string, args ...any) {
	fmt.Printf("==> "+format+"\n", args...)
}

// sh runs a command with its output passed through, in env (nil: this
// process's environment).
func sh(ctx context.Context, env []string, name string, args ...string) error {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	return nil
}

// output runs a command and returns the last line of its stdout.
func output(ctx context.Context, env []string, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = env
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s %s: %w", name, strings.Join(args, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.TrimSpace(lines[len(lines)-1]), nil
}
