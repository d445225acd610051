package main

import (
	"bufio"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// serverProcess is the real binary, started as a separate process on a
// private PostgreSQL cluster of its own: what a newcomer runs, and what the
// fault tests kill and restart.
type serverProcess struct {
	bin, base string
	env       []string
	cmd       *exec.Cmd
	url       string
}

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// newServerProcess builds the binary (once per test run) and prepares an
// empty data directory, ports and environment; the cluster is stopped and
// removed when the test ends.
func newServerProcess(t *testing.T, extraEnv ...string) *serverProcess {
	t.Helper()
	buildOnce.Do(func() {
		binPath = filepath.Join(os.TempDir(), "cartograph-test-"+strconv.Itoa(os.Getpid()))
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = err
			binPath = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("go build: %v\n%s", buildErr, binPath)
	}
	// As root, PostgreSQL runs as the postgres user: the folder must be open to it.
	base, err := os.MkdirTemp("", "cartograph-proc-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	p := &serverProcess{bin: binPath, base: base}
	ports := freePorts(t, 2)
	p.env = append(withoutEnv(os.Environ(), "DATABASE_URL", "PORT", "CARTOGRAPH_PGDATA", "CARTOGRAPH_PGPORT"),
		"CARTOGRAPH_PGDATA="+filepath.Join(base, "pg"),
		"CARTOGRAPH_PGPORT="+strconv.Itoa(ports[0]),
		"PORT="+strconv.Itoa(ports[1]),
	)
	p.env = append(p.env, extraEnv...)
	t.Cleanup(func() {
		if p.cmd != nil && p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			_ = p.cmd.Wait()
		}
		if out, err := p.command("pg", "stop").CombinedOutput(); err != nil {
			t.Errorf("pg stop: %v: %s", err, out)
		}
		os.RemoveAll(base)
	})
	return p
}

// command runs the binary with the process's environment.
func (p *serverProcess) command(args ...string) *exec.Cmd {
	cmd := exec.Command(p.bin, args...)
	cmd.Env = p.env
	return cmd
}

var (
	keyPattern = regexp.MustCompile(`c8ak_[0-9A-Za-z]{40}`)
	readyAddr  = regexp.MustCompile(`msg=ready addr=\S*:(\d+)`)
)

// start runs the server and waits for its ready line; it returns how long
// that took and the bootstrap key, if one was printed.
func (p *serverProcess) start(t *testing.T) (time.Duration, string) {
	t.Helper()
	p.cmd = p.command()
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found := make(chan [2]string, 1)
	ended := make(chan []string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var key string
		var last []string
		for sc.Scan() {
			line := sc.Text()
			last = append(last[max(0, len(last)-19):], line)
			if k := keyPattern.FindString(line); k != "" {
				key = k
			}
			if m := readyAddr.FindStringSubmatch(line); m != nil {
				found <- [2]string{key, m[1]}
			}
		}
		ended <- last
	}()
	select {
	case f := <-found:
		p.url = "http://127.0.0.1:" + f[1]
		return time.Since(start), f[0]
	case last := <-ended:
		t.Fatalf("server exited before it was ready; its last lines:\n%s", strings.Join(last, "\n"))
	case <-time.After(90 * time.Second):
		t.Fatal("server not ready after 90 s")
	}
	return 0, ""
}

// stop sends SIGTERM and expects a clean exit within the grace period.
func (p *serverProcess) stop(t *testing.T) {
	t.Helper()
	p.terminate(t)
	p.waitExit(t)
}

// terminate sends the server SIGTERM.
func (p *serverProcess) terminate(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
}

// waitExit fails the test unless the server, sent SIGTERM, exits cleanly
// within the grace period.
func (p *serverProcess) waitExit(t *testing.T) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exit after SIGTERM: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("server did not exit within the grace period")
	}
}

// kill ends the server with SIGKILL: no chance to finish anything.
func (p *serverProcess) kill(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// TestFreshStart does what a newcomer does: run the server with no
// DATABASE_URL on a machine whose data directory is empty, use the printed
// bootstrap key, make another key on the command line, stop with SIGTERM, and
// start again on the now warm cluster.
func TestFreshStart(t *testing.T) {
	p := newServerProcess(t)
	cold, bootstrap := p.start(t)
	if bootstrap == "" {
		t.Fatal("a fresh database printed no bootstrap key")
	}
	srv := &testServer{url: p.url}
	res := srv.gql(t, bootstrap, `{ viewer { name orgId role } }`)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"orgId":"default"`) {
		t.Fatalf("query with the bootstrap key: %d %s", res.status, res.body)
	}
	// The real server also exports its connection pool's statistics.
	if m := srv.do(t, "GET", "/metrics", map[string]string{"Api-Key": bootstrap}, ""); !strings.Contains(string(m.body), `go_sql_max_open_connections{db_name="cartograph"}`) {
		t.Errorf("metrics lack the pool statistics: %d %.300s", m.status, m.body)
	}

	out, err := p.command("keys", "create", "--name", "newcomer", "--scope", "read", "--role", "user", "--org", "orga").Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	newKey := lines[len(lines)-1]
	res = srv.gql(t, newKey, `{ viewer { name orgId scope } }`)
	if !strings.Contains(string(res.body), `"orgId":"orga"`) || !strings.Contains(string(res.body), `"scope":"READ"`) {
		t.Fatalf("query with the CLI key: %s", res.body)
	}

	p.stop(t)
	warm, again := p.start(t)
	if again != "" {
		t.Error("a second start printed another bootstrap key")
	}
	p.stop(t)
	t.Logf("time to ready: cold cluster %s, warm cluster %s", cold.Round(time.Millisecond), warm.Round(time.Millisecond))
}

// freePorts returns n distinct ports that were free a moment ago: all n
// listeners are open at once, so the kernel cannot hand out one twice.
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	return ports
}

func withoutEnv(env []string, names ...string) []string {
	var out []string
next:
	for _, kv := range env {
		for _, n := range names {
			if strings.HasPrefix(kv, n+"=") {
				continue next
			}
		}
		out = append(out, kv)
	}
	return out
}
