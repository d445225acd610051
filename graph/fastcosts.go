package graph

import (
	"context"

	"cartograph/cartograph"
)

// Cost fields on the fast path (fastpath.go). An entity page's resolver
// prefetches a level's cost rollups in one statement (prefetchCost), so
// each entity's cost field finds its rollup in the loader's cache, as
// gqlgen's resolvers do. A breakdown's entity is resolved per share
// through the entity loader, whose batching waits for concurrent callers:
// on the fast path, which resolves one object after another, every share
// would wait and read alone, so a query that asks for it stays with gqlgen.

// costFields are the cost fields, by entity type, with the generated code
// that coerces their arguments (Service's has includeDependencies).
var costFields = map[string]fieldWriter{
	"Resource":    writeCost("Resource", (*executionContext).field_Resource_cost_args),
	"Environment": writeCost("Environment", (*executionContext).field_Environment_cost_args),
	"Service":     writeCost("Service", (*executionContext).field_Service_cost_args),
	"System":      writeCost("System", (*executionContext).field_System_cost_args),
	"Application": writeCost("Application", (*executionContext).field_Application_cost_args),
}

type argsCoercion = func(*executionContext, context.Context, map[string]any) (map[string]any, error)

// writeCost resolves an entity's cost field as its generated resolver does
// (costOf) and writes the rollup as a CostSummary.
func writeCost(typ string, coerce argsCoercion) fieldWriter {
	return func(r *fastRun, f *fastField, obj any) error {
		a, err := r.arguments(f, coerce)
		if err != nil {
			return err
		}
		deps, _ := a["includeDependencies"].(bool)
		c, err := costOf(r.fieldContext(f, typ), obj.(*cartograph.Entity), a["from"].(string), a["to"].(string), deps)
		if err != nil {
			return err
		}
		if c == nil {
			return errFastPathDeclined // a null where the schema promises a summary
		}
		return r.object("CostSummary", f.Selections, c)
	}
}

var costSummaryFields = map[string]objectField{
	"total": {text(func(c *cartograph.CostRollup) string { return c.Total }), ""},
	"breakdown": {func(r *fastRun, f *fastField, obj any) error {
		return objectList(r, "CostShare", f, obj.(*cartograph.CostRollup).Parts)
	}, "CostShare"},
	"daily": {func(r *fastRun, f *fastField, obj any) error {
		return objectList(r, "DayCost", f, obj.(*cartograph.CostRollup).Daily)
	}, "DayCost"},
}

// costShareFields lacks entity (above).
var costShareFields = map[string]fieldWriter{
	"total": text(func(p *cartograph.CostPart) string { return p.Total }),
}

var dayCostFields = map[string]fieldWriter{
	// A Date is written as its string (model.MarshalDate).
	"date":  text(func(d *cartograph.DailyCost) string { return d.Date }),
	"total": text(func(d *cartograph.DailyCost) string { return d.Total }),
}

// fieldContext returns f's resolver context, made at its first object and
// kept for the others: its arguments and selections are the same for all
// (f is one type's field). Its arguments must have been coerced.
func (r *fastRun) fieldContext(f *fastField, typ string) context.Context {
	if ctx, ok := r.contexts[f]; ok {
		return ctx
	}
	ctx := r.resolverContext(f, typ)
	if r.contexts == nil {
		r.contexts = map[*fastField]context.Context{}
	}
	r.contexts[f] = ctx
	return ctx
}
