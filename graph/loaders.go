package graph

import (
	"context"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/graph-gophers/dataloader/v7"
	"go.opentelemetry.io/otel/attribute"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/graph/model"
	"cartograph/metrics"
	"cartograph/tracing"
)

// loaders batch the reads of one GraphQL operation: every load of one kind
// made while a level of the query resolves becomes one SQL statement, so a
// nested query costs a statement per level, not one per parent.
//
// Loaders batch by time: a batch waits batchWait for sibling loads. That is
// a heuristic under load, so root resolvers also prefetch (prefetch.go): they
// fill each level's loader for every parent at once, and resolvers below
// find their rows in the cache.
type loaders struct {
	configs     *batch[pagedKey, *model.ConfigPage]
	configCount *batch[string, int]
	configByKey *batch[namedKey, *cartograph.Config]
	versions    *batch[pagedKey, []*cartograph.Version]
	version     *batch[db.VersionKey, *cartograph.Version]
	versionAt   *batch[timedKey, *cartograph.Version]
	snapshot    *batch[timedKey, []*cartograph.SnapshotEntry]

	related      *batch[relKey, []*cartograph.Entity]
	relatedCount *batch[model.RelKey, int]

	costs    *batch[costKey, *cartograph.CostRollup]
	entity   *batch[string, *cartograph.Entity]
	entityAt *batch[timedKey, *cartograph.Entity]

	// filters holds the where inputs of this operation by canonical text, so
	// loader keys stay comparable.
	filters sync.Map

	groupsMu sync.Mutex
	groups   map[relGroup]*relGroup // interned, for relKey
}

// relGroup returns the one pointer this operation uses for g, so that
// relation keys with equal groups are equal.
func (l *loaders) relGroup(g relGroup) *relGroup {
	l.groupsMu.Lock()
	defer l.groupsMu.Unlock()
	if p, ok := l.groups[g]; ok {
		return p
	}
	if l.groups == nil {
		l.groups = map[relGroup]*relGroup{}
	}
	p := &g
	l.groups[g] = p
	return p
}

// where registers a where input and returns its key ("" for none).
func (l *loaders) where(m map[string]any) (string, error) {
	f, err := whereFilter(m)
	if err != nil || f == nil {
		return "", err
	}
	k := whereKey(m)
	l.filters.Store(k, f)
	return k, nil
}

// filter returns the filter registered under k, nil for "".
func (l *loaders) filter(k string) *cartograph.Filter {
	if v, ok := l.filters.Load(k); ok {
		return v.(*cartograph.Filter)
	}
	return nil
}

// batch is a dataloader that remembers its fetch function, so a prefetch can
// run one fetch for known keys and keep the answers for later Loads.
type batch[K comparable, V any] struct {
	name  string
	fetch func(ctx context.Context, keys []K) (map[K]V, error)

	// loader batches the Loads that prefetch did not answer. It is made on
	// the first of them: a request makes every batch and most use none, or
	// only their prefetched answers.
	once   sync.Once
	loader *dataloader.Loader[K, V]

	// fetched holds what prefetch fetched, which Load answers from first.
	// It is a plain map, not the dataloader's cache: priming that cache
	// allocates a thunk per key, and each Load of it a channel and a
	// mutex, ~7 % of the server's CPU on Q2's 100 relation pages.
	mu      sync.RWMutex
	fetched map[K]V
}

// prefetch fetches every key in one call and keeps the answers, so later
// Loads of those keys run no query.
func (b *batch[K, V]) prefetch(ctx context.Context, keys []K) (map[K]V, error) {
	metrics.Batch(b.name+" (prefetch)", len(keys))
	ctx, end := tracing.Start(ctx, "prefetch "+b.name, attribute.Int("keys", len(keys)))
	found, err := b.fetch(ctx, dedupe(keys))
	end(err)
	if err != nil {
		return nil, err
	}
	b.mu.Lock()
	if b.fetched == nil {
		b.fetched = make(map[K]V, len(keys))
	}
	for _, k := range keys {
		if _, ok := b.fetched[k]; !ok {
			b.fetched[k] = found[k] // a key fetch left out: V's zero value
		}
	}
	b.mu.Unlock()
	return found, nil
}

