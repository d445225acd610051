package main

import (
	"fmt"
	"slices"
	"testing"
)

type walkAnswer struct {
	Graph struct {
		Nodes []struct {
			Depth  int
			Entity struct{ ID, Name string }
		}
		Edges     []struct{ SourceID, TargetID, Label string }
		Cycles    [][]string
		Truncated bool
	}
}

func (w walkAnswer) names() []string {
	var out []string
	for _, n := range w.Graph.Nodes {
		out = append(out, fmt.Sprintf("%s@%d", n.Entity.Name, n.Depth))
	}
	return out
}

func TestGraphWalk(t *testing.T) {
	c := newCatalogClient(t, "walk")
	id := map[string]string{}
	for _, n := range []string{"a", "b", "c", "d", "e"} {
		id[n] = c.create(t, "service", fmt.Sprintf(`{"name":%q,"metaTags":[{"name":"owner","value":"team-%s","type":"Nickname"}]}`, n, map[bool]string{true: "x", false: "y"}[n < "c"]))["id"].(string)
	}
	// a -> b -> c -> a is a cycle; c -> d -> e hangs off it.
	c.relate(t, id["a"], "depends_on", id["b"])
	c.relate(t, id["b"], "depends_on", id["c"])
	c.relate(t, id["c"], "depends_on", id["a"])
	c.relate(t, id["c"], "depends_on", id["d"])
	c.relate(t, id["d"], "depends_on", id["e"])

	walk := func(args string) walkAnswer {
		var w walkAnswer
		c.gqlData(t, fmt.Sprintf(`{ graph(%s) { nodes { depth entity { id name } } edges { sourceId targetId label } cycles truncated } }`, args), &w)
		return w
	}
	for _, tc := range []struct {
		name, args string
		nodes      []string
		truncated  bool
	}{
		{"one level", fmt.Sprintf(`from: %q, maxDepth: 1`, id["a"]), []string{"a@0", "b@1"}, false},
		{"whole closure", fmt.Sprintf(`from: %q, maxDepth: 10`, id["a"]), []string{"a@0", "b@1", "c@2", "d@3", "e@4"}, false},
		{"limit truncates", fmt.Sprintf(`from: %q, maxDepth: 10, limit: 2`, id["a"]), []string{"a@0", "b@1", "c@2"}, true},
		{"backwards", fmt.Sprintf(`from: %q, direction: IN, maxDepth: 10`, id["e"]), []string{"e@0", "d@1", "c@2", "b@3", "a@4"}, false},
		{"both ways", fmt.Sprintf(`from: %q, direction: BOTH, maxDepth: 1`, id["c"]), []string{"c@0", "a@1", "d@1", "b@1"}, false},
		{"other labels", fmt.Sprintf(`from: %q, labels: ["uses"]`, id["a"]), []string{"a@0"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := walk(tc.args)
			got := w.names()
			if !slices.Equal(got[:1], tc.nodes[:1]) || !sameSet(got, tc.nodes) || w.Graph.Truncated != tc.truncated {
				t.Errorf("nodes %v truncated %v, want %v %v", got, w.Graph.Truncated, tc.nodes, tc.truncated)
			}
		})
	}
	w := walk(fmt.Sprintf(`from: %q, maxDepth: 10`, id["a"]))
	if len(w.Graph.Cycles) != 1 || len(w.Graph.Cycles[0]) != 4 || w.Graph.Cycles[0][0] != w.Graph.Cycles[0][3] ||
		!sameSet(w.Graph.Cycles[0][:3], []string{id["a"], id["b"], id["c"]}) {
		t.Errorf("cycles = %v, want the path a b c a (rotated)", w.Graph.Cycles)
	}
	if len(w.Graph.Edges) != 5 {
		t.Errorf("edges = %v, want all 5", w.Graph.Edges)
	}

	for _, tc := range []struct{ name, args, code, field string }{
		{"depth 0", fmt.Sprintf(`from: %q, maxDepth: 0`, id["a"]), "BAD_USER_INPUT", "maxDepth"},
		{"depth 11", fmt.Sprintf(`from: %q, maxDepth: 11`, id["a"]), "BAD_USER_INPUT", "maxDepth"},
		{"unknown label", fmt.Sprintf(`from: %q, labels: ["likes"]`, id["a"]), "BAD_USER_INPUT", "labels"},
		{"unknown start", `from: "00000000-0000-4000-8000-000000000000"`, "NOT_FOUND", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, field, _ := c.gqlError(t, fmt.Sprintf(`{ graph(%s) { truncated } }`, tc.args))
			if code != tc.code || field != tc.field {
				t.Errorf("code %s field %q, want %s %q", code, field, tc.code, tc.field)
			}
		})
	}
	// Another org cannot walk from these entities.
	other := newCatalogClient(t, "walk-other")
	if code, _, _ := other.gqlError(t, fmt.Sprintf(`{ graph(from: %q) { truncated } }`, id["a"])); code != "NOT_FOUND" {
		t.Errorf("another org walking: %s", code)
	}

	// Impact of e: d depends on it, then c, then b and a (through the cycle).
	env := c.create(t, "environment", `{"name":"e-prod"}`)["id"].(string)
	res := c.create(t, "resource", `{"name":"e-db","provider":"AWS","providerResourceKey":"e-db","providerResourceType":"AWS:RDS:Instance"}`)["id"].(string)
	c.relate(t, id["e"], "has_environment", env)
	c.relate(t, env, "contains", res)
	var imp struct {
		Impact struct {
			Nodes []struct {
				Depth  int
				Entity struct{ Name string }
			}
			ByTeam []struct {
				Key      string
				Entities []struct{ Name string }
			}
			ByEnvironment []struct {
				Key      string
				Entities []struct{ Name string }
			}
		}
	}
	c.gqlData(t, fmt.Sprintf(`{ impact(entityId: %q) { nodes { depth entity { name } } byTeam { key entities { name } }
		byEnvironment { key entities { name } } } }`, res), &imp)
	var order []string
	for _, n := range imp.Impact.Nodes {
		order = append(order, fmt.Sprintf("%s@%d", n.Entity.Name, n.Depth))
	}
	if !sameSet(order, []string{"e-db@0", "e-prod@1", "e@2", "d@3", "c@4", "b@5", "a@6"}) {
		t.Errorf("impact nodes = %v", order)
	}
	teams := map[string]int{}
	for _, g := range imp.Impact.ByTeam {
		teams[g.Key] = len(g.Entities)
	}
	if teams["team-x"] != 2 || teams["team-y"] != 3 || teams["unowned"] != 1 {
		t.Errorf("by team = %v", teams)
	}
	envs := map[string]int{}
	for _, g := range imp.Impact.ByEnvironment {
		envs[g.Key] = len(g.Entities)
	}
	if envs["e-prod"] != 1 || envs["none"] != 5 {
		t.Errorf("by environment = %v", envs)
	}
}

func sameSet(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
