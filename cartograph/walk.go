package cartograph

import (
	"slices"
	"strings"
)

// WalkSpec asks for the entities reachable from From through relations.
// OutLabels are followed from source to target, InLabels from target to
// source; each level of the walk costs one SQL statement.
type WalkSpec struct {
	From      string
	OutLabels []string
	InLabels  []string
	MaxDepth  int // 1..MaxWalkDepth
	Limit     int // most nodes returned besides From, 1..MaxWalkNodes
}

// Walk limits.
const (
	MaxWalkDepth = 10
	MaxWalkNodes = 10000
	maxCycles    = 100
)

// Validate checks the spec: Invalid names the argument at fault.
func (s *WalkSpec) Validate() error {
	switch {
	case s.MaxDepth < 1 || s.MaxDepth > MaxWalkDepth:
		return &Error{Code: Invalid, Field: "maxDepth", Message: "maxDepth must be between 1 and 10"}
	case s.Limit < 1 || s.Limit > MaxWalkNodes:
		return &Error{Code: Invalid, Field: "limit", Message: "limit must be between 1 and 10000"}
	}
	for _, l := range append(slices.Clone(s.OutLabels), s.InLabels...) {
		if !KnownLabel(l) {
			return &Error{Code: Invalid, Field: "labels", Message: "labels must be among: " + strings.Join(RelationLabels, ", ")}
		}
	}
	return nil
}

// WalkNode is an entity reached by a walk, at its shortest distance.
type WalkNode struct {
	Entity *Entity
	Depth  int
}

// WalkResult is what a walk found: nodes nearest first (From at depth 0),
// the edges between them in relation direction, cycles among them as paths
// [a, b, ..., a], and whether Limit cut the walk short.
type WalkResult struct {
	Nodes     []WalkNode
	Edges     []Relation
	Cycles    [][]string
	Truncated bool
}

// FindCycles returns directed cycles among edges, each as a path that starts
// and ends at its smallest id, without repeats, at most 100. Each back edge
// of a depth-first search yields one cycle.
func FindCycles(edges []Relation) [][]string {
	next := map[string][]string{}
	var nodes []string
	seen := map[string]bool{}
	for _, e := range edges {
		next[e.SourceID] = append(next[e.SourceID], e.TargetID)
		for _, n := range []string{e.SourceID, e.TargetID} {
			if !seen[n] {
				seen[n] = true
				nodes = append(nodes, n)
			}
		}
	}
	slices.Sort(nodes)
	for _, n := range nodes {
		slices.Sort(next[n])
	}
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	found := map[string]bool{}
	var cycles [][]string
	var visit func(n string)
	visit = func(n string) {
		color[n] = grey
		stack = append(stack, n)
		for _, m := range next[n] {
			switch color[m] {
			case white:
				visit(m)
			case grey:
				i := slices.Index(stack, m)
				cycle := canonicalCycle(stack[i:])
				if k := strings.Join(cycle, ","); !found[k] && len(cycles) < maxCycles {
					found[k] = true
					cycles = append(cycles, cycle)
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[n] = black
	}
	for _, n := range nodes {
		if color[n] == white {
			visit(n)
		}
	}
	return cycles
}

// canonicalCycle rotates a cycle to start at its smallest id and closes it.
func canonicalCycle(c []string) []string {
	start := 0
	for i, n := range c {
		if n < c[start] {
			start = i
		}
	}
	out := append(slices.Clone(c[start:]), c[:start]...)
	return append(out, out[0])
}

// ImpactOut and ImpactIn say which way each label is walked to find what
// depends on an entity: Y is impacted by X when Y -depends_on/uses/child_of/
// has_dependency/contains/has_environment-> X, or when X -part_of/
// belongs_to-> Y (a system needs its services, an application its services).
var (
	ImpactIn  = []string{"depends_on", "uses", "child_of", "has_dependency", "contains", "has_environment"}
	ImpactOut = []string{"part_of", "belongs_to"}
)

// ImpactGroup is the impacted entities sharing a team or an environment.
type ImpactGroup struct {
	Key      string
	Entities []*Entity
}

// GroupImpact groups a walk's nodes (the start excluded) by owning team —
// the value of their "owner" meta tag, else "unowned" — and by environment:
// an environment's own name, the environment containing a resource (when the
// walk passed through it), else "none". Groups come in first-seen order.
func GroupImpact(res *WalkResult) (byTeam, byEnvironment []ImpactGroup) {
	names := map[string]string{}
	for _, n := range res.Nodes {
		names[n.Entity.ID] = n.Entity.Name
	}
	envOf := map[string]string{}
	for _, e := range res.Edges {
		if e.Label == "contains" {
			envOf[e.TargetID] = names[e.SourceID]
		}
	}
	add := func(groups *[]ImpactGroup, key string, e *Entity) {
		for i := range *groups {
			if (*groups)[i].Key == key {
				(*groups)[i].Entities = append((*groups)[i].Entities, e)
				return
			}
		}
		*groups = append(*groups, ImpactGroup{Key: key, Entities: []*Entity{e}})
	}
	for _, n := range res.Nodes {
		if n.Depth == 0 {
			continue
		}
		team := "unowned"
		for _, t := range n.Entity.MetaTags {
			var v string
			if t.Name == "owner" && jsonString(t.Value, &v) && v != "" {
				team = v
				break
			}
		}
		add(&byTeam, team, n.Entity)
		env := envOf[n.Entity.ID]
		if n.Entity.Type == Environment {
			env = n.Entity.Name
		}
		if env == "" {
			env = "none"
		}
		add(&byEnvironment, env, n.Entity)
	}
	return byTeam, byEnvironment
}
