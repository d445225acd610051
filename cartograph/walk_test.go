package cartograph

import (
	"fmt"
	"testing"
)

func TestFindCycles(t *testing.T) {
	e := func(pairs ...string) []Relation {
		var out []Relation
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, Relation{SourceID: pairs[i], TargetID: pairs[i+1], Label: "depends_on"})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		edges []Relation
		want  string
	}{
		{"none in a DAG", e("a", "b", "b", "c", "a", "c"), "[]"},
		{"self loop", e("a", "a"), "[[a a]]"},
		{"two nodes", e("b", "a", "a", "b"), "[[a b a]]"},
		{"rotated to the smallest id", e("c", "a", "a", "b", "b", "c", "c", "d"), "[[a b c a]]"},
		{"two disjoint cycles", e("a", "b", "b", "a", "x", "y", "y", "z", "z", "x"), "[[a b a] [x y z x]]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(FindCycles(tc.edges)); got != tc.want {
				t.Errorf("cycles = %s, want %s", got, tc.want)
			}
		})
	}
}
