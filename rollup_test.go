package main

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"
)

// costSum adds decimal strings exactly and formats with 4 places.
func costSum(vals ...string) string {
	total := new(big.Rat)
	for _, v := range vals {
		r, ok := new(big.Rat).SetString(v)
		if !ok {
			panic(v)
		}
		total.Add(total, r)
	}
	return total.FloatString(4)
}

func TestCostRollups(t *testing.T) {
	c := newCatalogClient(t, "rollups")
	id := map[string]string{}
	for name, body := range map[string]string{
		"S": `{"name":"S"}`, "App": `{"name":"App"}`,
	} {
		typ := map[string]string{"S": "system", "App": "application"}[name]
		id[name] = c.create(t, typ, body)["id"].(string)
	}
	for _, n := range []string{"A", "B"} {
		id[n] = c.create(t, "service", `{"name":"`+n+`"}`)["id"].(string)
	}
	for _, n := range []string{"E1", "E2", "E3"} {
		id[n] = c.create(t, "environment", `{"name":"`+n+`"}`)["id"].(string)
	}
	for _, n := range []string{"r1", "r2", "r3", "r4"} {
		id[n] = c.create(t, "resource", `{"name":"`+n+`","provider":"AWS","providerResourceKey":"`+n+`","providerResourceType":"t"}`)["id"].(string)
	}
	rel := func(src, label, dst string) { c.relate(t, id[src], label, id[dst]) }
	rel("A", "part_of", "S")
	rel("B", "part_of", "S")
	rel("A", "belongs_to", "App")
	rel("A", "depends_on", "B")
	rel("B", "depends_on", "A") // a cycle must not double count
	rel("A", "has_environment", "E1")
	rel("A", "has_environment", "E2")
	rel("B", "has_environment", "E3")
	rel("E1", "contains", "r1")
	rel("E1", "contains", "r2")
	rel("E2", "contains", "r3")
	rel("E3", "contains", "r4")

	// TOTAL rows the rollups must add up, and a breakdown row they must not.
	totals := map[string]map[string]string{} // resource -> date -> cost
	var rows []string
	for i, r := range []string{"r1", "r2", "r3", "r4"} {
		totals[r] = map[string]string{}
		for d, date := range []string{"2026-01-01", "2026-01-02", "2026-01-03"} {
			v := fmt.Sprintf("%d.%04d", i+1, 1111*(d+1)+i)
			totals[r][date] = v
			rows = append(rows, fmt.Sprintf(`{"catalogResourceId":%q,"date":%q,"operation":"TOTAL","cost":%s}`, id[r], date, v))
		}
	}
	rows = append(rows, fmt.Sprintf(`{"catalogResourceId":%q,"date":"2026-01-01","operation":"RunInstances","cost":999}`, id["r1"]))
	c.must(t, 200, "POST", "/public/v1/costs/batch", "["+strings.Join(rows, ",")+"]")

	// want computes a rollup independently from the rows above.
	want := func(resources []string, from, to string) string {
		var vals []string
		for _, r := range resources {
			for date, v := range totals[r] {
				if date >= from && date <= to {
					vals = append(vals, v)
				}
			}
		}
		return costSum(vals...)
	}
	type summary struct {
		Total     string
		Breakdown []struct {
			Entity struct{ Name string }
			Total  string
		}
		Daily []struct{ Date, Total string }
	}
	cost := func(typ, name, args string) summary {
		var out struct{ Entity json.RawMessage }
		c.gqlData(t, fmt.Sprintf(`{ entity(id: %q) { ... on %s { cost(%s) { total breakdown { entity { name } total } daily { date total } } } } }`,
			id[name], typ, args), &out)
		var s struct{ Cost summary }
		json.Unmarshal(out.Entity, &s)
		return s.Cost
	}
	// Asked alone, the total comes from a cheaper statement: it must agree.
	totalAlone := func(typ, name, args string) string {
		var out struct {
			Entity struct{ Cost struct{ Total string } }
		}
		c.gqlData(t, fmt.Sprintf(`{ entity(id: %q) { ... on %s { cost(%s) { total } } } }`, id[name], typ, args), &out)
		return out.Entity.Cost.Total
	}
	all := `from: "2026-01-01", to: "2026-01-03"`
	for _, tc := range []struct {
		name, typ, entity, args string
		resources               []string
		from, to                string
	}{
		{"resource", "Resource", "r1", `from: "2026-01-01", to: "2026-01-02"`, []string{"r1"}, "2026-01-01", "2026-01-02"},
		{"environment", "Environment", "E1", all, []string{"r1", "r2"}, "2026-01-01", "2026-01-03"},
		{"service", "Service", "A", all, []string{"r1", "r2", "r3"}, "2026-01-01", "2026-01-03"},
		{"service with dependencies", "Service", "A", all + `, includeDependencies: true`, []string{"r1", "r2", "r3", "r4"}, "2026-01-01", "2026-01-03"},
		{"system", "System", "S", all, []string{"r1", "r2", "r3", "r4"}, "2026-01-01", "2026-01-03"},
		{"application", "Application", "App", all, []string{"r1", "r2", "r3"}, "2026-01-01", "2026-01-03"},
		{"one day, bounds inclusive", "Service", "B", `from: "2026-01-03", to: "2026-01-03"`, []string{"r4"}, "2026-01-03", "2026-01-03"},
		{"no costs in range", "Service", "A", `from: "2025-12-01", to: "2025-12-02"`, nil, "2025-12-01", "2025-12-02"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := cost(tc.typ, tc.entity, tc.args)
			if w := want(tc.resources, tc.from, tc.to); got.Total != w {
				t.Errorf("total = %s, want %s", got.Total, w)
			}
			if alone := totalAlone(tc.typ, tc.entity, tc.args); alone != got.Total {
				t.Errorf("total asked alone = %s, with breakdown and daily = %s", alone, got.Total)
			}
			var parts, days []string
			for _, p := range got.Breakdown {
				parts = append(parts, p.Total)
			}
			for _, d := range got.Daily {
				days = append(days, d.Total)
			}
			if len(got.Breakdown) > 0 && costSum(parts...) != got.Total {
				t.Errorf("breakdown %v does not add up to %s", got.Breakdown, got.Total)
			}
			if costSum(days...) != got.Total || got.Daily[0].Date != tc.from || got.Daily[len(got.Daily)-1].Date != tc.to {
				t.Errorf("daily %v does not cover %s..%s adding up to %s", got.Daily, tc.from, tc.to, got.Total)
			}
		})
	}
	withDeps := cost("Service", "A", all+`, includeDependencies: true`)
	var names []string
	for _, p := range withDeps.Breakdown {
		names = append(names, p.Entity.Name)
	}
	if !sameSet(names, []string{"E1", "E2", "B"}) {
		t.Errorf("breakdown with dependencies = %v, want E1, E2 and the dependency B", names)
	}
	for _, tc := range []struct{ args, field string }{
		{`from: "2026-01-03", to: "2026-01-01"`, "to"},
	} {
		code, field, _ := c.gqlError(t, fmt.Sprintf(`{ entity(id: %q) { ... on Service { cost(%s) { total } } } }`, id["A"], tc.args))
		if code != "BAD_USER_INPUT" || field != tc.field {
			t.Errorf("%s: %s %q", tc.args, code, field)
		}
	}
	if code, _, _ := c.gqlError(t, fmt.Sprintf(`{ entity(id: %q) { ... on Service { cost(from: "2026-13-01", to: "2026-01-01") { total } } } }`, id["A"])); code != "BAD_USER_INPUT" {
		t.Errorf("bad date: %s", code)
	}

	// Every service's cost in a list costs one statement for the whole level.
	n, body := countStatements(t, c.key, `{ entities(types: [SERVICE]) { items { name ... on Service { cost(from: "2026-01-01", to: "2026-01-07") { total } } } } }`)
	if strings.Contains(body, "errors") || n != 3 {
		t.Errorf("service costs: %d statements (want 3: key, services, costs): %s", n, body)
	}
}
