package graph

import (
	"context"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"cartograph/cartograph"
	"cartograph/graph/model"
)

// relationField is a GraphQL relation field: the hop it follows and the
// GraphQL page type it returns.
type relationField struct {
	hop  cartograph.Hop
	page string
}

// relKey asks for one page of a parent's neighbours: the parent, and what
// it shares with the other parents of its field (relGroup). The group is
// held by its interned pointer (loaders.relGroup), so hashing a key, which
// a relation page's prefetch and load do half a dozen times, hashes the
// parent's id and a pointer instead of five strings.
type relKey struct {
	ParentID string
	Group    *relGroup
}

// relGroup is what a relation field asks of every parent: a hop, a page,
// filtered by a where input (its canonical text; "" for none), and the
// parts of each neighbour to read, from the field's selection.
type relGroup struct {
	Hop   cartograph.Hop
	Page  cartograph.Page
	Where string
	Parts cartograph.EntityParts
}

// relatedPage resolves a relation field through the batching loader and
// builds its typed page.
func relatedPage[P any](ctx context.Context, parent *cartograph.Entity, field string, where map[string]any, first, offset *int,
	build func([]*cartograph.Entity, bool, model.RelKey) P,
) (P, error) {
	var zero P
	q, err := newRelationQuery(ctx, field, where, first, offset)
	if err != nil {
		return zero, err
	}
	items, more, key, err := q.load(ctx, parent)
	if err != nil {
		return zero, err
	}
	return build(items, more, key), nil
}

// relationQuery is a relation field's arguments and selections made into
// what its loader asks, the same for every parent of the field: the fast
// path makes it once per field, not once per parent.
type relationQuery struct {
	group *relGroup
	key   model.RelKey // but for its ParentID
}

// newRelationQuery reads a relation field's arguments and, from ctx's field
// context, the parts its selections show.
func newRelationQuery(ctx context.Context, field string, where map[string]any, first, offset *int) (relationQuery, error) {
	page, err := pageArgs(first, offset)
	if err != nil {
		return relationQuery{}, err
	}
	l := loadersFrom(ctx)
	wk, err := l.where(where)
	if err != nil {
		return relationQuery{}, err
	}
	rf := relationFields[field]
	parts := cartograph.AllParts
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		parts = pageParts(fc.Field.Selections)
	}
	return relationQuery{l.relGroup(relGroup{rf.hop, page, wk, parts}), model.RelKey{Hop: rf.hop, Where: wk}}, nil
}

// load returns parent's page: its items, whether more follow, and the key
// its count is loaded by.
func (q relationQuery) load(ctx context.Context, parent *cartograph.Entity) ([]*cartograph.Entity, bool, model.RelKey, error) {
	items, err := loadersFrom(ctx).related.Load(ctx, relKey{parent.ID, q.group})()
	if err != nil {
		return nil, false, model.RelKey{}, err
	}
	items, more := trim(items, q.group.Page.Limit)
	key := q.key
	key.ParentID = parent.ID
	return items, more, key, nil
}

// relatedCount counts a relation page's whole list through the loader.
func relatedCount(ctx context.Context, key model.RelKey) (int, error) {
	return loadersFrom(ctx).relatedCount.Load(ctx, key)()
}

func init() {
	// Every relation field can be prefetched: its pages, their items and
	// their totals, for all parents of a level at once.
	for name, rf := range relationFields {
		typ, field, _ := strings.Cut(name, ".")
		if prefetchers[typ] == nil {
			prefetchers[typ] = map[string]child{}
		}
		prefetchers[typ][field] = child{rf.page, prefetchRelated(rf.hop)}
		prefetchers[rf.page] = map[string]child{
			"items":      {strings.TrimSuffix(rf.page, "Page"), relItems},
			"totalCount": {"", prefetchRelatedCount},
		}
	}
}

// relPage is what prefetch hands to the next level: the items of one page
// and the key that counts it.
type relPage struct {
	items []*cartograph.Entity
	key   model.RelKey
}

func prefetchRelated(hop cartograph.Hop) childLoad {
	return func(ctx context.Context, l *loaders, parents []any, args map[string]any, sel ast.SelectionSet) ([]any, error) {
		page, err := pageOf(args)
		if err != nil {
			return nil, err
		}
		where, _ := args["where"].(map[string]any)
		wk, err := l.where(where)
		if err != nil {
			return nil, err
		}
		g := l.relGroup(relGroup{hop, page, wk, pageParts(sel)})
		keys := make([]relKey, len(parents))
		for i, p := range parents {
			keys[i] = relKey{p.(model.Entity).Base().ID, g}
		}
		found, err := l.related.prefetch(ctx, keys)
		pages := make([]any, len(keys))
		for i, k := range keys {
			items, _ := trim(found[k], page.Limit)
			pages[i] = &relPage{items: items, key: model.RelKey{ParentID: k.ParentID, Hop: hop, Where: wk}}
		}
		return pages, err
	}
}

func relItems(_ context.Context, _ *loaders, parents []any, _ map[string]any, _ ast.SelectionSet) ([]any, error) {
	var out []any
	for _, p := range parents {
		for _, e := range p.(*relPage).items {
			out = append(out, model.Wrap(e))
		}
	}
	return out, nil
}

func prefetchRelatedCount(ctx context.Context, l *loaders, parents []any, _ map[string]any, _ ast.SelectionSet) ([]any, error) {
	keys := make([]model.RelKey, len(parents))
	for i, p := range parents {
		keys[i] = p.(*relPage).key
	}
	_, err := l.relatedCount.prefetch(ctx, keys)
	return nil, err
}
