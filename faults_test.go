package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"cartograph/db/pglocal"
)

// fastClient gives up on a request after 8 s: a hang fails the test. It
// keeps an idle connection for each concurrent caller (Go's default keeps
// 2 per host), so callers reuse theirs rather than dial: a connection
// dialled just before SIGTERM can still sit in the listen backlog when the
// listener closes, and the kernel resets it, a refusal no server can avoid.
var fastClient = &http.Client{Timeout: 8 * time.Second, Transport: func() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConnsPerHost = 16
	return t
}()}

// cutAnswer is an answer that broke off after it began. It does not unwrap
// to its cause: a reset in the middle of an answer is a failure, not a
// refusal at the door.
type cutAnswer struct{ err error }

func (c cutAnswer) Error() string { return "reading the answer: " + c.err.Error() }

func send(method, url, key, body string) (int, []byte, error) {
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Api-Key", key)
	res, err := fastClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, b, cutAnswer{err}
	}
	return res.StatusCode, b, nil
}

// cluster returns the private cluster a server process uses.
func (p *serverProcess) cluster(t *testing.T) *pglocal.Cluster {
	t.Helper()
	for _, kv := range p.env {
		if name, value, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(name, "CARTOGRAPH_PG") {
			t.Setenv(name, value)
		}
	}
	c, err := pglocal.Config()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDatabaseRestart restarts PostgreSQL under load: while it is down,
// requests fail cleanly (503, no hang); once it is back, the server serves
// again without a restart, within 5 s.
func TestDatabaseRestart(t *testing.T) {
	p := newServerProcess(t, "REQUEST_TIMEOUT=5s")
	_, key := p.start(t)
	cluster := p.cluster(t)

	var stop atomic.Bool
	var mu sync.Mutex
	statuses := map[int]int{}
	var failures []string
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for !stop.Load() {
				path := []string{"/v1/domains", "/readyz"}[g%2]
				status, body, err := send("GET", p.url+path, key, "")
				mu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					statuses[status]++
					if status != 200 && status != 503 {
						failures = append(failures, fmt.Sprintf("%s: %d %s", path, status, body))
					}
				}
				mu.Unlock()
				time.Sleep(10 * time.Millisecond)
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	if err := cluster.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(time.Second)
	status, _, err := send("GET", p.url+"/v1/domains", key, "")
	if err != nil || status != http.StatusServiceUnavailable {
		t.Errorf("with the database down: %d %v, want a prompt 503", status, err)
	}
	if _, err := cluster.Start(context.Background(), "postgres"); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	recovered := time.Duration(-1)
	for time.Since(back) < 10*time.Second {
		if status, _, err := send("GET", p.url+"/v1/domains", key, ""); err == nil && status == http.StatusOK {
			recovered = time.Since(back)
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop.Store(true)
	wg.Wait()
	if recovered < 0 || recovered > 5*time.Second {
		t.Errorf("the server did not serve again within 5 s of the database's return (%s)", recovered)
	}
	if len(failures) > 0 {
		t.Errorf("%d requests failed other than with 503, e.g. %v", len(failures), failures[:min(3, len(failures))])
	}
	if statuses[503] == 0 || statuses[200] == 0 {
		t.Errorf("statuses %v: want both 503s (down) and 200s", statuses)
	}
	t.Logf("served again %s after PostgreSQL was back; statuses under load: %v", recovered.Round(time.Millisecond), statuses)
}

// TestKillDuringWrites kills the server with SIGKILL in the middle of
// config-version writes and resource batches. After a restart every
// acknowledged write is there, version numbers have no gaps, and every batch
// is all or nothing.
func TestKillDuringWrites(t *testing.T) {
	p := newServerProcess(t)
	_, key := p.start(t)
	for _, w := range [][2]string{{"/v1/domains", `{"slug":"d"}`}, {"/v1/configs/d", `{"key":"k"}`}} {
		if status, body, err := send("POST", p.url+w[0], key, w[1]); err != nil || status != 201 {
			t.Fatalf("setup %s: %d %s %v", w[0], status, body, err)
		}
	}
	var mu sync.Mutex
	var versions []int
	acked := map[string]bool{}     // batches acknowledged with 200
	attempted := map[string]bool{} // every batch sent
	var wg sync.WaitGroup
	deadline := time.Now().Add(1500 * time.Millisecond)
	for range 4 {
		wg.Go(func() {
			for i := 0; time.Now().Before(deadline.Add(2 * time.Second)); i++ {
				status, body, err := send("POST", p.url+"/v1/configs/d/k/versions", key, fmt.Sprintf(`{"value":%d}`, i))
				if err != nil {
					return // the server is gone
				}
				var v struct{ ID int }
				if status == 201 && json.Unmarshal(body, &v) == nil {
					mu.Lock()
					versions = append(versions, v.ID)
					mu.Unlock()
				}
			}
		})
	}
	for g := range 2 {
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline.Add(2 * time.Second)); n++ {
				batch := fmt.Sprintf("b%d-%03d-", g, n)
				items := make([]string, 50)
				for i := range items {
					items[i] = fmt.Sprintf(`{"name":"%s%02d","provider":"K8s","providerResourceKey":"%s%02d","providerResourceType":"K8s:Pod"}`, batch, i, batch, i)
				}
				mu.Lock()
				attempted[batch] = true
				mu.Unlock()
				status, _, err := send("POST", p.url+"/public/v1/catalog/batch/entities/resource", key, "["+strings.Join(items, ",")+"]")
				if err != nil {
					return
				}
				if status == 200 {
					mu.Lock()
					acked[batch] = true
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(time.Until(deadline))
	p.kill(t)
	wg.Wait()
	p.start(t)

	// Every acknowledged version is there, and the numbers run 1..n.
	status, body, err := send("GET", p.url+"/v1/configs/d/k/versions?limit=1000", key, "")
	if err != nil || status != 200 {
		t.Fatalf("versions after restart: %d %v", status, err)
	}
	var list struct{ Data []struct{ ID int } }
	json.Unmarshal(body, &list)
	var stored []int
	for _, v := range list.Data {
		stored = append(stored, v.ID)
	}
	slices.Sort(stored)
	for i, id := range stored {
		if id != i+1 {
			t.Fatalf("stored version numbers have a gap or repeat at %d: %v", i+1, stored[max(0, i-3):min(len(stored), i+3)])
		}
	}
	for _, id := range versions {
		if _, found := slices.BinarySearch(stored, id); !found {
			t.Errorf("acknowledged version %d is missing after the restart", id)
		}
	}
	// Every batch is whole or absent; acknowledged ones are whole.
	for batch := range attempted {
		q := fmt.Sprintf(`{"schemaIdentifier":"schema-resource","pageSize":1,"filter":{"column":"providerResourceKey","operator":"startsWith","value":%q}}`, batch)
		status, body, err := send("POST", p.url+"/public/v1/query-builder", key, q)
		if err != nil || status != 200 {
			t.Fatalf("query %s: %d %v", batch, status, err)
		}
		var res struct{ TotalFound int }
		json.Unmarshal(body, &res)
		if res.TotalFound != 0 && res.TotalFound != 50 || acked[batch] && res.TotalFound != 50 {
			t.Errorf("batch %s: %d of 50 items stored (acknowledged: %v)", batch, res.TotalFound, acked[batch])
		}
	}
	t.Logf("killed after %d acknowledged versions (%d stored) and %d acknowledged batches (%d sent)",
		len(versions), len(stored), len(acked), len(attempted))
	p.stop(t)
}

// TestGracefulShutdownUnderLoad sends SIGTERM while requests are running. A
// request the server has begun is answered in full, even when the rest of
// its body arrives after the listener closed; no request gets an error
// status or a cut answer; new connections are refused once the listener
// closes; and the process exits within the grace period.
//
// A request written onto an idle keep-alive connection just as the server
// closes it, or dialled into the listen backlog just before the listener
// closes, meets EOF or a reset before any byte of an answer. No HTTP/1.1
// server can avoid that race (RFC 9112 §9.3.1 leaves it to the client's
// retry), and the moment a caller sends cannot tell it from a cut request,
// so the load counts it as refused; the held request proves that begun work
// is finished.
func TestGracefulShutdownUnderLoad(t *testing.T) {
	p := newServerProcess(t, "SHUTDOWN_GRACE=10s")
	_, key := p.start(t)
	var stop atomic.Bool
	var served, refused atomic.Int64
	var mu sync.Mutex
	var failures []string
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				status, _, err := send("GET", p.url+"/public/v1/catalog/entities?pageSize=50", key, "")
				switch {
				case err == nil && status == 200:
					served.Add(1)
				case refusedAtTheDoor(err):
					refused.Add(1)
					return
				default:
					mu.Lock()
					failures = append(failures, fmt.Sprintf("%d %v", status, err))
					mu.Unlock()
					return
				}
			}
		})
	}
	time.Sleep(500 * time.Millisecond)
	held := holdRequest(t, p.url, key)
	start := time.Now()
	p.terminate(t)
	waitListenerClosed(t, p.url)
	status, body, closes, err := held()
	var page struct{ Items []json.RawMessage }
	switch {
	case err != nil || status != 200:
		t.Errorf("the request begun before SIGTERM: %d %v %.200s", status, err, body)
	case json.Unmarshal(body, &page) != nil || page.Items == nil:
		t.Errorf("the request begun before SIGTERM got no page: %.200s", body)
	case !closes:
		t.Error("an answer during shutdown lacks Connection: close, so its client would reuse a closing connection")
	}
	p.waitExit(t)
	took := time.Since(start)
	stop.Store(true)
	wg.Wait()
	if len(failures) > 0 {
		t.Errorf("requests failed during shutdown: %v", failures)
	}
	if served.Load() == 0 {
		t.Error("no request was served before the shutdown")
	}
	t.Logf("SIGTERM to exit: %s; %d requests served, %d refused at the door", took.Round(time.Millisecond), served.Load(), refused.Load())
}

// refusedAtTheDoor tells a request no server process read (the connection
// was refused, reset or closed before any byte of an answer) from one that
// failed after it began.
func refusedAtTheDoor(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF)
}

