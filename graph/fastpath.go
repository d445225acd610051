package graph

import (
	"bytes"
	"context"
	"errors"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"cartograph/cartograph"
	"cartograph/graph/model"
	"cartograph/metrics"
)

// Fast reads: the catalog's read queries answered without gqlgen's
// per-field execution.
//
// gqlgen executes every field of every object through its generic machinery:
// a field context and middleware chain per field, the field set collected
// again for each object, and a goroutine per element of every list. On the
// catalog's nested pages that is most of the server's CPU
// (docs/benchmarks.md, "The biggest win so far": Q2, 434 objects, ~7 ms a
// request). fastReads answers a query whose every field it knows, the
// entity pages and their relations, by writing the JSON
// directly: fields are collected once per selection and type with gqlgen's
// own CollectFields, arguments are coerced by the generated code, the
// resolvers, prefetching and loaders are the ones gqlgen calls, and every
// value is written by the marshaler gqlgen would use. So the bytes are
// gqlgen's, which TestFastReadsMatchGqlgen holds field by field.
//
// Anything else goes to gqlgen untouched: mutations, subscriptions, a field
// the tables below lack, @defer, introspection. So does a query whose
// resolution fails on the fast path (a resolver error or a null where the
// schema promises a value): its work is dropped and gqlgen runs it again, so
// errors are reported exactly as before. Reads are side-effect free, and the
// second run finds the loaders' cache warm.
type fastReads struct {
	schema *executableSchema // its resolvers, and the generated code's argument coercion
	// trace starts a span per root field, as the traced extension does.
	trace bool
	// plans keeps the plans of operations no variable can change.
	plans *opCache[cachedPlans]
}

var (
	_ graphql.HandlerExtension     = fastReads{}
	_ graphql.OperationInterceptor = fastReads{}
	_ graphql.ResponseInterceptor  = fastReads{}

	errFastPathDeclined = errors.New("graph: not for the fast path")
)

// fastReadsKey holds, in an operation's context, whether it was answered.
type fastReadsKey struct{}

func (fastReads) ExtensionName() string                   { return "FastReads" }
func (fastReads) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptOperation marks the operation, so its response handler can tell
// the first call (answer) from a transport's next one (end of stream).
func (fastReads) InterceptOperation(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
	return next(context.WithValue(ctx, fastReadsKey{}, new(bool)))
}

// InterceptResponse answers a supported query; any other goes on to gqlgen.
func (f fastReads) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	oc := graphql.GetOperationContext(ctx)
	answered, _ := ctx.Value(fastReadsKey{}).(*bool)
	if answered == nil || oc == nil || oc.Operation == nil || oc.Operation.Operation != ast.Query {
		return next(ctx)
	}
	if *answered {
		return nil // a query has one response; the first call gave it
	}
	run := &fastRun{ctx: ctx, oc: oc, res: f.schema.Resolvers, trace: f.trace}
	if !run.planOperation(f.plans) {
		metrics.FastRead("declined")
		return next(ctx)
	}
	run.ec = newExecutionContext(oc, f.schema, nil)
	if err := run.object("Query", oc.Operation.SelectionSet, nil); err != nil {
		metrics.FastRead("rerun")
		return next(ctx)
	}
	metrics.FastRead("answered")
	*answered = true
	return &graphql.Response{Data: run.buf.Bytes()}
}

// fastRun is one query on the fast path: its plans and its answer.
type fastRun struct {
	ctx   context.Context
	oc    *graphql.OperationContext
	ec    *executionContext
	res   ResolverRoot
	trace bool
	plans map[planKey]*fastPlan // read-only once planned: it may be shared (opCache)
	// args are each field's coerced arguments, computed at its first use:
	// they are the same for every object of a plan, but are this
	// request's, as resolvers get them.
	args map[*fastField]map[string]any
	// relations are each relation field's query, made at its first parent.
	relations map[*fastField]relationCall
	// contexts are other fields' resolver contexts (fieldContext).
	contexts map[*fastField]context.Context
	buf      bytes.Buffer
}

// planKey names a selection set as seen from one object type.
type planKey struct {
	first *ast.Selection
	n     int
	typ   string
}

func keyOf(typ string, sel ast.SelectionSet) planKey {
	if len(sel) == 0 {
		return planKey{typ: typ}
	}
	return planKey{&sel[0], len(sel), typ}
}

// fastPlan is a selection set's fields on one object type, in answer order.
type fastPlan struct{ fields []fastField }

// fastField is one field of a plan and how to write its value.
type fastField struct {
	graphql.CollectedField
	write fieldWriter
}

// fieldWriter writes one field's value for obj.
type fieldWriter func(r *fastRun, f *fastField, obj any) error

// planOperation plans the operation (plan), or takes its plans from cache
// when no variable can change them, and reports whether the fast path
// answers it.
func (r *fastRun) planOperation(cache *opCache[cachedPlans]) bool {
	op := r.oc.Operation
	if cache == nil || len(op.VariableDefinitions) > 0 {
		r.plans = map[planKey]*fastPlan{}
		return r.plan("Query", op.SelectionSet)
	}
	if p, ok := cache.get(op); ok {
		r.plans = p.plans
		return p.ok
	}
	r.plans = map[planKey]*fastPlan{}
	ok := r.plan("Query", op.SelectionSet)
	cache.put(op, cachedPlans{r.plans, ok})
	return ok
}

