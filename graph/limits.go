package graph

import (
	"context"
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"cartograph/cartograph"
	"cartograph/graph/model"
)

// depthLimit rejects operations nested deeper than max fields before they run.
// Introspection (__schema, __type) is exempt: GraphiQL's own schema query is
// deeper than any sensible limit on data.
type depthLimit struct{ max int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = depthLimit{}

func (depthLimit) ExtensionName() string                   { return "DepthLimit" }
func (depthLimit) Validate(graphql.ExecutableSchema) error { return nil }

func (d depthLimit) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	if depth := selectionDepth(oc.Operation.SelectionSet, oc.Doc.Fragments, 0, map[string]bool{}); depth > d.max {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("The query is nested %d levels deep; the limit is %d", depth, d.max),
			Extensions: map[string]any{"code": "BAD_USER_INPUT"},
		}
	}
	return nil
}

// selectionDepth returns the deepest field nesting below set. Fragment
// spreads count as their fields; a fragment already on the path is not
// followed again (validation rejects such cycles anyway).
func selectionDepth(set ast.SelectionSet, frags ast.FragmentDefinitionList, depth int, onPath map[string]bool) int {
	deepest := depth
	for _, sel := range set {
		var d int
		switch s := sel.(type) {
		case *ast.Field:
			if len(s.Name) > 1 && s.Name[:2] == "__" && s.Name != "__typename" {
				continue
			}
			d = selectionDepth(s.SelectionSet, frags, depth+1, onPath)
		case *ast.InlineFragment:
			d = selectionDepth(s.SelectionSet, frags, depth, onPath)
		case *ast.FragmentSpread:
			f := frags.ForName(s.Name)
			if f == nil || onPath[s.Name] {
				continue
			}
			onPath[s.Name] = true
			d = selectionDepth(f.SelectionSet, frags, depth, onPath)
			delete(onPath, s.Name)
		}
		deepest = max(deepest, d)
	}
	return deepest
}

// complexity returns the complexity functions of list fields: a list counts
// its children once per item it may return, so a query's score bounds the
// rows it can touch.
func complexity() ComplexityRoot {
	var c ComplexityRoot
	c.Query.Domains = pagedCost
	c.Domain.Configs = pagedCost
	c.Config.Versions = pagedCost
	c.Query.Entities = func(child int, _ []cartograph.EntityType, _ map[string]any, _ *string, _ *bool, _ *model.EntitySortInput, first, offset *int) int {
		return pagedCost(child, first, offset)
	}
	relationComplexity(&c)
	return c
}

// pagedCost is the complexity of a paged list field: its children once per
// item the page may hold.
func pagedCost(child int, first, _ *int) int {
	n := defaultPageSize
	if first != nil {
		n = min(max(*first, 1), cartograph.MaxPageSize)
	}
	return 1 + n*child
}

// relationCost is pagedCost for relation fields, which also take a where.
func relationCost(child int, _ map[string]any, first, offset *int) int {
	return pagedCost(child, first, offset)
}
