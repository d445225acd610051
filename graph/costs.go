package graph

import (
	"context"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/graph/model"
)

// costKey asks for one entity's cost rollup.
type costKey struct {
	ID  string
	Req db.CostRequest
}

// costOf resolves a cost field through the batching loader.
func costOf(ctx context.Context, e *cartograph.Entity, from, to string, deps bool) (*cartograph.CostRollup, error) {
	if err := db.ValidateRange(from, to); err != nil {
		return nil, err
	}
	return loadersFrom(ctx).costs.Load(ctx, costKey{e.ID, db.CostRequest{Type: e.Type, From: from, To: to, Dependencies: deps}})()
}

// entityOf loads one entity by id through the batching loader.
func entityOf(ctx context.Context, id string) (model.Entity, error) {
	e, err := loadersFrom(ctx).entity.Load(ctx, id)()
	if err != nil || e == nil {
		return nil, err
	}
	return model.Wrap(e), nil
}

func newCostLoaders(store *db.DB) (*batch[costKey, *cartograph.CostRollup], *batch[string, *cartograph.Entity]) {
	costs := newLoader(func(ctx context.Context, keys []costKey) (map[costKey]*cartograph.CostRollup, error) {
		return grouped(keys, func(k costKey) (db.CostRequest, string) { return k.Req, k.ID },
			func(r db.CostRequest, id string) costKey { return costKey{id, r} },
			func(r db.CostRequest, ids []string) (map[string]*cartograph.CostRollup, error) {
				return store.Costs.Rollups(ctx, r, ids)
			})
	})
	entities := newLoader(func(ctx context.Context, ids []string) (map[string]*cartograph.Entity, error) {
		return store.Entities.ByIDs(ctx, ids)
	})
	return costs, entities
}

func init() {
	// Cost fields are prefetched like relation fields: one rollup statement
	// for every entity of a level.
	for _, typ := range []string{"Resource", "Environment", "Service", "System", "Application"} {
		if prefetchers[typ] == nil {
			prefetchers[typ] = map[string]child{}
		}
		prefetchers[typ]["cost"] = child{"", prefetchCost}
	}
}

func prefetchCost(ctx context.Context, l *loaders, parents []any, args map[string]any) ([]any, error) {
	from, _ := args["from"].(string)
	to, _ := args["to"].(string)
	deps, _ := args["includeDependencies"].(bool)
	if db.ValidateRange(from, to) != nil {
		return nil, nil
	}
	keys := make([]costKey, len(parents))
	for i, p := range parents {
		e := p.(model.Entity).Base()
		keys[i] = costKey{e.ID, db.CostRequest{Type: e.Type, From: from, To: to, Dependencies: deps}}
	}
	_, err := l.costs.prefetch(ctx, keys)
	return nil, err
}
