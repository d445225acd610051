package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// cluster is the peer's private PostgreSQL cluster, reached with psql.
type cluster struct {
	port       string
	peerLoaded bool // load.sh ran in this run
}

func (c *cluster) url(db string) string {
	return "postgres://postgres@127.0.0.1:" + c.port + "/" + db + "?sslmode=disable"
}

func psqlBin() string {
	if p, err := exec.LookPath("psql"); err == nil {
		return p
	}
	return "/usr/lib/postgresql/15/bin/psql"
}

// query runs sql in db and returns psql's unaligned, tuples-only output.
func (c *cluster) query(ctx context.Context, db, sql string) (string, error) {
	cmd := exec.CommandContext(ctx, psqlBin(), "-X", "-q", "-tA", "-v", "ON_ERROR_STOP=1",
		"-h", "127.0.0.1", "-p", c.port, "-U", "postgres", "-d", db, "-c", sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("psql %s: %w\n%s", db, err, out)
	}
	return strings.TrimSpace(string(out)), nil
}

// recreate drops db (closing its sessions) and creates it empty, with
// pg_stat_statements to count the server's statements.
func (c *cluster) recreate(ctx context.Context, db string) error {
	if _, err := c.query(ctx, "postgres", "DROP DATABASE IF EXISTS "+db+" WITH (FORCE)"); err != nil {
		return err
	}
	if _, err := c.query(ctx, "postgres", "CREATE DATABASE "+db); err != nil {
		return err
	}
	_, err := c.query(ctx, db, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
	return err
}

// ensureLoaded loads the data set into the peer's database unless this run
// already did.
func (c *cluster) ensureLoaded(ctx context.Context, peerDir, data string) error {
	if c.peerLoaded {
		return nil
	}
	step("loading %s into the peer database (peer/load.sh)", data)
	if err := sh(ctx, nil, filepath.Join(peerDir, "load.sh"), data, "peer"); err != nil {
		return err
	}
	c.peerLoaded = true
	return nil
}

// statements counts the top-level statements db ran while fn ran (it must
// be the only client), per call of fn's n requests.
func (c *cluster) statements(ctx context.Context, db string, n int, fn func() error) (float64, error) {
	if _, err := c.query(ctx, db, "SELECT pg_stat_statements_reset()"); err != nil {
		return 0, err
	}
	if err := fn(); err != nil {
		return 0, err
	}
	out, err := c.query(ctx, db, `SELECT coalesce(sum(calls), 0) FROM pg_stat_statements s
		JOIN pg_database d ON d.oid = s.dbid
		WHERE d.datname = current_database() AND toplevel AND query NOT ILIKE '%pg_stat_statements%'`)
	if err != nil {
		return 0, err
	}
	calls, err := strconv.ParseFloat(out, 64)
	return calls / float64(n), err
}

// server is a running cartograph (or floor) process.
type server struct {
	cmd *exec.Cmd
	pid int
	url string
}

func startServer(ctx context.Context, bin string, env []string, work string) (*server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin)
	cmd.Env = append(env, "PORT="+port)
	return start(cmd, "http://127.0.0.1:"+port, filepath.Join(work, "server.log"))
}

// startFloor builds bench/floor and starts it as f over the peer's
// database (loaded by then), running sql for every request.
func startFloor(ctx context.Context, work string, pg *cluster, sql string, f floorServer) (*server, error) {
	bin := filepath.Join(work, "floor")
	if err := sh(ctx, nil, "go", "build", "-o", bin, "./bench/floor"); err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, bin, "-addr", "127.0.0.1:"+port, "-dsn", pg.url("peer"), "-sql", sql, "-http", f.http)
	return start(cmd, "http://127.0.0.1:"+port, filepath.Join(work, f.id+".log"))
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer func() { _ = ln.Close() }()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port), nil
}

// start runs cmd with its output in logPath and waits until url answers
// /readyz with 200.
func start(cmd *exec.Cmd, url, logPath string) (*server, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &server{cmd: cmd, pid: cmd.Process.Pid, url: url}
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		res, err := http.Get(s.url + "/readyz")
		if err == nil {
			_ = res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return s, nil
			}
		}
	}
	s.stop()
	raw, _ := os.ReadFile(logPath)
	return nil, fmt.Errorf("%s did not get ready:\n%s", filepath.Base(cmd.Path), raw)
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	_ = s.cmd.Wait()
}

// rss returns the resident and peak resident memory, in MiB, of pid and its
// children (PostGraphile's cluster workers).
func rss(pid int) (now, peak float64) {
	for _, p := range withChildren(pid) {
		raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p))
		if err != nil {
			continue
		}
		for _, line := range strings.Split(string(raw), "\n") {
			f := strings.Fields(line)
			if len(f) < 2 {
				continue
			}
			kb, _ := strconv.ParseFloat(f[1], 64)
			switch f[0] {
			case "VmRSS:":
				now += kb / 1024
			case "VmHWM:":
				peak += kb / 1024
			}
		}
	}
	return now, peak
}
