package main

import (
	"cartograph/bench/shapes"
	"fmt"
	"runtime"
	"strings"
	"time"
)

// render writes the results as a markdown table: Cartograph per shape and
// surface beside the peer's figures for the shape and pgbench's limit.
func render(o options, importTime time.Duration, rows []row, peer map[string]row, limits map[string]result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Scale %s, %s, %d connections, %d runs of %s (median run; range of req/s), %d CPUs; import %.1fs.\n\n",
		o.scale, time.Now().UTC().Format("2006-01-02"), o.conns, o.runs, o.duration, runtime.NumCPU(), importTime.Seconds())
	b.WriteString("| shape | surface | req/s | p50 ms | p99 ms | SQL stmts/req | RSS MiB (peak) | PostGraphile req/s | its p99 ms | its stmts | ratio | pgbench tx/s | of limit |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| %s | %s | %.0f (%.0f–%.0f) | %.1f | %.1f | %.2f | %.0f (%.0f) |",
			kindNames[r.shape.kind], r.shape.surface, r.res.rps, r.res.minRPS, r.res.maxRPS, r.res.p50, r.res.p99,
			r.statements, r.rss, r.peak)
		if p, ok := peer[r.shape.kind]; ok {
			fmt.Fprintf(&b, " %.0f | %.1f | %.2f | **%.1f×** |", p.res.rps, p.res.p99, p.statements, r.res.rps/p.res.rps)
		} else {
			b.WriteString(" – | – | – | – |")
		}
		if l, ok := limits[r.shape.kind]; ok {
			fmt.Fprintf(&b, " %.0f | %.0f %% |\n", l.rps, 100*r.res.rps/l.rps)
		} else {
			b.WriteString(" – | – |\n")
		}
	}
	if p, ok := peer[shapes.Page]; ok {
		fmt.Fprintf(&b, "\nPostGraphile RSS after its runs: %.0f MiB (peak %.0f).\n", p.rss, p.peak)
	}
	return b.String()
}
