package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"

	"cartograph/db/pglocal"
)

// wsClient speaks graphql-transport-ws to /graphql.
type wsClient struct {
	conn *websocket.Conn
}

type wsMessage struct {
	ID      string          `json:"id,omitempty"`
	Type    string          `json:"type"`
	Payload json.RawMessage `json:"payload,omitempty"`
}

// dialGraphQL connects and authenticates with key in connection_init; it
// returns the server's answer type (connection_ack, or the close reason).
func dialGraphQL(ctx context.Context, baseURL, key string) (*wsClient, string, error) {
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(baseURL, "http")+"/graphql",
		&websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, "", err
	}
	conn.SetReadLimit(1 << 20)
	c := &wsClient{conn: conn}
	init, _ := json.Marshal(map[string]string{"Api-Key": key})
	if err := wsjson.Write(ctx, conn, wsMessage{Type: "connection_init", Payload: init}); err != nil {
		return nil, "", err
	}
	m, err := c.read(ctx)
	if err != nil {
		return c, websocket.CloseStatus(err).String() + " " + err.Error(), nil
	}
	return c, m.Type, nil
}

func (c *wsClient) read(ctx context.Context) (wsMessage, error) {
	for {
		var m wsMessage
		if err := wsjson.Read(ctx, c.conn, &m); err != nil {
			return m, err
		}
		switch m.Type {
		case "ping":
			_ = wsjson.Write(ctx, c.conn, wsMessage{Type: "pong"})
		case "pong", "ka":
		default:
			return m, nil
		}
	}
}

func (c *wsClient) subscribe(ctx context.Context, id, query string) error {
	p, _ := json.Marshal(map[string]string{"query": query})
	return wsjson.Write(ctx, c.conn, wsMessage{ID: id, Type: "subscribe", Payload: p})
}

// event is one next message's change.
type event struct {
	sub string
	changeJSON
	errors []wsError
}

type wsError struct {
	Message    string
	Extensions struct{ Code, Reason string }
}

// next reads until a next (or error/complete) message arrives.
func (c *wsClient) next(ctx context.Context) (event, string, error) {
	m, err := c.read(ctx)
	if err != nil {
		return event{}, "", err
	}
	var body struct {
		Data   map[string]changeJSON
		Errors []wsError
	}
	_ = json.Unmarshal(m.Payload, &body)
	e := event{sub: m.ID, errors: body.Errors}
	for _, ch := range body.Data {
		e.changeJSON = ch
	}
	return e, m.Type, nil
}

func (c *wsClient) close() { _ = c.conn.Close(websocket.StatusNormalClosure, "") }

