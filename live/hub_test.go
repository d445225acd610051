package live

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/db/dbtest"
)

var testDB *db.DB

func TestMain(m *testing.M) { os.Exit(dbtest.Main(m, &testDB)) }

func newHub(t *testing.T, buffer int) *Hub {
	t.Helper()
	h := New(testDB, slog.New(slog.NewTextHandler(io.Discard, nil)))
	h.buffer = buffer
	t.Cleanup(h.Close)
	return h
}

func createServices(t *testing.T, ctx context.Context, n int, prefix string) {
	t.Helper()
	for i := range n {
		in := cartograph.EntityInput{Type: cartograph.Service, Fields: map[string]json.RawMessage{"name": fmt.Appendf(nil, "%q", fmt.Sprintf("%s-%d", prefix, i))}}
		if _, err := testDB.Entities.Create(ctx, in); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSlowSubscriberIsDropped lets one subscriber read nothing while another
// keeps up: the idle one is dropped with ErrSlowSubscriber once its buffer is
// full, the other still gets every event, in order.
func TestSlowSubscriberIsDropped(t *testing.T) {
	org := dbtest.UniqueOrg("slow")
	ctx := dbtest.As(t.Context(), org, cartograph.ScopeWrite, cartograph.RoleUser)
	h := newHub(t, 4)
	spec := Spec{OrgID: org, Accept: func(c *cartograph.Change) bool { return c.ObjectType == cartograph.ObjectEntity }}
	slow, err := h.Subscribe(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	fast, err := h.Subscribe(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan []string)
	go func() {
		var names []string
		for e := range fast.C {
			names = append(names, string(e.After))
			if len(names) == 10 {
				break
			}
		}
		got <- names
	}()
	createServices(t, ctx, 10, "svc")
	select {
	case names := <-got:
		if len(names) != 10 {
			t.Errorf("the fast subscriber got %d events", len(names))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the fast subscriber did not get its 10 events")
	}
	n := 0
	for range slow.C {
		n++
	}
	if !errors.Is(slow.Err(), ErrSlowSubscriber) || n != 4 {
		t.Errorf("slow subscriber: %d events then %v; want its 4 buffered, then ErrSlowSubscriber", n, slow.Err())
	}
}

// TestSubscriptionStartsNow checks that a subscription sees what is
// committed after Subscribe returns and nothing from before.
func TestSubscriptionStartsNow(t *testing.T) {
	org := dbtest.UniqueOrg("now")
	ctx := dbtest.As(t.Context(), org, cartograph.ScopeWrite, cartograph.RoleUser)
	h := newHub(t, 16)
	first, err := h.Subscribe(t.Context(), Spec{OrgID: org})
	if err != nil {
		t.Fatal(err)
	}
	createServices(t, ctx, 1, "before")
	<-first.C
	sub, err := h.Subscribe(t.Context(), Spec{OrgID: org})
	if err != nil {
		t.Fatal(err)
	}
	createServices(t, ctx, 1, "after")
	select {
	case e := <-sub.C:
		if want := `"after-0"`; !strings.Contains(string(e.After), want) {
			t.Errorf("first event %s, want the create of after-0", e.After)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no event")
	}
}