// holdRequest starts a catalog search on a connection of its own and holds
// back its body. It returns once the server has begun the request (its
// handler asked for the body: the server sent 100 Continue); the function it
// returns sends the body and gives the answer, and whether the answer said
// Connection: close.
func holdRequest(t *testing.T, url, key string) func() (int, []byte, bool, error) {
	t.Helper()
	const body = `{"pageSize": 50}`
	pr, pw := io.Pipe()
	began := make(chan struct{})
	ctx := httptrace.WithClientTrace(context.Background(), &httptrace.ClientTrace{
		Got100Continue: func() { close(began) },
	})
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/public/v1/catalog/entities", pr)
	req.ContentLength = int64(len(body))
	req.Header.Set("Api-Key", key)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Expect", "100-continue")
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{ExpectContinueTimeout: 15 * time.Second}}
	type answer struct {
		status int
		body   []byte
		closes bool
		err    error
	}
	done := make(chan answer, 1)
	go func() {
		res, err := client.Do(req)
		if err != nil {
			done <- answer{err: err}
			return
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		done <- answer{res.StatusCode, b, res.Close, err}
	}()
	select {
	case <-began:
	case a := <-done:
		t.Fatalf("the held request ended before its body was sent: %d %v %.200s", a.status, a.err, a.body)
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not begin the held request within 10 s")
	}
	return func() (int, []byte, bool, error) {
		if _, err := io.WriteString(pw, body); err != nil {
			return 0, nil, false, err
		}
		pw.Close()
		a := <-done
		return a.status, a.body, a.closes, a.err
	}
}

// waitListenerClosed returns once a new connection to url is refused.
func waitListenerClosed(t *testing.T, url string) {
	t.Helper()
	host := strings.TrimPrefix(url, "http://")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", host)
		if err != nil {
			return
		}
		c.Close()
	}
	t.Fatal("the listener still accepts connections 10 s after SIGTERM")
}
