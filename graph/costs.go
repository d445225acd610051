package graph

import (
	"context"
	"encoding/json"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

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
	only := false
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		only = totalOnly(fc.Field.Selections)
	}
	req := db.CostRequest{Type: e.Type, From: from, To: to, Dependencies: deps, TotalOnly: only}
	return loadersFrom(ctx).costs.Load(ctx, costKey{e.ID, req})()
}

// totalOnly reports whether a cost field's selection shows the total alone,
// which spares its rollup the breakdown and the daily series.
func totalOnly(sel ast.SelectionSet) bool {
	only := true
	eachField(sel, func(f *ast.Field) {
		if f.Name != "total" && f.Name != "__typename" {
			only = false
		}
	})
	return only
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
	costs := newLoader("costs", func(ctx context.Context, keys []costKey) (map[costKey]*cartograph.CostRollup, error) {
		return grouped(keys, func(k costKey) (db.CostRequest, string) { return k.Req, k.ID },
			func(r db.CostRequest, id string) costKey { return costKey{id, r} },
			func(r db.CostRequest, ids []string) (map[string]*cartograph.CostRollup, error) {
				return store.Costs.Rollups(ctx, r, ids)
			})
	})
	entities := newLoader("entity", func(ctx context.Context, ids []string) (map[string]*cartograph.Entity, error) {
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

func prefetchCost(ctx context.Context, l *loaders, parents []any, args map[string]any, sel ast.SelectionSet) ([]any, error) {
	from, _ := args["from"].(string)
	to, _ := args["to"].(string)
	deps, _ := args["includeDependencies"].(bool)
	if db.ValidateRange(from, to) != nil {
		return nil, nil
	}
	keys := make([]costKey, len(parents))
	for i, p := range parents {
		e := p.(model.Entity).Base()
		keys[i] = costKey{e.ID, db.CostRequest{Type: e.Type, From: from, To: to, Dependencies: deps, TotalOnly: totalOnly(sel)}}
	}
	_, err := l.costs.prefetch(ctx, keys)
	return nil, err
}

func upsertBatch(ctx context.Context, store *db.DB, t cartograph.EntityType, items []map[string]any) (*model.EntityBatchResult, error) {
	inputs := make([]cartograph.EntityInput, len(items))
	for i, it := range items {
		inputs[i] = entityInput(t, it)
	}
	res, err := store.Entities.UpsertBatch(ctx, t, inputs)
	if err != nil {
		return nil, err
	}
	out := &model.EntityBatchResult{Success: res.Success, Failures: res.Failures, Items: model.WrapAll(res.Items),
		Failed: make([]model.BatchItemFailure, len(res.Failed))}
	for i, f := range res.Failed {
		out.Failed[i] = model.BatchItemFailure{Index: f.Index, Key: f.ProviderResourceKey, Status: f.Status, Error: f.Error}
	}
	return out, nil
}

// rawItems turns GraphQL input objects into the raw JSON rows the domain parses.
func rawItems(items []map[string]any) []json.RawMessage {
	out := make([]json.RawMessage, len(items))
	for i, it := range items {
		out[i], _ = json.Marshal(it)
	}
	return out
}

func upsertCosts(ctx context.Context, store *db.DB, rows []map[string]any) (*model.CostBatchResult, error) {
	if err := cartograph.CheckBatchSize(len(rows), cartograph.MaxCostBatch); err != nil {
		return nil, err
	}
	valid, index, failed := cartograph.ParseCostRows(rawItems(rows))
	res, err := store.Costs.Upsert(ctx, valid, failed, index)
	if err != nil {
		return nil, err
	}
	out := &model.CostBatchResult{Success: res.Success, Failures: res.Failures, Failed: make([]model.BatchItemFailure, len(res.Failed))}
	for i, f := range res.Failed {
		out.Failed[i] = model.BatchItemFailure{Index: f.Index, Key: f.ID, Status: f.Status, Error: f.Error}
	}
	return out, nil
}

func deleteCosts(ctx context.Context, store *db.DB, keys []map[string]any) (int, error) {
	parsed, err := cartograph.ParseCostKeys(rawItems(keys))
	if err != nil {
		return 0, err
	}
	return store.Costs.Delete(ctx, parsed)
}
