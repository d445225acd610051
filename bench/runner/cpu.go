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

// cpuSample is the CPU time, in clock ticks, spent so far by each process
// of a server and of PostgreSQL.
type cpuSample struct{ server, pg map[int]int64 }

func (m *cpuMeter) sample(server int) cpuSample {
	return cpuSample{server: ticks(withChildren(server)), pg: ticks(children(m.postmaster))}
}

// perRequest sets r's CPU figures from the samples around its n requests.
func (r *result) perRequest(m *cpuMeter, before, after cpuSample, n float64) {
	if n > 0 {
		r.serverCPU = m.tick * float64(spent(before.server, after.server)) / n
		r.pgCPU = m.tick * float64(spent(before.pg, after.pg)) / n
	}
}

// spent is the CPU time the processes alive at the second sample spent
// between the two; one that started in between counts from zero. A process
// that exited in between is left out: its time is gone from /proc, and
// subtracting what it had spent before would make the figure wrong, even
// negative (backends of the previous surface's connections exit during the
// next one's first run). The servers' pools keep their backends open, so
// what is left out is the short-lived psql sessions of the runner.
func spent(before, after map[int]int64) int64 {
	var sum int64
	for pid, t := range after {
		if d := t - before[pid]; d > 0 {
			sum += d
		}
	}
	return sum
}

// ticks reads the user and system time of each of pids, in clock ticks.
func ticks(pids []int) map[int]int64 {
	out := make(map[int]int64, len(pids))
	for _, p := range pids {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p))
		if err != nil {
			continue // gone
		}
		if t, ok := statTicks(string(raw)); ok {
			out[p] = t
		}
	}
	return out
}

// statTicks returns utime+stime from a /proc/PID/stat line. The fields
// after the command name, which is in parentheses and may hold spaces or
// parentheses itself: state is field 3, utime 14 and stime 15.
func statTicks(s string) (int64, bool) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, false
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return u + st, true
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
