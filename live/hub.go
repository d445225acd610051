// Package live delivers change-log events to this process's subscribers.
//
// PostgreSQL is the bus: every commit that logs changes sends NOTIFY with the
// seqs it numbered (db/migrations/..._changes), and each server process's Hub
// LISTENs on a connection of its own and reads the new events from the log in
// seq order. So every process sharing the database sees every event, in
// commit order, whichever process wrote it; a reconnect catches up from the
// last seq it delivered. Subscribers get events through a bounded buffer; one
// that falls Buffer events behind is dropped with ErrSlowSubscriber instead of
// growing memory.
package live

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/metrics"
)

// Buffer is how many undelivered events a subscriber may have queued.
const Buffer = 256

// ErrSlowSubscriber ends a subscription that did not keep up.
var ErrSlowSubscriber = &cartograph.Error{Code: cartograph.Internal, Reason: "SLOW_SUBSCRIBER",
	Message: "The subscription fell too far behind the change stream and was dropped; subscribe again and read what you missed from the changes query"}

// pollEvery bounds how long a lost notification can delay delivery.
const pollEvery = 5 * time.Second

// readBatch is how many events one read of the log returns at most.
const readBatch = 1000

// Spec says which events a subscription wants.
type Spec struct {
	OrgID string
	// Accept picks events by their own fields (type, ids, labels).
	Accept func(*cartograph.Change) bool
	// Entities, when set, also requires an entity event's entity to match
	// this query (the where input of the entities query), checked in SQL
	// once per batch of events for all subscribers with the same filter.
	Entities *cartograph.EntityQuery
	// FilterKey identifies Entities' filter among subscribers (its canonical text).
	FilterKey string
}

// Event is a change as the hub hands it to every subscriber that wants it;
// View caches one rendering of it for all of them.
type Event struct {
	*cartograph.Change
	once sync.Once
	view any
}

// View returns render(e.Change), computed once per event.
func (e *Event) View(render func(*cartograph.Change) any) any {
	e.once.Do(func() { e.view = render(e.Change) })
	return e.view
}

// Subscription receives events on C until the subscriber's context ends or
// the hub drops it; then C is closed and Err tells why.
type Subscription struct {
	C    <-chan *Event
	c    chan *Event
	spec Spec
	from int64 // events up to this seq predate the subscription

	mu     sync.Mutex
	closed bool
	err    error
}

// Err is why the hub closed C: ErrSlowSubscriber, or nil after the
// subscriber left.
func (s *Subscription) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *Subscription) send(e *Event) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return true
	}
	select {
	case s.c <- e:
		return true
	default:
		return false
	}
}

// close ends the subscription once, with err as its reason.
func (s *Subscription) close(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.closed, s.err = true, err
	close(s.c)
	metrics.Subscriptions(-1)
}

// Hub is one process's subscription fan-out. It starts listening with its
// first subscriber and stops with Close.
type Hub struct {
	store  *db.DB
	log    *slog.Logger
	buffer int // Buffer; smaller in tests

	start   sync.Once
	started chan struct{} // closed once listening, or on a failed first start
	stop    context.CancelFunc
	done    chan struct{}

	mu   sync.Mutex
	subs map[*Subscription]struct{}
	last int64 // the newest seq delivered (or known when listening began)
	err  error // why the first start failed
}

// New returns a hub reading store's change log.
func New(store *db.DB, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.Default()
	}
	return &Hub{store: store, log: log, buffer: Buffer, subs: map[*Subscription]struct{}{}, started: make(chan struct{}), done: make(chan struct{})}
}

// Subscribe registers a subscriber for events committed from now on. It
// returns once the hub is listening, so a write made after it returns is
// delivered. The subscription ends when ctx does.
func (h *Hub) Subscribe(ctx context.Context, spec Spec) (*Subscription, error) {
	h.start.Do(func() {
		runCtx, cancel := context.WithCancel(context.Background())
		h.stop = cancel
		go h.run(runCtx)
	})
	select {
	case <-h.started:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	h.mu.Lock()
	if h.err != nil {
		h.mu.Unlock()
		return nil, h.err
	}
	c := make(chan *Event, h.buffer)
	s := &Subscription{C: c, c: c, spec: spec, from: h.last}
	h.subs[s] = struct{}{}
	h.mu.Unlock()
	metrics.Subscriptions(1)
	go func() {
		<-ctx.Done()
		h.remove(s, nil)
	}()
	return s, nil
}

func (h *Hub) remove(s *Subscription, err error) {
	h.mu.Lock()
	delete(h.subs, s)
	h.mu.Unlock()
	s.close(err)
}

// Close stops listening and ends every subscription.
func (h *Hub) Close() {
	if h.stop == nil {
		return
	}
	h.stop()
	<-h.done
	h.mu.Lock()
	subs := h.subs
	h.subs = map[*Subscription]struct{}{}
	h.mu.Unlock()
	for s := range subs {
		s.close(nil)
	}
}

// run listens until ctx ends, reconnecting after a lost connection and
// catching up from the last delivered seq each time. The first connection
// decides whether the hub serves at all (started, err).
func (h *Hub) run(ctx context.Context) {
	defer close(h.done)
	l, err := h.begin(ctx)
	h.mu.Lock()
	h.err = err
	h.mu.Unlock()
	close(h.started)
	if err != nil {
		h.log.Error("subscriptions: cannot listen for changes", "err", err)
		return
	}
	for l != nil {
		h.catchUp(ctx)
		err := h.listen(ctx, l)
		_ = l.Close(context.Background())
		if ctx.Err() != nil {
			return
		}
		h.log.Warn("subscriptions: lost the listener connection; reconnecting", "err", err)
		l = h.reconnect(ctx)
	}
}

// begin opens the listener and notes the newest seq: subscriptions start
// after it.
func (h *Hub) begin(ctx context.Context) (*db.Listener, error) {
	l, err := h.store.Listen(ctx)
	if err != nil {
		return nil, err
	}
	last, err := h.store.Changes.Latest(ctx)
	if err != nil {
		_ = l.Close(context.Background())
		return nil, err
	}
	h.mu.Lock()
	h.last = last
	h.mu.Unlock()
	return l, nil
}

// reconnect opens a new listener, retrying with backoff; nil once ctx ends.
func (h *Hub) reconnect(ctx context.Context) *db.Listener {
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		l, err := h.store.Listen(ctx)
		if err == nil {
			return l
		}
		h.log.Warn("subscriptions: listen failed; retrying", "err", err, "in", backoff.String())
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(backoff):
		}
	}
}

