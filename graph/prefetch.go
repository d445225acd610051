package graph

import (
	"context"
	"encoding/json"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"cartograph/cartograph"
	"cartograph/db"
	"cartograph/graph/model"
)

// Prefetching makes a nested query cost one SQL statement per level, however
// many parents a level has and however the resolvers are scheduled. A root
// resolver that returns objects calls prefetch with them and its selection
// set; prefetch walks the selections level by level and, for every child
// field it knows, loads that field for all parents of the level in one batch,
// priming the per-operation loaders. The resolvers then run as usual and find
// their rows in the cache. A field without a prefetcher simply falls back to
// the loaders' time-window batching.
//
// A prefetch that fails is dropped: the resolvers run the same loads and
// report the error on the right field.

// childLoad loads one child field for every parent at once and returns the
// children, the parents of the next level. sel is the field's selection set.
type childLoad func(ctx context.Context, l *loaders, parents []any, args map[string]any, sel ast.SelectionSet) ([]any, error)

type child struct {
	typ  string // GraphQL type of the children
	load childLoad
}

// prefetchers lists, per GraphQL type, the fields that can be prefetched.
var prefetchers = map[string]map[string]child{
	"DomainPage": {"items": {"Domain", items[*cartograph.Domain, *model.DomainPage](func(p *model.DomainPage) []*cartograph.Domain { return p.Items })}},
	"Domain": {
		"configs": {"ConfigPage", prefetchConfigs},
	},
	"ConfigPage": {
		"items":      {"Config", items[*cartograph.Config, *model.ConfigPage](func(p *model.ConfigPage) []*cartograph.Config { return p.Items })},
		"totalCount": {"", prefetchConfigCount},
	},
	"Config": {
		"latest":   {"Version", prefetchLatest},
		"versions": {"VersionPage", prefetchVersions},
	},
	"VersionPage": {"items": {"Version", items[*cartograph.Version, *model.VersionPage](func(p *model.VersionPage) []*cartograph.Version { return p.Items })}},
	"EntityPage":  {"items": {"Entity", items[model.Entity, *model.EntityPage](func(p *model.EntityPage) []model.Entity { return p.Items })}},
}

// prefetchField prefetches below the current field, whose resolver returned
// parents of GraphQL type typ.
func prefetchField(ctx context.Context, typ string, parents ...any) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil || len(parents) == 0 {
		return
	}
	prefetch(ctx, typ, parents, fc.Field.Selections)
}

func prefetch(ctx context.Context, typ string, parents []any, sel ast.SelectionSet) {
	if !mayPrefetch(sel, prefetchedNames()) {
		return // a level of scalars, such as Q1's { id name tags }
	}
	if typ == "Entity" {
		// Interface-typed parents: fields come from fragments on each
		// concrete type, so each type's parents are walked on their own.
		byType := map[string][]any{}
		for _, p := range parents {
			name := model.TypeName(p.(model.Entity).Base().Type)
			byType[name] = append(byType[name], p)
		}
		for name, ps := range byType {
			prefetchAs(ctx, name, []string{name, "Entity"}, ps, sel)
		}
		return
	}
	prefetchAs(ctx, typ, []string{typ}, parents, sel)
}

func prefetchAs(ctx context.Context, typ string, satisfies []string, parents []any, sel ast.SelectionSet) {
	oc := graphql.GetOperationContext(ctx)
	for _, f := range graphql.CollectFields(oc, sel, satisfies) {
		c, ok := prefetchers[typ][f.Name]
		if !ok {
			continue
		}
		next, err := c.load(ctx, loadersFrom(ctx), parents, f.ArgumentMap(oc.Variables), f.Selections)
		if err != nil || len(next) == 0 || c.typ == "" {
			continue
		}
		prefetch(ctx, c.typ, next, f.Selections)
	}
}

// prefetchedNames is every field name that some type prefetches, made once
// the init functions have filled prefetchers.
var prefetchedNames = sync.OnceValue(func() map[string]bool {
	names := map[string]bool{}
	for _, fields := range prefetchers {
		for name := range fields {
			names[name] = true
		}
	}
	return names
})

