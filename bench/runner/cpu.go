package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// cpuMeter reads the CPU time that a server (with its child processes) and
// the PostgreSQL cluster (the postmaster's children: the servers'
// backends, and the background workers) spend, from /proc. One wrk run's
// delta over its requests is the CPU a request costs on each side, which
// tells where the time goes beside the req/s.
type cpuMeter struct {
	postmaster int
	tick       float64 // ms per clock tick (USER_HZ)
}

func newCPUMeter(ctx context.Context, pg *cluster) (*cpuMeter, error) {
	dir, err := pg.query(ctx, "postgres", "SHOW data_directory")
	if err != nil {
		return nil, err
	}
	raw, err := os.ReadFile(filepath.Join(dir, "postmaster.pid"))
	if err != nil {
		return nil, err
	}
	first, _, _ := strings.Cut(string(raw), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(first))
	if err != nil {
		return nil, fmt.Errorf("postmaster.pid: %w", err)
	}
	hz := 100.0 // Linux's USER_HZ, unless getconf says otherwise
	if out, err := exec.CommandContext(ctx, "getconf", "CLK_TCK").Output(); err == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64); err == nil && v > 0 {
			hz = v
		}
	}
	return &cpuMeter{postmaster: pid, tick: 1000 / hz}, nil
}

// cpuSample is the CPU time, in ms, spent so far by a server and by
// PostgreSQL.
type cpuSample struct{ server, pg float64 }

func (m *cpuMeter) sample(server int) cpuSample {
	return cpuSample{
		server: m.tick * float64(ticks(withChildren(server))),
		pg:     m.tick * float64(ticks(children(m.postmaster))),
	}
}

// perRequest sets r's CPU figures from the samples around its n requests.
// A backend that exits during the run takes its time with it; the
// servers' pools keep theirs open.
func (r *result) perRequest(before, after cpuSample, n float64) {
	if n > 0 {
		r.serverCPU = (after.server - before.server) / n
		r.pgCPU = (after.pg - before.pg) / n
	}
}

// ticks sums the user and system time of pids, in clock ticks.
func ticks(pids []int) int64 {
	var sum int64
	for _, p := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue // gone
		}
		// Fields after the command name, which is in parentheses and may
		// hold spaces: state is field 3, utime 14 and stime 15.
		s := string(raw)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		sum += u + st
	}
	return sum
}

// children returns pid's child processes.
func children(pid int) []int {
	var out []int
	raw, err := exec.Command("pgrep", "-P", strconv.Itoa(pid)).Output()
	if err != nil {
		return nil
	}
	for _, f := range strings.Fields(string(raw)) {
		if p, err := strconv.Atoi(f); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// withChildren returns pid and its children (PostGraphile's cluster
// workers).
func withChildren(pid int) []int { return append([]int{pid}, children(pid)...) }