// Load answers key from what prefetch fetched, or else batches it with its
// siblings through the dataloader.
func (b *batch[K, V]) Load(ctx context.Context, key K) dataloader.Thunk[V] {
	b.mu.RLock()
	v, ok := b.fetched[key]
	b.mu.RUnlock()
	if ok {
		return func() (V, error) { return v, nil }
	}
	b.once.Do(b.start)
	return b.loader.Load(ctx, key)
}

func dedupe[K comparable](keys []K) []K {
	seen := make(map[K]bool, len(keys))
	out := keys[:0:0]
	for _, k := range keys {
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	return out
}

// pagedKey asks for one page of a parent's children.
type pagedKey struct {
	ParentID string
	Page     cartograph.Page
}

// namedKey asks for a parent's child of that name.
type namedKey struct {
	ParentID, Name string
}

// timedKey asks for something of an object at a time (UnixNano; 0 = now).
type timedKey struct {
	ID string
	At int64
}

// batchWait is how long a loader waits for sibling loads before it queries.
// Sibling resolvers run concurrently and call Load within microseconds.
const batchWait = 500 * time.Microsecond

// newLoader makes a loader whose batch asks fetch for every key at once and
// answers in key order; a key fetch leaves out gets V's zero value.
func newLoader[K comparable, V any](name string, fetch func(ctx context.Context, keys []K) (map[K]V, error)) *batch[K, V] {
	return &batch[K, V]{name: name, fetch: fetch}
}

// start makes b's dataloader.
func (b *batch[K, V]) start() {
	b.loader = dataloader.NewBatchedLoader(func(ctx context.Context, keys []K) []*dataloader.Result[V] {
		metrics.Batch(b.name, len(keys))
		ctx, end := tracing.Start(ctx, "load "+b.name, attribute.Int("keys", len(keys)))
		found, err := b.fetch(ctx, keys)
		end(err)
		out := make([]*dataloader.Result[V], len(keys))
		for i, k := range keys {
			out[i] = &dataloader.Result[V]{Data: found[k], Error: err}
		}
		return out
	}, dataloader.WithWait[K, V](batchWait))
}

// grouped splits keys by a shared argument (a page, a name, a time) and runs
// fetch once per distinct argument: one statement for the usual query, where
// every parent at a level is asked the same. The keys are distinct: a
// dataloader batch holds each key once, and prefetch dedupes its own.
func grouped[K comparable, G comparable, V any](keys []K, split func(K) (G, string), join func(G, string) K,
	fetch func(G, []string) (map[string]V, error),
) (map[K]V, error) {
	ids := map[G][]string{}
	var order []G
	for _, k := range keys {
		g, id := split(k)
		if _, ok := ids[g]; !ok {
			order = append(order, g)
		}
		ids[g] = append(ids[g], id)
	}
	out := make(map[K]V, len(keys))
	for _, g := range order {
		found, err := fetch(g, ids[g])
		if err != nil {
			return nil, err
		}
		for id, v := range found {
			out[join(g, id)] = v
		}
	}
	return out, nil
}

func splitPaged(k pagedKey) (cartograph.Page, string) { return k.Page, k.ParentID }
func joinPaged(p cartograph.Page, id string) pagedKey { return pagedKey{id, p} }
func splitNamed(k namedKey) (string, string)          { return k.Name, k.ParentID }
func joinNamed(name, id string) namedKey              { return namedKey{id, name} }
func splitTimed(k timedKey) (int64, string)           { return k.At, k.ID }
func joinTimed(at int64, id string) timedKey          { return timedKey{id, at} }

func unixTime(at int64) time.Time {
	if at == 0 {
		return time.Time{}
	}
	return time.Unix(0, at)
}

func newLoaders(store *db.DB) *loaders {
	c := store.Configs
	costs, entity := newCostLoaders(store)
	l := &loaders{}
	*l = loaders{
		costs:  costs,
		entity: entity,
		configs: newLoader("configs", func(ctx context.Context, keys []pagedKey) (map[pagedKey]*model.ConfigPage, error) {
			return grouped(keys, splitPaged, joinPaged, func(p cartograph.Page, ids []string) (map[string]*model.ConfigPage, error) {
				found, err := c.ConfigsOfDomains(ctx, ids, p)
				pages := make(map[string]*model.ConfigPage, len(ids))
				for _, id := range ids {
					items, more := trim(found[id], p.Limit)
					pages[id] = &model.ConfigPage{DomainID: id, Items: items, HasNextPage: more}
				}
				return pages, err
			})
		}),
		configCount: newLoader("configCount", func(ctx context.Context, ids []string) (map[string]int, error) {
			return c.CountConfigs(ctx, ids)
		}),
		configByKey: newLoader("configByKey", func(ctx context.Context, keys []namedKey) (map[namedKey]*cartograph.Config, error) {
			return grouped(keys, splitNamed, joinNamed, func(name string, ids []string) (map[string]*cartograph.Config, error) {
				return c.ConfigsByKey(ctx, ids, name)
			})
		}),
		versions: newLoader("versions", func(ctx context.Context, keys []pagedKey) (map[pagedKey][]*cartograph.Version, error) {
			return grouped(keys, splitPaged, joinPaged, func(p cartograph.Page, ids []string) (map[string][]*cartograph.Version, error) {
				return c.VersionsOfConfigs(ctx, ids, p)
			})
		}),
		version: newLoader("version", func(ctx context.Context, keys []db.VersionKey) (map[db.VersionKey]*cartograph.Version, error) {
			return c.VersionsByNumber(ctx, keys)
		}),
		versionAt: newLoader("versionAt", func(ctx context.Context, keys []timedKey) (map[timedKey]*cartograph.Version, error) {
			return grouped(keys, splitTimed, joinTimed, func(at int64, ids []string) (map[string]*cartograph.Version, error) {
				return c.VersionsAt(ctx, ids, unixTime(at))
			})
		}),
		snapshot: newLoader("snapshot", func(ctx context.Context, keys []timedKey) (map[timedKey][]*cartograph.SnapshotEntry, error) {
			return grouped(keys, splitTimed, joinTimed, func(at int64, ids []string) (map[string][]*cartograph.SnapshotEntry, error) {
				return c.Snapshots(ctx, ids, unixTime(at))
			})
		}),
		entityAt: newLoader("entityAt", func(ctx context.Context, keys []timedKey) (map[timedKey]*cartograph.Entity, error) {
			return grouped(keys, splitTimed, joinTimed, func(at int64, ids []string) (map[string]*cartograph.Entity, error) {
				return store.Changes.EntitiesAsOf(ctx, ids, unixTime(at))
			})
		}),
		related: newLoader("related", func(ctx context.Context, keys []relKey) (map[relKey][]*cartograph.Entity, error) {
			return grouped(keys, func(k relKey) (*relGroup, string) { return k.Group, k.ParentID },
				func(g *relGroup, id string) relKey { return relKey{id, g} },
				func(g *relGroup, ids []string) (map[string][]*cartograph.Entity, error) {
					return store.Relations.Neighbors(ctx, ids, g.Hop, g.Page, l.filter(g.Where), g.Parts)
				})
		}),
		relatedCount: newLoader("relatedCount", func(ctx context.Context, keys []model.RelKey) (map[model.RelKey]int, error) {
			type group struct {
				hop   cartograph.Hop
				where string
			}
			return grouped(keys, func(k model.RelKey) (group, string) { return group{k.Hop, k.Where}, k.ParentID },
				func(g group, id string) model.RelKey { return model.RelKey{ParentID: id, Hop: g.hop, Where: g.where} },
				func(g group, ids []string) (map[string]int, error) {
					return store.Relations.CountNeighbors(ctx, ids, g.hop, l.filter(g.where))
				})
		}),
	}
	return l
}

// trim cuts a fetched page of limit+1 rows to limit, telling whether there
// was more.
func trim[T any](items []T, limit int) ([]T, bool) {
	if len(items) > limit {
		return items[:limit], true
	}
	return items, false
}

type loadersKey struct{}

// withLoaders gives each operation fresh loaders (and so a fresh cache): an
// operation never sees another's data, and a subscription's events never see
// stale rows.
func withLoaders(store *db.DB) graphql.OperationMiddleware {
	return func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil {
			metrics.Operation(string(oc.Operation.Operation), oc.Operation.Name)
		}
		return next(context.WithValue(ctx, loadersKey{}, newLoaders(store)))
	}
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}
