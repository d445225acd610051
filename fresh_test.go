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
	"syscall"
	"testing"
	"time"
)

// TestFreshStart does what a newcomer does: run the server with no
// DATABASE_URL on a machine whose data directory is empty, use the printed
// bootstrap key, make another key on the command line, stop with SIGTERM, and
// start again on the now warm cluster.
func TestFreshStart(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "cartograph")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	// As root, PostgreSQL runs as the postgres user: the folder must be open to it.
	base, err := os.MkdirTemp("", "cartograph-fresh-")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(withoutEnv(os.Environ(), "DATABASE_URL", "PORT", "CARTOGRAPH_PGDATA", "CARTOGRAPH_PGPORT"),
		"CARTOGRAPH_PGDATA="+filepath.Join(base, "pg"),
		"CARTOGRAPH_PGPORT="+strconv.Itoa(freePort(t)),
		"PORT="+strconv.Itoa(freePort(t)),
	)
	t.Cleanup(func() {
		cmd := exec.Command(bin, "pg", "stop")
		cmd.Env = env
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("pg stop: %v: %s", err, out)
		}
		os.RemoveAll(base)
	})

	cold, bootstrap, url := startServer(t, bin, env)
	if bootstrap == "" {
		t.Fatal("a fresh database printed no bootstrap key")
	}
	srv := &testServer{url: url}
	res := srv.gql(t, bootstrap, `{ viewer { name orgId role } }`)
	if res.status != http.StatusOK || !strings.Contains(string(res.body), `"orgId":"default"`) {
		t.Fatalf("query with the bootstrap key: %d %s", res.status, res.body)
	}

	// The real server also exports its connection pool's statistics.
	if m := srv.do(t, "GET", "/metrics", map[string]string{"Api-Key": bootstrap}, ""); !strings.Contains(string(m.body), `go_sql_max_open_connections{db_name="cartograph"}`) {
		t.Errorf("metrics lack the pool statistics: %d %.300s", m.status, m.body)
	}

	cli := exec.Command(bin, "keys", "create", "--name", "newcomer", "--scope", "read", "--role", "user", "--org", "orga")
	cli.Env = env
	out, err := cli.Output()
	if err != nil {
		t.Fatalf("keys create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	newKey := lines[len(lines)-1]
	res = srv.gql(t, newKey, `{ viewer { name orgId scope } }`)
	if !strings.Contains(string(res.body), `"orgId":"orga"`) || !strings.Contains(string(res.body), `"scope":"READ"`) {
		t.Fatalf("query with the CLI key: %s", res.body)
	}

	stopServer(t)
	warm, again, _ := startServer(t, bin, env)
	if again != "" {
		t.Error("a second start printed another bootstrap key")
	}
	stopServer(t)
	t.Logf("time to ready: cold cluster %s, warm cluster %s", cold.Round(time.Millisecond), warm.Round(time.Millisecond))
}

var (
	running     *exec.Cmd
	keyPattern  = regexp.MustCompile(`c8ak_[0-9A-Za-z]{40}`)
	readyAddr   = regexp.MustCompile(`msg=ready addr=\S*:(\d+)`)
	readyByTest = 90 * time.Second
)

// startServer starts bin and waits for its ready line; it returns how long
// that took, the bootstrap key if one was printed, and the base URL.
func startServer(t *testing.T, bin string, env []string) (time.Duration, string, string) {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	running = cmd
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	found := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		var key string
		for sc.Scan() {
			line := sc.Text()
			if k := keyPattern.FindString(line); k != "" {
				key = k
			}
			if m := readyAddr.FindStringSubmatch(line); m != nil {
				found <- [2]string{key, m[1]}
			}
		}
	}()
	select {
	case f := <-found:
		return time.Since(start), f[0], "http://127.0.0.1:" + f[1]
	case <-time.After(readyByTest):
		t.Fatalf("server not ready after %s", readyByTest)
	}
	return 0, "", ""
}

// stopServer sends SIGTERM and expects a clean exit within the grace period.
func stopServer(t *testing.T) {
	t.Helper()
	if err := running.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- running.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("server exit after SIGTERM: %v", err)
		}
	case <-time.After(25 * time.Second):
		t.Fatal("server did not exit within the grace period")
	}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
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
