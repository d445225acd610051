package graph

import (
	"context"
	"fmt"

	gqlcomplexity "github.com/99designs/gqlgen/complexity"
	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"cartograph/cartograph"
	"cartograph/graph/model"
)

// limits rejects, before they run, operations nested deeper than maxDepth
// fields and operations whose complexity (the rows they may touch,
// complexity()) is above maxComplexity, as gqlgen's FixedComplexityLimit
// does, with its error code and statistics. Introspection (__schema,
// __type) is exempt from the depth: GraphiQL's own schema query is deeper
// than any sensible limit on data. Both figures are kept per operation
// that declares no variable (opCache): computing the complexity was 4 % of
// Q1's server CPU.
type limits struct {
	maxDepth, maxComplexity int
	costs                   *opCache[opCost]
	schema                  graphql.ExecutableSchema
}

// opCost is what limits measures of an operation.
type opCost struct{ depth, complexity int }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = &limits{}

func (*limits) ExtensionName() string { return "Limits" }

func (l *limits) Validate(s graphql.ExecutableSchema) error {
	l.schema = s
	return nil
}

func (l *limits) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	op := oc.Operation
	if op == nil {
		return nil
	}
	cost, ok := l.costs.get(op)
	if !ok {
		cost.depth = selectionDepth(op.SelectionSet, oc.Doc.Fragments, 0, map[string]bool{})
		if cost.depth <= l.maxDepth {
			cost.complexity = gqlcomplexity.Calculate(ctx, l.schema, op, oc.Variables)
		}
		if len(op.VariableDefinitions) == 0 {
			l.costs.put(op, cost)
		}
	}
	if cost.depth > l.maxDepth {
		return &gqlerror.Error{
			Message:    fmt.Sprintf("The query is nested %d levels deep; the limit is %d", cost.depth, l.maxDepth),
			Extensions: map[string]any{"code": "BAD_USER_INPUT"},
		}
	}
	// Under gqlgen's name, so extension.GetComplexityStats reads them.
	oc.Stats.SetExtension("ComplexityLimit", &extension.ComplexityStats{Complexity: cost.complexity, ComplexityLimit: l.maxComplexity})
	if cost.complexity > l.maxComplexity {
		err := gqlerror.Errorf("operation has complexity %d, which exceeds the limit of %d", cost.complexity, l.maxComplexity)
		errcode.Set(err, "COMPLEXITY_LIMIT_EXCEEDED")
		return err
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
