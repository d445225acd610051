package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
	errors []struct {
		Message    string
		Extensions struct{ Code, Reason string }
	}
}

// next reads until a next (or error/complete) message arrives.
func (c *wsClient) next(ctx context.Context) (event, string, error) {
	m, err := c.read(ctx)
	if err != nil {
		return event{}, "", err
	}
	var body struct {
		Data   map[string]changeJSON
		Errors []struct {
			Message    string
			Extensions struct{ Code, Reason string }
		}
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
