package main

import (
	"cartograph/bench/shapes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wrk drives HTTP load: conns connections on 2 threads, a warm-up, then runs
// measured runs of duration.
type wrk struct {
	duration, warmup string
	runs, conns      int
	dir              string // for the Lua scripts
}

// result is the median run of a measurement and the range of its rates.
type result struct {
	rps, minRPS, maxRPS float64
	p50, p99            float64 // ms; 0 when not measured
	requests            float64
	serverCPU, pgCPU    float64 // ms a request (cpuMeter); 0 when not measured
}

// row is one line of the table.
type row struct {
	shape      shape
	res        result
	statements float64
	rss, peak  float64 // MiB, after the runs
}

// statementSamples is how many sequential requests the statement count
// averages over.
const statementSamples = 100

// target is a shape as measured: its server's database (for the statement
// count) and process (for RSS).
type target struct {
	shape shape
	db    string
	pid   int
}

// measureTogether measures shapes whose figures are compared (one kind's
// shapes on every surface and the peer's), taking their runs in turn:
// run 1 of each, then run 2 of each, and so on. The machine's speed drifts
// by 20-30 % over an hour; measured one after the other, a slow quarter
// of an hour fell on one server's runs and not the other's, and the
// ratio moved with it.
func measureTogether(ctx context.Context, w wrk, pg *cluster, cpu *cpuMeter, ts []target) ([]row, error) {
	rows := make([]row, len(ts))
	for i, t := range ts {
		s := t.shape
		rows[i].shape = s
		var err error
		rows[i].statements, err = pg.statements(ctx, t.db, statementSamples, func() error {
			for range statementSamples {
				if _, err := post(s); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if err := w.script(s); err != nil {
			return nil, err
		}
		if _, err := w.once(ctx, s, w.warmup); err != nil {
			return nil, err
		}
	}
	runs := make([][]result, len(ts))
	for range w.runs {
		for i, t := range ts {
			before := cpu.sample(t.pid)
			r, err := w.once(ctx, t.shape, w.duration)
			if err != nil {
				return nil, err
			}
			r.perRequest(cpu, before, cpu.sample(t.pid), r.requests)
			fmt.Printf("     %-22s %8.1f req/s  p50 %6.2f ms  p99 %7.2f ms  CPU ms/req: server %.3f, PostgreSQL %.3f\n",
				t.shape.id, r.rps, r.p50, r.p99, r.serverCPU, r.pgCPU)
			runs[i] = append(runs[i], r)
		}
	}
	for i, t := range ts {
		rows[i].res = median(runs[i])
		rows[i].rss, rows[i].peak = rss(t.pid)
	}
	return rows, nil
}

// script writes the wrk script that sends s's request.
func (w wrk) script(s shape) error {
	var lua strings.Builder
	lua.WriteString("wrk.method = \"POST\"\n")
	for k, v := range s.headers {
		fmt.Fprintf(&lua, "wrk.headers[%q] = %q\n", k, v)
	}
	fmt.Fprintf(&lua, "wrk.body = [==[%s]==]\n", s.body)
	return os.WriteFile(w.scriptPath(s), []byte(lua.String()), 0o600)
}

func (w wrk) scriptPath(s shape) string { return filepath.Join(w.dir, s.id+".lua") }

// once runs wrk with s's script for duration d.
func (w wrk) once(ctx context.Context, s shape, d string) (result, error) {
	out, err := exec.CommandContext(ctx, "wrk", "-t2", "-c"+strconv.Itoa(w.conns), "-d"+d, "--timeout", "10s", "--latency",
		"-s", w.scriptPath(s), s.url).Output()
	if err != nil {
		return result{}, fmt.Errorf("wrk: %w", err)
	}
	r, err := parseWrk(string(out))
	if err != nil {
		return result{}, fmt.Errorf("%s: %w\n%s", s.id, err, out)
	}
	return r, nil
}

var (
	wrkRPS      = regexp.MustCompile(`Requests/sec:\s+([\d.]+)`)
	wrkRequests = regexp.MustCompile(`(\d+) requests in`)
	wrkLatency  = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([\d.]+)(us|ms|s)\b`)
	wrkBad      = regexp.MustCompile(`Non-2xx or 3xx responses: (\d+)|Socket errors: .*`)
)

func parseWrk(out string) (result, error) {
	var r result
	if m := wrkBad.FindString(out); m != "" {
		return r, fmt.Errorf("%s", m)
	}
	m := wrkRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec in wrk's output")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if n := wrkRequests.FindStringSubmatch(out); n != nil {
		r.requests, _ = strconv.ParseFloat(n[1], 64)
	}
	for _, l := range wrkLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(l[2], 64)
		v *= map[string]float64{"us": 0.001, "ms": 1, "s": 1000}[l[3]]
		if l[1] == "50" {
			r.p50 = v
		} else {
			r.p99 = v
		}
	}
	return r, nil
}

// median returns the run with the median rate, and the rates' range.
func median(runs []result) result {
	slices.SortFunc(runs, func(a, b result) int {
		switch {
		case a.rps < b.rps:
			return -1
		case a.rps > b.rps:
			return 1
		}
		return 0
	})
	m := runs[len(runs)/2]
	m.minRPS, m.maxRPS = runs[0].rps, runs[len(runs)-1].rps
	return m
}

// limitScript is a shape's minimal SQL (../shared/bench/README.md) for
// pgbench, over the peer's plain schema: one pgbench transaction is what one
// request needs, ids of a level coming from the level before.
type limitScript struct {
	shape string // shapes.Page ... shapes.Cost
	sql   string
}

func limitScripts(m *shapes.Manifest) []limitScript {
	page := func(n int) string {
		return fmt.Sprintf("select id from catalog.entities where type = 'service' order by name limit %d", n)
	}
	return []limitScript{
		{shapes.Page, "select id, name, tags from catalog.entities where type = 'service' order by name limit 50;\n"},
		{shapes.Graph, page(20) + ";\n" +
			"select r.source_id, t.name from catalog.relations r join catalog.entities t on t.id = r.target_id where r.source_id = any(array(" + page(20) + ")) and r.label = 'depends_on';\n" +
			"select r.source_id, t.id, t.name from catalog.relations r join catalog.entities t on t.id = r.target_id where r.source_id = any(array(" + page(20) + ")) and r.label = 'has_environment';\n" +
			"select r.source_id, t.name, t.provider from catalog.relations r join catalog.entities t on t.id = r.target_id where r.source_id = any(array(" +
			"select target_id from catalog.relations where source_id = any(array(" + page(20) + ")) and label = 'has_environment')) and r.label = 'contains';\n"},
		{shapes.Filter, `select s.name from catalog.entities s where s.type = 'service' and s.meta_tags @> '[{"name":"tier","value":"1"}]' and exists (select 1 from catalog.relations he join catalog.entities e on e.id = he.target_id where he.source_id = s.id and he.label = 'has_environment' and e.name like '%prod%' and exists (select 1 from catalog.relations rc join catalog.entities r on r.id = rc.target_id where rc.source_id = e.id and rc.label = 'contains' and r.provider = 'AWS')) order by s.name limit 50;` + "\n"},
		{shapes.Cost, fmt.Sprintf(`select s.name, coalesce(sum(c.cost), 0) as cost from (%s) s0 join catalog.entities s on s.id = s0.id left join catalog.relations he on he.source_id = s.id and he.label = 'has_environment' left join catalog.relations rc on rc.source_id = he.target_id and rc.label = 'contains' left join catalog.costs c on c.resource_id = rc.target_id and c.operation = 'TOTAL' and c.date between '%s' and '%s' group by s.name order by s.name;`+"\n",
			page(20), m.Expected.Q4Cost.From, m.Expected.Q4Cost.To)},
	}
}

var (
	pgbenchTPS     = regexp.MustCompile(`tps = ([\d.]+) \(without initial connection time\)`)
	pgbenchLatency = regexp.MustCompile(`latency average = ([\d.]+) ms`)
)

// pgbench runs a limit script like wrk runs a shape: same connections,
// duration and number of runs, prepared statements.
func pgbench(ctx context.Context, pg *cluster, w wrk, q limitScript) (result, error) {
	script := filepath.Join(w.dir, "limit-"+q.shape+".sql")
	if err := os.WriteFile(script, []byte(q.sql), 0o600); err != nil {
		return result{}, err
	}
	d, err := time.ParseDuration(w.duration)
	if err != nil {
		return result{}, err
	}
	var runs []result
	for range w.runs {
		cmd := exec.CommandContext(ctx, "pgbench", "-n", "-M", "prepared", "-c", strconv.Itoa(w.conns), "-j", "2",
			"-T", strconv.Itoa(int(d.Seconds())), "-f", script, "-h", "127.0.0.1", "-p", pg.port, "-U", "postgres", "peer")
		out, err := cmd.CombinedOutput()
		if err != nil {
			return result{}, fmt.Errorf("pgbench %s: %w\n%s", q.shape, err, out)
		}
		m := pgbenchTPS.FindStringSubmatch(string(out))
		if m == nil {
			return result{}, fmt.Errorf("pgbench %s: no tps in\n%s", q.shape, out)
		}
		var r result
		r.rps, _ = strconv.ParseFloat(m[1], 64)
		if l := pgbenchLatency.FindStringSubmatch(string(out)); l != nil {
			r.p50, _ = strconv.ParseFloat(l[1], 64) // the average, shown as such
		}
		fmt.Printf("     run: %8.1f tps  latency average %.2f ms\n", r.rps, r.p50)
		runs = append(runs, r)
	}
	return median(runs), nil
}

// peerShapes are the peer's request bodies (peer/queries/*.json); Q4 is its
// custom SQL function variant, the faster of its two.
var peerShapes = []struct{ file, kind string }{
	{"q1-page", shapes.Page}, {"q2-graph", shapes.Graph}, {"q3-filter", shapes.Filter}, {"q4-fn", shapes.Cost},
}

// startPeer loads the data set into the peer's database, starts
// PostGraphile and checks its answers (peer/check.js). It returns the
// peer's shape of each kind, measured beside Cartograph's, and stop.
func startPeer(ctx context.Context, peerDir, data string, pg *cluster) (_ map[string]target, _ func(), err error) {
	if err := pg.ensureLoaded(ctx, peerDir, data); err != nil {
		return nil, nil, err
	}
	if err := sh(ctx, nil, "node", filepath.Join(peerDir, "queries", "build.js"), filepath.Join(data, "manifest.json")); err != nil {
		return nil, nil, err
	}
	ps := filepath.Join(peerDir, "postgraphile.sh")
	_ = sh(ctx, nil, ps, "stop")
	if err := sh(ctx, nil, ps, "start", "peer"); err != nil {
		return nil, nil, err
	}
	stop := func() { _ = sh(context.WithoutCancel(ctx), nil, ps, "stop") }
	defer func() { // on any error from here, the peer does not stay up
		if err != nil {
			stop()
		}
	}()
	if err := sh(ctx, nil, "node", filepath.Join(peerDir, "check.js"), data); err != nil {
		return nil, nil, fmt.Errorf("the peer's answers: %w", err)
	}
	raw, err := os.ReadFile("/tmp/peer-postgraphile-5050.pid")
	if err != nil {
		return nil, nil, err
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(raw)))
	out := map[string]target{}
	for _, p := range peerShapes {
		body, err := os.ReadFile(filepath.Join(peerDir, "queries", p.file+".json"))
		if err != nil {
			return nil, nil, err
		}
		out[p.kind] = target{shape{id: "peer-" + p.file, kind: p.kind, surface: "PostGraphile", url: "http://127.0.0.1:5050/graphql",
			body: strings.TrimSpace(string(body)), headers: map[string]string{"Content-Type": "application/json"}}, "peer", pid}
	}
	return out, stop, nil
}

// floorServer is one of bench/floor's servers: its shape id, its -http
// and the surface the table names.
type floorServer struct{ id, http, surface string }

// floors are bench/floor's two servers: each is measured beside
// Cartograph's Q1 as a floor of what a Go server on these libraries (and
// on Go's net package alone) reaches.
var floors = []floorServer{
	{"q1-floor", "net/http", "floor: net/http + pgx, minimal SQL"},
	{"q1-floor-bare", "bare", "floor: bare net + pgx, minimal SQL"},
}

// startFloorShapes starts bench/floor's servers over the peer's database
// with Q1's limit script and checks their answers like Cartograph's. It
// returns their Q1 shapes, measured beside Cartograph's Q1, and stop.
func startFloorShapes(ctx context.Context, work string, pg *cluster, peerDir, data string, m *shapes.Manifest, exp *shapes.Expected) ([]target, func(), error) {
	if err := pg.ensureLoaded(ctx, peerDir, data); err != nil {
		return nil, nil, err
	}
	var sql string
	for _, q := range limitScripts(m) {
		if q.shape == shapes.Page {
			sql = strings.TrimSuffix(strings.TrimSpace(q.sql), ";")
		}
	}
	var ts []target
	var stops []func()
	stop := func() {
		for _, s := range stops {
			s()
		}
	}
	for _, f := range floors {
		srv, err := startFloor(ctx, work, pg, sql, f)
		if err != nil {
			stop()
			return nil, nil, err
		}
		stops = append(stops, srv.stop)
		s := shape{id: f.id, kind: shapes.Page, surface: f.surface, url: srv.url + "/q1",
			body: "{}", headers: map[string]string{"Content-Type": "application/json"}}
		body, err := post(s)
		if err == nil {
			err = exp.Check(s.kind, false, body)
		}
		if err != nil {
			stop()
			return nil, nil, fmt.Errorf("%s: wrong answer: %w", s.id, err)
		}
		fmt.Printf("ok   %s\n", s.id)
		ts = append(ts, target{s, "peer", srv.pid})
	}
	return ts, stop, nil
}