// mayPrefetch reports whether sel selects, directly or through a fragment,
// a field named in names. When it does not, collecting the level's fields
// (gqlgen's CollectFields, ~4 % of a small page's server CPU) would find
// nothing to load. It errs towards true: a field skipped by a directive,
// or one of that name on a type without a prefetcher, still counts.
func mayPrefetch(sel ast.SelectionSet, names map[string]bool) bool {
	for _, s := range sel {
		switch s := s.(type) {
		case *ast.Field:
			if names[s.Name] {
				return true
			}
		case *ast.InlineFragment:
			if mayPrefetch(s.SelectionSet, names) {
				return true
			}
		case *ast.FragmentSpread:
			if s.Definition == nil || mayPrefetch(s.Definition.SelectionSet, names) {
				return true
			}
		}
	}
	return false
}

// items flattens pages into their items: the next level's parents.
func items[T any, P any](of func(P) []T) childLoad {
	return func(_ context.Context, _ *loaders, parents []any, _ map[string]any, _ ast.SelectionSet) ([]any, error) {
		var out []any
		for _, p := range parents {
			for _, it := range of(p.(P)) {
				out = append(out, it)
			}
		}
		return out, nil
	}
}

// pageOf reads first/offset arguments as the resolvers do, so the prefetched
// keys are the keys the resolvers will ask for.
func pageOf(args map[string]any) (cartograph.Page, error) {
	return pageArgs(intArg(args["first"]), intArg(args["offset"]))
}

// intArg reads an Int argument: int64 from a literal, json.Number from a
// variable.
func intArg(v any) *int {
	var n int
	switch x := v.(type) {
	case int:
		n = x
	case int64:
		n = int(x)
	case json.Number:
		i, err := x.Int64()
		if err != nil {
			return nil
		}
		n = int(i)
	default:
		return nil
	}
	return &n
}

func prefetchConfigs(ctx context.Context, l *loaders, parents []any, args map[string]any, _ ast.SelectionSet) ([]any, error) {
	page, err := pageOf(args)
	if err != nil {
		return nil, err
	}
	keys := make([]pagedKey, len(parents))
	for i, p := range parents {
		keys[i] = pagedKey{p.(*cartograph.Domain).ID, page}
	}
	found, err := l.configs.prefetch(ctx, keys)
	return values(keys, found), err
}

func prefetchConfigCount(ctx context.Context, l *loaders, parents []any, _ map[string]any, _ ast.SelectionSet) ([]any, error) {
	ids := make([]string, len(parents))
	for i, p := range parents {
		ids[i] = p.(*model.ConfigPage).DomainID
	}
	_, err := l.configCount.prefetch(ctx, ids)
	return nil, err
}

func prefetchLatest(ctx context.Context, l *loaders, parents []any, _ map[string]any, _ ast.SelectionSet) ([]any, error) {
	var keys []db.VersionKey
	for _, p := range parents {
		if c := p.(*cartograph.Config); c.LastVersion > 0 {
			keys = append(keys, db.VersionKey{ConfigID: c.ID, Number: c.LastVersion})
		}
	}
	found, err := l.version.prefetch(ctx, keys)
	return values(keys, found), err
}

func prefetchVersions(ctx context.Context, l *loaders, parents []any, args map[string]any, _ ast.SelectionSet) ([]any, error) {
	page, err := pageOf(args)
	if err != nil {
		return nil, err
	}
	keys := make([]pagedKey, len(parents))
	pages := make([]any, len(parents))
	for i, p := range parents {
		keys[i] = pagedKey{p.(*cartograph.Config).ID, page}
	}
	found, err := l.versions.prefetch(ctx, keys)
	for i, k := range keys {
		its, more := trim(found[k], page.Limit)
		pages[i] = &model.VersionPage{Items: its, HasNextPage: more}
	}
	return pages, err
}

// values returns the non-nil values of found for keys, in key order.
func values[K comparable, V any](keys []K, found map[K]V) []any {
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		if v, ok := found[k]; ok {
			out = append(out, v)
		}
	}
	return out
}
