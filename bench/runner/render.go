package main

import (
	"cartograph/bench/shapes"
	"fmt"
	"runtime"
	"slices"
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
	renderCPU(&b, rows, peer, limits)
	return b.String()
}

// renderCPU writes the CPU a request cost each server and PostgreSQL in
// the median run, shape by shape, beside what pgbench's rate leaves a
// transaction of the machine's CPUs.
func renderCPU(b *strings.Builder, rows []row, peer map[string]row, limits map[string]result) {
	b.WriteString("\nCPU a request in the median run (/proc: the server with its child processes; PostgreSQL: the postmaster's children):\n\n")
	b.WriteString("| shape | surface | req/s | server CPU ms | PostgreSQL CPU ms | together |\n|---|---|---|---|---|---|\n")
	for _, kind := range []string{shapes.Page, shapes.Graph, shapes.Filter, shapes.Cost} {
		all := slices.DeleteFunc(slices.Clone(rows), func(r row) bool { return r.shape.kind != kind })
		if p, ok := peer[kind]; ok {
			all = append(all, p)
		}
		for _, r := range all {
			fmt.Fprintf(b, "| %s | %s | %.0f | %.3f | %.3f | %.3f |\n", kindNames[kind], r.shape.surface, r.res.rps,
				r.res.serverCPU, r.res.pgCPU, r.res.serverCPU+r.res.pgCPU)
		}
		if l, ok := limits[kind]; ok && l.rps > 0 {
			fmt.Fprintf(b, "| %s | pgbench (%d CPUs at %.0f tx/s) | %.0f | – | – | ≤ %.3f |\n", kindNames[kind], runtime.NumCPU(), l.rps, l.rps,
				float64(runtime.NumCPU())*1000/l.rps)
		}
	}
}
