// Package pglocal runs Cartograph's private PostgreSQL cluster: the one used
// when DATABASE_URL is not set, so that `go run .` and `go test ./...` work on a
// machine that only has the PostgreSQL binaries installed.
//
// The cluster lives in a data directory of its own, listens on 127.0.0.1 only
// with trust authentication, and uses byte-order collation (locale C). It is
// started detached from the calling process and left running when that process
// exits, so the next start reuses it in milliseconds; `go run . pg stop` stops
// it. As root, PostgreSQL runs as the `postgres` OS user, which refuses to run
// as root.
package pglocal

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// DefaultPort is the port the cluster listens on unless CARTOGRAPH_PGPORT says
// otherwise; chosen away from 5432 so it never clashes with a system server.
const DefaultPort = 54329

// serverConf is appended to the cluster's postgresql.conf at initdb.
const serverConf = `
# Added by Cartograph (db/pglocal): loopback only, trust auth (pg_hba.conf).
listen_addresses = '127.0.0.1'
max_connections = 200
shared_buffers = 256MB
work_mem = 16MB
shared_preload_libraries = 'pg_stat_statements'
`

// Cluster is a private PostgreSQL cluster in Dir.
type Cluster struct {
	Dir    string // the data directory
	Port   int    // the port used when the cluster is started
	BinDir string // where initdb, pg_ctl and postgres are
	runAs  *user.User
}

// Config returns the cluster described by the environment: CARTOGRAPH_PGDATA
// (the data directory), CARTOGRAPH_PGPORT and PG_BIN (the binaries' folder).
// Defaults: /var/lib/cartograph/postgres as root, else the user's cache
// directory; port 54329; the newest /usr/lib/postgresql/*/bin or $PATH.
func Config() (*Cluster, error) {
	c := &Cluster{Dir: os.Getenv("CARTOGRAPH_PGDATA"), Port: DefaultPort}
	if p := os.Getenv("CARTOGRAPH_PGPORT"); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("CARTOGRAPH_PGPORT=%q is not a port number", p)
		}
		c.Port = n
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, errors.New("running as root, PostgreSQL must run as the 'postgres' OS user, which does not exist: install PostgreSQL's server package (apt-get install -y postgresql) or set DATABASE_URL")
		}
		c.runAs = u
	}
	if c.Dir == "" {
		if c.runAs != nil {
			c.Dir = "/var/lib/cartograph/postgres"
		} else {
			cache, err := os.UserCacheDir()
			if err != nil {
				return nil, fmt.Errorf("no data directory for PostgreSQL: set CARTOGRAPH_PGDATA: %w", err)
			}
			c.Dir = filepath.Join(cache, "cartograph", "postgres")
		}
	}
	dir, err := filepath.Abs(c.Dir)
	if err != nil {
		return nil, err
	}
	c.Dir = dir
	c.BinDir, err = findBinDir()
	return c, err
}

// findBinDir returns the folder holding pg_ctl: PG_BIN, else the newest
// Debian-style /usr/lib/postgresql/N/bin, else whatever $PATH has.
func findBinDir() (string, error) {
	if d := os.Getenv("PG_BIN"); d != "" {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err != nil {
			return "", fmt.Errorf("PG_BIN=%s has no pg_ctl", d)
		}
		return d, nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "pg_ctl")); err == nil {
			return d, nil
		}
	}
	if p, err := exec.LookPath("pg_ctl"); err == nil {
		return filepath.Dir(p), nil
	}
	return "", errors.New("PostgreSQL server binaries (initdb, pg_ctl) not found in /usr/lib/postgresql/*/bin or $PATH: " +
		"install them (Debian/Ubuntu: apt-get install -y postgresql; macOS: brew install postgresql@15), " +
		"set PG_BIN to their folder, or set DATABASE_URL to use an existing server")
}

func versionOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

