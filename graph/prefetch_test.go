package graph

import (
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

// TestMayPrefetch holds the shortcut that skips collecting a level's fields
// to the levels that have nothing to prefetch: a level that selects a
// relation or a cost, directly or through a fragment, is still walked.
func TestMayPrefetch(t *testing.T) {
	schema := NewExecutableSchema(Config{}).Schema()
	cases := []struct {
		name, query string
		want        bool
	}{
		{"scalars", `{ entities(types: [SERVICE]) { items { id name tags } } }`, false},
		{"scalars in a fragment", `{ entities { items { ... on Service { lifecycle } ...f } } } fragment f on Entity { name }`, false},
		{"relation", `{ entities { items { name ... on Service { dependencies { items { name } } } } } }`, true},
		{"cost through a spread", `{ entities { items { ...c } } } fragment c on Service { cost(from: "2026-01-01", to: "2026-01-02") { total } }`, true},
	}
	for _, c := range cases {
		doc, errs := gqlparser.LoadQueryWithRules(schema, c.query, nil) // nil: the default rules
		if len(errs) > 0 {
			t.Fatalf("%s: %v", c.name, errs)
		}
		// The items field's selection: the level prefetch walks for the
		// page's entities.
		items := doc.Operations[0].SelectionSet[0].(*ast.Field).SelectionSet[0].(*ast.Field)
		if got := mayPrefetch(items.SelectionSet, prefetchedNames()); got != c.want {
			t.Errorf("%s: mayPrefetch = %v, want %v", c.name, got, c.want)
		}
	}
}