// waitSubscriptions waits until the server reports n open subscriptions in
// /metrics, so writes made next are sure to be delivered.
func waitSubscriptions(t *testing.T, s *testServer, key string, n int) {
	t.Helper()
	want := fmt.Sprintf("cartograph_graphql_active_subscriptions %d", n)
	deadline := time.Now().Add(10 * time.Second)
	for {
		res := s.do(t, "GET", "/metrics", map[string]string{"Api-Key": key}, "")
		if strings.Contains(string(res.body), want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the server never reported %q", want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSubscriptions subscribes to each kind of change and checks that the
// right events arrive, filtered, and that nothing crosses orgs.
func TestSubscriptions(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	c := newCatalogClient(t, "subs")
	stranger := newCatalogClient(t, "subs-stranger")
	stranger.srv = c.srv

	if _, answer, err := dialGraphQL(ctx, c.srv.url, "c8ak_"+strings.Repeat("x", 40)); err != nil || answer == "connection_ack" {
		t.Fatalf("a bad key got %q (%v), want the connection refused", answer, err)
	}

	ws, answer, err := dialGraphQL(ctx, c.srv.url, c.key)
	if err != nil || answer != "connection_ack" {
		t.Fatalf("connect: %q %v", answer, err)
	}
	defer ws.close()
	other, answer, err := dialGraphQL(ctx, c.srv.url, stranger.key)
	if err != nil || answer != "connection_ack" {
		t.Fatalf("connect: %q %v", answer, err)
	}
	defer other.close()

	api := c.create(t, "service", `{"name":"api"}`)["id"].(string)
	for id, q := range map[string]string{
		"prod":      `subscription { entityChanged(types: [SERVICE], where: {field: "tags", eq: "prod"}) { ` + changeFields + ` } }`,
		"relations": fmt.Sprintf(`subscription { relationChanged(entityId: %q) { %s } }`, api, changeFields),
		"config":    `subscription { configChanged(domain: "app", key: "port") { ` + changeFields + ` } }`,
	} {
		if err := ws.subscribe(ctx, id, q); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.subscribe(ctx, "all", `subscription { entityChanged { `+changeFields+` } }`); err != nil {
		t.Fatal(err)
	}
	waitSubscriptions(t, c.srv, c.key, 4)

	c.create(t, "service", `{"name":"staging-only","tags":["staging"]}`) // filtered out
	web := c.create(t, "service", `{"name":"web","tags":["prod"]}`)["id"].(string)
	c.create(t, "environment", `{"name":"env","tags":["prod"]}`) // not a service
	c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"depends_on"}`, web, api))
	c.must(t, http.StatusCreated, "POST", "/v1/domains", `{"slug":"app"}`)
	c.must(t, http.StatusCreated, "POST", "/v1/configs/app", `{"key":"host"}`) // another key
	c.must(t, http.StatusCreated, "POST", "/v1/configs/app", `{"key":"port"}`)
	c.must(t, http.StatusCreated, "POST", "/v1/configs/app/port/versions", `{"value":8080}`)
	c.must(t, http.StatusOK, "PATCH", "/public/v1/catalog/entities/service/"+web, `{"tags":["staging"]}`) // leaves the filter
	c.must(t, http.StatusOK, "DELETE", "/public/v1/catalog/entities/"+web, "")                            // matched on its last state: no

	var got []string
	for len(got) < 5 {
		e, typ, err := ws.next(ctx)
		if err != nil || typ != "next" {
			t.Fatalf("after %v: %s %v", got, typ, err)
		}
		got = append(got, fmt.Sprintf("%s:%s %s %v", e.sub, e.Operation, e.ObjectType, e.After["name"]))
	}
	want := []string{"prod:CREATE ENTITY web", "relations:CREATE RELATION <nil>", "config:CREATE CONFIG <nil>",
		"config:CREATE CONFIG_VERSION <nil>", "relations:DELETE RELATION <nil>"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("events\n got %v\nwant %v", got, want)
	}
	// Nothing else is on the way: a marker write ends the stream of this org.
	c.must(t, http.StatusCreated, "POST", "/public/v1/catalog/entities/service", `{"name":"marker","tags":["prod"]}`)
	if e, _, err := ws.next(ctx); err != nil || e.After["name"] != "marker" {
		t.Errorf("after the expected events came %+v %v, want the marker", e, err)
	}

	// The other org's subscriber, which asked for every entity change, saw
	// only its own org's write.
	stranger.create(t, "service", `{"name":"theirs"}`)
	if e, _, err := other.next(ctx); err != nil || e.After["name"] != "theirs" {
		t.Errorf("the other org's subscriber got %+v %v, want only its own write", e, err)
	}
}

// TestSubscriptionAcrossServers runs two server processes on one database:
// a write through A reaches a subscriber on B within a second, because
// PostgreSQL, not process memory, carries the event.
func TestSubscriptionAcrossServers(t *testing.T) {
	a := newServerProcess(t)
	_, key := a.start(t)
	b := newServerProcess(t, "DATABASE_URL="+pglocal.URL(a.cluster(t).Port, localDatabase))
	b.start(t)
	defer a.stop(t)
	defer b.stop(t)

	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	ws, answer, err := dialGraphQL(ctx, b.url, key)
	if err != nil || answer != "connection_ack" {
		t.Fatalf("connect to B: %q %v", answer, err)
	}
	defer ws.close()
	if err := ws.subscribe(ctx, "s", `subscription { entityChanged { `+changeFields+` } }`); err != nil {
		t.Fatal(err)
	}
	waitSubscriptions(t, &testServer{url: b.url}, key, 1)

	var latencies []time.Duration
	for i := range 5 {
		start := time.Now()
		name := fmt.Sprintf("via-a-%d", i)
		res := (&testServer{url: a.url}).do(t, "POST", "/public/v1/catalog/entities/service", map[string]string{"Api-Key": key}, `{"name":"`+name+`"}`)
		if res.status != http.StatusCreated {
			t.Fatalf("write on A: %d %s", res.status, res.body)
		}
		e, typ, err := ws.next(ctx)
		took := time.Since(start)
		if err != nil || typ != "next" || e.After["name"] != name {
			t.Fatalf("on B got %s %+v %v, want the create of %s", typ, e, err, name)
		}
		if took > time.Second {
			t.Errorf("write %d reached B after %s, want within 1 s", i, took)
		}
		latencies = append(latencies, took)
	}
	t.Logf("write on A to event on B: %v", latencies)
}

// TestSubscriptionLoad is the bounded load test of subscriptions: S
// subscribers on one server process, W writes (half creates, half updates of
// the created entities) from 8 writers. Every subscriber must get every
// event exactly once, in log order (so each entity's create before its
// update), and the server's memory must stay bounded. SUBSCRIPTION_LOAD=SxW
// sets the size (CI runs 40x200; the closing note's figures are 200x1000).
func TestSubscriptionLoad(t *testing.T) {
	subs, writes := 40, 200
	if v := os.Getenv("SUBSCRIPTION_LOAD"); v != "" {
		if _, err := fmt.Sscanf(v, "%dx%d", &subs, &writes); err != nil {
			t.Fatalf("SUBSCRIPTION_LOAD=%q: want SxW", v)
		}
	}
	p := newServerProcess(t)
	_, key := p.start(t)
	defer p.stop(t)
	srv := &testServer{url: p.url}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()

	rssIdle := rssOf(t, p.cmd.Process.Pid)
	clients := make([]*wsClient, subs)
	for i := range clients {
		ws, answer, err := dialGraphQL(ctx, p.url, key)
		if err != nil || answer != "connection_ack" {
			t.Fatalf("subscriber %d: %q %v", i, answer, err)
		}
		defer ws.close()
		if err := ws.subscribe(ctx, "s", `subscription { entityChanged { id objectId operation at } }`); err != nil {
			t.Fatal(err)
		}
		clients[i] = ws
	}
	waitSubscriptions(t, srv, key, subs)
	rssSubscribed := rssOf(t, p.cmd.Process.Pid)

	type result struct {
		n, dups, disorder int
		latencies         []time.Duration
		err               error
	}
	results := make(chan result, subs)
	for _, ws := range clients {
		go func() {
			var r result
			seen := map[string]bool{}
			created := map[string]bool{}
			var last int64
			for r.n < writes {
				e, typ, err := ws.next(ctx)
				if err != nil || typ != "next" {
					r.err = fmt.Errorf("after %d events: %s %w %+v", r.n, typ, err, e.errors)
					break
				}
				r.n++
				r.latencies = append(r.latencies, time.Since(e.At))
				seq, _ := strconv.ParseInt(e.ID, 10, 64)
				if seen[e.ID] {
					r.dups++
				}
				seen[e.ID] = true
				if seq <= last || e.Operation == "UPDATE" && !created[e.ObjectID] {
					r.disorder++
				}
				last = seq
				created[e.ObjectID] = created[e.ObjectID] || e.Operation == "CREATE"
			}
			results <- r
		}()
	}

	var peak atomic.Int64
	peak.Store(rssSubscribed)
	stopSampling := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopSampling:
				return
			case <-time.After(100 * time.Millisecond):
				if v := rssOf(t, p.cmd.Process.Pid); v > peak.Load() {
					peak.Store(v)
				}
			}
		}
	}()
	start := time.Now()
	ids := make(chan string, writes)
	var wg sync.WaitGroup
	var next atomic.Int64
	for range 8 {
		wg.Go(func() {
			for {
				i := next.Add(1) - 1
				if i >= int64(writes/2) {
					return
				}
				res := srv.do(t, "POST", "/public/v1/catalog/entities/service", map[string]string{"Api-Key": key}, fmt.Sprintf(`{"name":"load-%d"}`, i))
				if res.status != http.StatusCreated {
					t.Errorf("create: %d %s", res.status, res.body)
					return
				}
				ids <- res.json(t)["id"].(string)
			}
		})
	}
	wg.Wait()
	close(ids)
	var updates sync.WaitGroup
	for range 8 {
		updates.Go(func() {
			for id := range ids {
				res := srv.do(t, "PATCH", "/public/v1/catalog/entities/service/"+id, map[string]string{"Api-Key": key}, `{"description":"updated"}`)
				if res.status != http.StatusOK {
					t.Errorf("update: %d %s", res.status, res.body)
				}
			}
		})
	}
	updates.Wait()
	written := time.Since(start)

	var all []time.Duration
	for range subs {
		r := <-results
		if r.err != nil || r.n != writes || r.dups != 0 || r.disorder != 0 {
			t.Errorf("a subscriber got %d of %d events, %d twice, %d out of order: %v", r.n, writes, r.dups, r.disorder, r.err)
		}
		all = append(all, r.latencies...)
	}
	delivered := time.Since(start)
	close(stopSampling)
	slices.Sort(all)
	pct := func(q float64) time.Duration {
		if len(all) == 0 {
			return 0
		}
		return all[int(q*float64(len(all)-1))].Round(time.Millisecond)
	}
	const mib = 1 << 20
	t.Logf("%d subscribers x %d writes: writes took %s (%.0f/s); all %d events delivered after %s (%.0f events/s); commit-to-receipt p50 %s p99 %s max %s; server RSS idle %d MiB, subscribed %d MiB, peak %d MiB",
		subs, writes, written.Round(time.Millisecond), float64(writes)/written.Seconds(), len(all), delivered.Round(time.Millisecond),
		float64(len(all))/delivered.Seconds(), pct(0.5), pct(0.99), pct(1), rssIdle/mib, rssSubscribed/mib, peak.Load()/mib)
	if peak.Load() > rssSubscribed+64*mib {
		t.Errorf("server RSS grew from %d MiB to %d MiB under the load: not flat", rssSubscribed/mib, peak.Load()/mib)
	}
}

// rssOf reads a process's resident set size in bytes from /proc.
func rssOf(t *testing.T, pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Errorf("read RSS: %v", err)
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