// plan collects the fields of sel on typ, and recursively of every
// selection below, and reports whether the fast path knows every one. It is
// done before any resolver runs, so a declined query costs no work twice.
func (r *fastRun) plan(typ string, sel ast.SelectionSet) bool {
	k := keyOf(typ, sel)
	if _, ok := r.plans[k]; ok {
		return true
	}
	p := &fastPlan{}
	r.plans[k] = p
	for _, cf := range graphql.CollectFields(r.oc, sel, implementors(typ)) {
		if len(cf.Deferrables) > 0 || !onlySkipInclude(cf.Directives) {
			return false
		}
		w, child, ok := fieldFor(typ, cf.Name)
		if !ok {
			return false
		}
		p.fields = append(p.fields, fastField{CollectedField: cf, write: w})
		if child == "" {
			continue
		}
		for _, t := range concrete(child) {
			if !r.plan(t, cf.Selections) {
				return false
			}
		}
	}
	return true
}

// onlySkipInclude reports whether a field carries no directive but @skip and
// @include, which CollectFields has applied.
func onlySkipInclude(ds ast.DirectiveList) bool {
	for _, d := range ds {
		if d.Name != "skip" && d.Name != "include" {
			return false
		}
	}
	return true
}

// object writes obj, of GraphQL object type typ, as the planned fields of sel.
func (r *fastRun) object(typ string, sel ast.SelectionSet, obj any) error {
	p := r.plans[keyOf(typ, sel)]
	if p == nil {
		return errFastPathDeclined // a type the plan did not foresee
	}
	r.buf.WriteByte('{')
	for i := range p.fields {
		f := &p.fields[i]
		if i > 0 {
			r.buf.WriteByte(',')
		}
		r.buf.WriteByte('"')
		r.buf.WriteString(f.Alias)
		r.buf.WriteString(`":`)
		if err := f.write(r, f, obj); err != nil {
			return err
		}
	}
	r.buf.WriteByte('}')
	return nil
}

// value writes a scalar's marshaler; a null where the schema promises a
// value is gqlgen's error to report.
func (r *fastRun) value(m graphql.Marshaler) error {
	if m == graphql.Null {
		return errFastPathDeclined
	}
	m.MarshalGQL(&r.buf)
	return nil
}

// resolverContext is the field context a resolver reads (its selections,
// for prefetching and for the entity parts to load).
func (r *fastRun) resolverContext(f *fastField, object string) context.Context {
	return graphql.WithFieldContext(r.ctx, &graphql.FieldContext{
		Object: object, Field: f.CollectedField, Args: r.args[f], IsMethod: true, IsResolver: true,
	})
}

// rootField resolves a root field with resolve, in the field's context and,
// when tracing, in its span.
func (r *fastRun) rootField(f *fastField, resolve func(context.Context) error) error {
	ctx := r.resolverContext(f, "Query")
	if !r.trace {
		return resolve(ctx)
	}
	ctx, end := rootFieldSpan(ctx, graphql.GetFieldContext(ctx))
	err := resolve(ctx)
	end(err)
	return err
}

// arguments coerces f's arguments once, with the generated code for the
// field's arguments.
func (r *fastRun) arguments(f *fastField, coerce func(*executionContext, context.Context, map[string]any) (map[string]any, error)) (map[string]any, error) {
	if args, ok := r.args[f]; ok {
		return args, nil
	}
	args, err := coerce(r.ec, r.ctx, f.ArgumentMap(r.oc.Variables))
	if err != nil {
		return nil, err
	}
	if r.args == nil {
		r.args = map[*fastField]map[string]any{}
	}
	r.args[f] = args
	return args, nil
}

// entityList writes entities as a list of their concrete GraphQL types.
func (r *fastRun) entityList(sel ast.SelectionSet, es []*cartograph.Entity) error {
	r.buf.WriteByte('[')
	for i, e := range es {
		if i > 0 {
			r.buf.WriteByte(',')
		}
		if err := r.object(model.TypeName(e.Type), sel, e); err != nil {
			return err
		}
	}
	r.buf.WriteByte(']')
	return nil
}

// entityTypeNames are the GraphQL object types of the Entity interface.
var entityTypeNames = func() []string {
	out := make([]string, len(cartograph.EntityTypes))
	for i, t := range cartograph.EntityTypes {
		out[i] = model.TypeName(t)
	}
	return out
}()

// entityImplementors is what an object of each entity type satisfies in
// CollectFields, as the generated code has it: its type and Entity.
var entityImplementors = func() map[string][]string {
	out := map[string][]string{}
	for _, name := range entityTypeNames {
		out[name] = []string{name, "Entity"}
	}
	return out
}()

// implementors is what an object of GraphQL type typ satisfies.
func implementors(typ string) []string {
	if s, ok := entityImplementors[typ]; ok {
		return s
	}
	return []string{typ}
}

// concrete lists the object types a field of type typ may hold.
func concrete(typ string) []string {
	if typ == "Entity" {
		return entityTypeNames
	}
	return []string{typ}
}

// cachedPlans are an operation's plans and whether the fast path answers
// it. An operation that declares no variable is planned once and its plans
// kept (opCache): planning was 7 % of Q1's server CPU, an items of type
// Entity being planned for each of the twelve entity types. Plans are
// read-only once made; each request coerces its own arguments
// (fastRun.args).
type cachedPlans struct {
	plans map[planKey]*fastPlan
	ok    bool
}