// listen delivers new events whenever a commit is notified, and every
// pollEvery in case a notification was lost.
func (h *Hub) listen(ctx context.Context, l *db.Listener) error {
	for {
		wctx, cancel := context.WithTimeout(ctx, pollEvery)
		seq, err := l.Wait(wctx)
		cancel()
		switch {
		case err == nil:
			h.mu.Lock()
			behind := seq > h.last
			h.mu.Unlock()
			if behind {
				h.catchUp(ctx)
			}
		case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
			h.catchUp(ctx)
		default:
			return err
		}
	}
}

// catchUp reads and delivers every event past the last delivered one.
func (h *Hub) catchUp(ctx context.Context) {
	for {
		h.mu.Lock()
		last := h.last
		h.mu.Unlock()
		batch, err := h.store.Changes.Since(ctx, last, readBatch)
		if err != nil {
			if ctx.Err() == nil {
				h.log.Warn("subscriptions: reading the change log", "err", err)
			}
			return
		}
		if len(batch) == 0 {
			return
		}
		h.deliver(ctx, batch)
		h.mu.Lock()
		h.last = batch[len(batch)-1].Seq
		h.mu.Unlock()
		if len(batch) < readBatch {
			return
		}
	}
}

// deliver hands a batch to every subscriber that wants each event, in seq
// order. Entity filters are evaluated first, one statement per distinct
// filter and org.
func (h *Hub) deliver(ctx context.Context, batch []*cartograph.Change) {
	h.mu.Lock()
	subs := make([]*Subscription, 0, len(h.subs))
	for s := range h.subs {
		subs = append(subs, s)
	}
	h.mu.Unlock()
	if len(subs) == 0 {
		return
	}
	matches := h.matchEntities(ctx, batch, subs)
	for _, c := range batch {
		e := &Event{Change: c}
		for _, s := range subs {
			if c.Seq <= s.from || c.OrgID != s.spec.OrgID || s.spec.Accept != nil && !s.spec.Accept(c) {
				continue
			}
			if s.spec.Entities != nil && !matches[filterKey{c.OrgID, s.spec.FilterKey}][c.ObjectID] {
				continue
			}
			if !s.send(e) {
				h.log.Warn("subscriptions: dropped a slow subscriber", "org", s.spec.OrgID, "buffer", h.buffer)
				h.remove(s, ErrSlowSubscriber)
			}
		}
	}
}

type filterKey struct{ org, key string }

func (h *Hub) matchEntities(ctx context.Context, batch []*cartograph.Change, subs []*Subscription) map[filterKey]map[string]bool {
	queries := map[filterKey]*cartograph.EntityQuery{}
	for _, s := range subs {
		if s.spec.Entities != nil {
			queries[filterKey{s.spec.OrgID, s.spec.FilterKey}] = s.spec.Entities
		}
	}
	out := make(map[filterKey]map[string]bool, len(queries))
	for k, q := range queries {
		var ids []string
		var deletes []int64
		for _, c := range batch {
			if c.OrgID != k.org || c.ObjectType != cartograph.ObjectEntity {
				continue
			}
			if c.Operation == cartograph.OpDelete {
				deletes = append(deletes, c.Seq)
			} else {
				ids = append(ids, c.ObjectID)
			}
		}
		if len(ids) == 0 && len(deletes) == 0 {
			continue
		}
		actor := &cartograph.Actor{KeyName: "subscriptions", OrgID: k.org, Scope: cartograph.ScopeRead, Role: cartograph.RoleUser}
		m, err := h.store.Entities.Matching(cartograph.WithActor(ctx, actor), *q, ids, deletes)
		if err != nil {
			h.log.Warn("subscriptions: matching entity filters", "err", err)
		}
		out[k] = m
	}
	return out
}