// Start makes sure the cluster is initialised and running, and returns the
// connection URL of database name on it. Concurrent callers (several test
// packages, several servers) are serialised by a lock file beside the data
// directory; all of them end up using the one running cluster.
func (c *Cluster) Start(ctx context.Context, database string) (string, error) {
	if err := os.MkdirAll(filepath.Dir(c.Dir), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(c.Dir), err)
	}
	unlock, err := lockFile(c.Dir + ".lock")
	if err != nil {
		return "", err
	}
	defer unlock()

	if _, err := os.Stat(filepath.Join(c.Dir, "PG_VERSION")); err != nil {
		if err := c.initdb(ctx); err != nil {
			return "", err
		}
	}
	port, running := c.Running()
	if !running {
		if err := c.start(ctx); err != nil {
			return "", err
		}
		if port, running = c.Running(); !running {
			return "", fmt.Errorf("PostgreSQL in %s did not start; see %s", c.Dir, c.logFile())
		}
	}
	return URL(port, database), nil
}

// URL returns the connection URL of database on a local cluster at port.
func URL(port int, database string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.User("postgres"),
		Host:     "127.0.0.1:" + strconv.Itoa(port),
		Path:     "/" + database,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// Stop stops the cluster if it runs (fast shutdown: sessions are ended).
func (c *Cluster) Stop(ctx context.Context) error {
	if _, running := c.Running(); !running {
		return nil
	}
	return c.run(ctx, "pg_ctl", "stop", "-D", c.Dir, "-m", "fast", "-w")
}

func (c *Cluster) logFile() string { return filepath.Join(c.Dir, "server.log") }

func (c *Cluster) initdb(ctx context.Context) error {
	// A half-made directory from an interrupted initdb would make it refuse.
	if err := os.RemoveAll(c.Dir); err != nil {
		return err
	}
	if err := os.MkdirAll(c.Dir, 0o700); err != nil {
		return err
	}
	if c.runAs != nil {
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		if err := os.Chown(c.Dir, uid, gid); err != nil {
			return err
		}
	}
	err := c.run(ctx, "initdb", "-D", c.Dir, "-U", "postgres", "-A", "trust",
		"-E", "UTF8", "--locale=C", "--no-instructions")
	if err != nil {
		return fmt.Errorf("initdb: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(c.Dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = f.WriteString(serverConf)
	return err
}

func (c *Cluster) start(ctx context.Context) error {
	opts := fmt.Sprintf("-p %d -k %s", c.Port, c.Dir)
	err := c.run(ctx, "pg_ctl", "start", "-D", c.Dir, "-l", c.logFile(), "-w", "-t", "60", "-o", opts)
	if err != nil {
		return fmt.Errorf("start PostgreSQL in %s (log: %s): %w", c.Dir, c.logFile(), err)
	}
	return nil
}

// Running returns the port of the cluster when its postmaster is alive.
func (c *Cluster) Running() (int, bool) {
	b, err := os.ReadFile(filepath.Join(c.Dir, "postmaster.pid"))
	if err != nil {
		return 0, false
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) < 4 {
		return 0, false
	}
	pid, err1 := strconv.Atoi(strings.TrimSpace(lines[0]))
	port, err2 := strconv.Atoi(strings.TrimSpace(lines[3]))
	if err1 != nil || err2 != nil || syscall.Kill(pid, 0) != nil {
		return 0, false
	}
	return port, true
}

// run runs a PostgreSQL binary, as the postgres user when we are root, in a
// session of its own so that a Ctrl-C meant for us does not reach the server.
func (c *Cluster) run(ctx context.Context, name string, args ...string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(c.BinDir, name), args...)
	cmd.Dir = "/"
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if c.runAs != nil {
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		cmd.Env = append(cmd.Env, "HOME="+c.runAs.HomeDir, "USER=postgres")
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w: %s", name, err, strings.TrimSpace(out.String()))
	}
	return nil
}

// lockFile takes an exclusive flock on path, waiting for other holders.
func lockFile(path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() {
		_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
