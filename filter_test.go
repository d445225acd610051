package main

import (
	"cartograph/cartograph"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// filterCatalog builds the fixed catalog the filter tests ask questions of:
//
//	s1 tier 1 [backend grpc] production: s1-prod {aws-db AWS, gcp-vm GCP}, s1-dev {pod K8s}
//	s2 tier 2 [frontend] deprecated:     s2-prod {vm2 GCP}
//	s3 tier 1 [] production:             s3-prod {bucket AWS}, s3-dev {}
//	s4 (no tier, no environments)
//	depends_on: s4 -> s3 -> s1 -> s2
func filterCatalog(t *testing.T) (*catalogClient, map[string]string) {
	c := newCatalogClient(t, "filters")
	id := map[string]string{}
	svc := func(name, extra string) {
		id[name] = c.create(t, "service", `{"name":"`+name+`"`+extra+`}`)["id"].(string)
	}
	svc("s1", `,"lifecycle":"production","tags":["backend","grpc"],"metaTags":[{"name":"tier","value":"1","type":"Text"}],"languages":["Go"]`)
	svc("s2", `,"lifecycle":"deprecated","tags":["frontend"],"metaTags":[{"name":"tier","value":"2","type":"Text"}]`)
	svc("s3", `,"lifecycle":"production","metaTags":[{"name":"tier","value":"1","type":"Text"}]`)
	svc("s4", ``)
	rel := func(src, label, dst string) { c.relate(t, id[src], label, id[dst]) }
	env := func(service, name string, resources ...[2]string) {
		id[name] = c.create(t, "environment", `{"name":"`+name+`"}`)["id"].(string)
		rel(service, "has_environment", name)
		for _, r := range resources {
			id[r[0]] = c.create(t, "resource", fmt.Sprintf(`{"name":%q,"provider":%q,"providerResourceKey":%q,"providerResourceType":"t"}`, r[0], r[1], r[0]))["id"].(string)
			rel(name, "contains", r[0])
		}
	}
	env("s1", "s1-prod", [2]string{"aws-db", "AWS"}, [2]string{"gcp-vm", "GCP"})
	env("s1", "s1-dev", [2]string{"pod", "K8s"})
	env("s2", "s2-prod", [2]string{"vm2", "GCP"})
	env("s3", "s3-prod", [2]string{"bucket", "AWS"})
	env("s3", "s3-dev")
	rel("s4", "depends_on", "s3")
	rel("s3", "depends_on", "s1")
	rel("s1", "depends_on", "s2")
	return c, id
}

func (c *catalogClient) queryBuilder(t *testing.T, body string) (int, []string) {
	t.Helper()
	res := c.must(t, http.StatusOK, "POST", "/public/v1/query-builder", body).json(t)
	var names []string
	for _, it := range res["items"].([]any) {
		names = append(names, it.(map[string]any)["name"].(string))
	}
	return int(res["totalFound"].(float64)), names
}

func (c *catalogClient) gqlWhere(t *testing.T, where string) []string {
	t.Helper()
	var out struct {
		Entities struct{ Items []struct{ Name string } }
	}
	c.gqlData(t, `{ entities(types: [SERVICE], first: 100, where: `+where+`) { items { name } } }`, &out)
	names := []string{}
	for _, it := range out.Entities.Items {
		names = append(names, it.Name)
	}
	return names
}

func TestFilters(t *testing.T) {
	c, id := filterCatalog(t)
	// A system all four services are part of: its services field takes the
	// same where as the root, through the relation reader's statement.
	sys := c.create(t, "system", `{"name":"sys"}`)["id"].(string)
	for _, s := range []string{"s1", "s2", "s3", "s4"} {
		c.must(t, 201, "POST", "/public/v1/catalog/relations", fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"part_of"}`, id[s], sys))
	}
	related := func(t *testing.T, where string) string {
		var out struct {
			Entities struct {
				Items []struct {
					Services struct{ Items []struct{ Name string } }
				}
			}
		}
		c.gqlData(t, `{ entities(types: [SYSTEM]) { items { ... on System { services(first: 100, where: `+where+`) { items { name } } } } } }`, &out)
		names := []string{}
		for _, it := range out.Entities.Items[0].Services.Items {
			names = append(names, it.Name)
		}
		return strings.Join(names, ",")
	}
	leaf := func(col, op, value string) string {
		return fmt.Sprintf(`{"column":%q,"operator":%q,"value":%s}`, col, op, value)
	}
	for _, tc := range []struct {
		name, rest, gql string
		want            string
	}{
		{"eq", leaf("name", "eq", `"s1"`), `{field: "name", eq: "s1"}`, "s1"},
		{"ne", leaf("name", "ne", `"s1"`), `{field: "name", ne: "s1"}`, "s2,s3,s4"},
		{"in", leaf("name", "in", `["s1","s2"]`), `{field: "name", in: ["s1", "s2"]}`, "s1,s2"},
		{"nin", leaf("name", "nin", `["s1","s2"]`), `{field: "name", nin: ["s1", "s2"]}`, "s3,s4"},
		{"in, quotes and backslashes", leaf("name", "in", `["s1","a\"b\\c,{d}"]`), `{field: "name", in: ["s1", "a\"b\\c,{d}"]}`, "s1"},
		{"ilike", leaf("name", "ilike", `"S_"`), `{field: "name", ilike: "S_"}`, "s1,s2,s3,s4"},
		{"contains", leaf("name", "contains", `"3"`), `{field: "name", contains: "3"}`, "s3"},
		{"startsWith", leaf("lifecycle", "startsWith", `"dep"`), `{field: "lifecycle", startsWith: "dep"}`, "s2"},
		{"gt", leaf("name", "gt", `"s2"`), `{field: "name", gt: "s2"}`, "s3,s4"},
		{"gte", leaf("name", "gte", `"s2"`), `{field: "name", gte: "s2"}`, "s2,s3,s4"},
		{"lt", leaf("name", "lt", `"s2"`), `{field: "name", lt: "s2"}`, "s1"},
		{"lte", leaf("name", "lte", `"s2"`), `{field: "name", lte: "s2"}`, "s1,s2"},
		{"exists", leaf("lifecycle", "exists", `true`), `{field: "lifecycle", exists: true}`, "s1,s2,s3"},
		{"not exists", leaf("lifecycle", "exists", `false`), `{field: "lifecycle", exists: false}`, "s4"},
		{"tag", leaf("tags", "eq", `"backend"`), `{field: "tags", eq: "backend"}`, "s1"},
		{"tags in", leaf("tags", "in", `["grpc","frontend"]`), `{field: "tags", in: ["grpc", "frontend"]}`, "s1,s2"},
		{"no tags", leaf("tags", "exists", `false`), `{field: "tags", exists: false}`, "s3,s4"},
		{"meta tag", leaf("metaTags.tier", "eq", `"1"`), `{field: "metaTags.tier", eq: "1"}`, "s1,s3"},
		{"meta tag ne", leaf("metaTags.tier", "ne", `"1"`), `{field: "metaTags.tier", ne: "1"}`, "s2,s4"},
		{"meta tag in", leaf("metaTags.tier", "in", `["2","3"]`), `{field: "metaTags.tier", in: ["2", "3"]}`, "s2"},
		{"meta tag ilike", leaf("metaTags.tier", "ilike", `"%1%"`), `{field: "metaTags.tier", ilike: "%1%"}`, "s1,s3"},
		{"meta tag nin", leaf("metaTags.tier", "nin", `["1"]`), `{field: "metaTags.tier", nin: ["1"]}`, "s2,s4"},
		{"meta tag missing", leaf("metaTags.tier", "exists", `false`), `{field: "metaTags.tier", exists: false}`, "s4"},
		{"type field array", leaf("languages", "eq", `"Go"`), `{field: "languages", eq: "Go"}`, "s1"},
		{"and", `{"and":[` + leaf("metaTags.tier", "eq", `"1"`) + `,` + leaf("tags", "exists", `true`) + `]}`,
			`{and: [{field: "metaTags.tier", eq: "1"}, {field: "tags", exists: true}]}`, "s1"},
		{"or", `{"or":[` + leaf("name", "eq", `"s4"`) + `,` + leaf("lifecycle", "eq", `"deprecated"`) + `]}`,
			`{or: [{field: "name", eq: "s4"}, {field: "lifecycle", eq: "deprecated"}]}`, "s2,s4"},
		{"not", `{"not":` + leaf("lifecycle", "eq", `"production"`) + `}`, `{not: {field: "lifecycle", eq: "production"}}`, "s2,s4"},
		{"one level", leaf("environments.name", "eq", `"s3-dev"`), `{relation: "environments", some: {field: "name", eq: "s3-dev"}}`, "s3"},
		{"two levels", leaf("environments.resources.provider", "eq", `"AWS"`),
			`{relation: "environments", some: {relation: "resources", some: {field: "provider", eq: "AWS"}}}`, "s1,s3"},
		{"three levels", leaf("dependencies.environments.resources.provider", "eq", `"K8s"`),
			`{relation: "dependencies", some: {relation: "environments", some: {relation: "resources", some: {field: "provider", eq: "K8s"}}}}`, "s3"},
		{"four levels", leaf("dependencies.dependencies.environments.resources.provider", "eq", `"K8s"`),
			`{relation: "dependencies", some: {relation: "dependencies", some: {relation: "environments", some: {relation: "resources", some: {field: "provider", eq: "K8s"}}}}}`, "s4"},
		{"backwards", leaf("dependents.name", "eq", `"s4"`), `{relation: "dependents", some: {field: "name", eq: "s4"}}`, "s3"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			total, names := c.queryBuilder(t, `{"schemaIdentifier":"schema-service","pageSize":100,"filter":`+tc.rest+`}`)
			if strings.Join(names, ",") != tc.want || total != len(names) {
				t.Errorf("REST: %d %v, want %s", total, names, tc.want)
			}
			if got := strings.Join(c.gqlWhere(t, tc.gql), ","); got != tc.want {
				t.Errorf("GraphQL: %s, want %s", got, tc.want)
			}
			if got := related(t, tc.gql); got != tc.want {
				t.Errorf("GraphQL, a system's services: %s, want %s", got, tc.want)
			}
		})
	}
	// Quantifiers scope several conditions to one related entity; every over
	// no environments holds. REST spells them as operators on a relation column.
	for _, tc := range []struct{ where, rest, want string }{
		{`{relation: "environments", every: {field: "name", contains: "prod"}}`,
			`{"column":"environments","operator":"every","value":` + leaf("name", "contains", `"prod"`) + `}`, "s2,s4"},
		{`{relation: "environments", none: {relation: "resources", some: {field: "provider", eq: "GCP"}}}`,
			`{"column":"environments","operator":"none","value":` + leaf("resources.provider", "eq", `"GCP"`) + `}`, "s3,s4"},
		{`{relation: "environments", some: {and: [{field: "name", contains: "prod"}, {relation: "resources", every: {field: "provider", eq: "AWS"}}]}}`,
			`{"column":"environments","operator":"some","value":{"and":[` + leaf("name", "contains", `"prod"`) +
				`,{"column":"resources","operator":"every","value":` + leaf("provider", "eq", `"AWS"`) + `}]}}`, "s3"},
	} {
		if got := strings.Join(c.gqlWhere(t, tc.where), ","); got != tc.want {
			t.Errorf("%s = %s, want %s", tc.where, got, tc.want)
		}
		if _, names := c.queryBuilder(t, `{"schemaIdentifier":"schema-service","pageSize":100,"filter":`+tc.rest+`}`); strings.Join(names, ",") != tc.want {
			t.Errorf("REST %s = %v, want %s", tc.rest, names, tc.want)
		}
	}
	// Relation fields take where too.
	var rel struct {
		Entities struct {
			Items []struct {
				Name         string
				Environments struct {
					TotalCount int
					Items      []struct{ Name string }
				}
			}
		}
	}
	c.gqlData(t, `{ entities(types: [SERVICE], where: {field: "name", eq: "s1"}) { items { name ... on Service {
		environments(where: {relation: "resources", some: {field: "provider", eq: "K8s"}}) { totalCount items { name } } } } } }`, &rel)
	if e := rel.Entities.Items[0].Environments; e.TotalCount != 1 || e.Items[0].Name != "s1-dev" {
		t.Errorf("filtered relation field = %+v", e)
	}
	// Sorting and paging stay in the statement.
	total, names := c.queryBuilder(t, `{"schemaIdentifier":"schema-service","pageSize":2,"pageNumber":1,"sort":{"property":"name","order":"DESC"}}`)
	if total != 4 || strings.Join(names, ",") != "s2,s1" {
		t.Errorf("sorted page = %d %v", total, names)
	}
	// A missing type field sorts last in either direction; s1 and s3 tie.
	for dir, want := range map[string][]string{"ASC": {"s2", "s", "s", "s4"}, "DESC": {"s", "s", "s2", "s4"}} {
		_, names = c.queryBuilder(t, `{"schemaIdentifier":"schema-service","sort":{"property":"lifecycle","order":"`+dir+`"}}`)
		for i := range names {
			if i < len(want) && want[i] == "s" && (names[i] == "s1" || names[i] == "s3") {
				names[i] = "s"
			}
		}
		if !slices.Equal(names, want) {
			t.Errorf("lifecycle %s = %v, want %v", dir, names, want)
		}
	}
	total, names = c.queryBuilder(t, `{"schemaIdentifier":"schema-resource","filter":`+leaf("provider", "eq", `"AWS"`)+`}`)
	if total != 2 || !slices.Equal(names, []string{"aws-db", "bucket"}) {
		t.Errorf("resources = %d %v", total, names)
	}
}

// TestRelationFilterTotals pages through filters that follow relations,
// whose page also counts the total (with and without cost columns), past the
// last match too.
func TestRelationFilterTotals(t *testing.T) {
	c, id := filterCatalog(t)
	for _, r := range [][2]string{{"s1", "repo-a"}, {"s3", "repo-b"}, {"s2", "repo-c"}} {
		id[r[1]] = c.create(t, "repository", `{"name":"`+r[1]+`","url":"u","provider":"GitHub","providerResourceKey":"`+r[1]+
			`","providerAccountId":"a","location":"l"}`)["id"].(string)
		c.must(t, 201, "POST", "/public/v1/catalog/relations",
			fmt.Sprintf(`{"sourceEntityId":%q,"targetEntityId":%q,"label":"has_repository"}`, id[r[0]], id[r[1]]))
	}
	awsServices := `"schemaIdentifier":"schema-service","sort":{"property":"name"},"filter":{"column":"environments.resources.provider","operator":"eq","value":"AWS"}`
	tierRepos := `"schemaIdentifier":"schema-repository","sort":{"property":"name","order":"DESC"},"filter":{"column":"services.metaTags.tier","operator":"eq","value":"1"}`
	for _, tc := range []struct {
		name, body string
		total      int
		names      string
	}{
		{"costs, first page", awsServices + `,"pageSize":1`, 2, "s1"},
		{"costs, last page", awsServices + `,"pageSize":1,"pageNumber":1`, 2, "s3"},
		{"costs, past the end", awsServices + `,"pageSize":1,"pageNumber":2`, 2, ""},
		{"costs, far past the end", awsServices + `,"pageSize":10,"pageNumber":7`, 2, ""},
		{"costs, no match", `"schemaIdentifier":"schema-service","filter":{"column":"environments.resources.provider","operator":"eq","value":"Azure"}`, 0, ""},
		{"no costs, whole page", tierRepos, 2, "repo-b,repo-a"},
		{"no costs, second page", tierRepos + `,"pageSize":1,"pageNumber":1`, 2, "repo-a"},
		{"no costs, past the end", tierRepos + `,"pageSize":1,"pageNumber":2`, 2, ""},
		{"with a plain condition", `"schemaIdentifier":"schema-service","filter":{"and":[{"column":"tags","operator":"exists","value":true},` +
			`{"column":"environments.resources.provider","operator":"eq","value":"GCP"}]}`, 2, "s1,s2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.must(t, http.StatusOK, "POST", "/public/v1/query-builder", "{"+tc.body+"}").json(t)
			var names []string
			for _, it := range res["items"].([]any) {
				item := it.(map[string]any)
				names = append(names, item["name"].(string))
				// Services carry cost columns, repositories none.
				if _, costs := item["accruedCosts"]; costs != (item["type"] == "service") {
					t.Errorf("%s: accruedCosts present: %v", item["name"], costs)
				}
			}
			if total := int(res["totalFound"].(float64)); total != tc.total || strings.Join(names, ",") != tc.names {
				t.Errorf("totalFound %d, items %v; want %d, %s", total, names, tc.total, tc.names)
			}
		})
	}
	// GraphQL counts such a total in the page's statement too.
	aws := `{relation: "environments", some: {relation: "resources", some: {field: "provider", eq: "AWS"}}}`
	for _, tc := range []struct {
		name, args string
		total      int
		names      string
	}{
		{"first page", `first: 1`, 2, "s1"},
		{"last page", `first: 1, offset: 1`, 2, "s3"},
		{"past the end", `first: 1, offset: 2`, 2, ""},
		{"no items asked", `first: 0`, 2, ""},
		{"no match", `first: 5, where: {relation: "environments", some: {field: "name", eq: "nowhere"}}`, 0, ""},
	} {
		t.Run("GraphQL "+tc.name, func(t *testing.T) {
			args := tc.args
			if !strings.Contains(args, "where") {
				args += ", where: " + aws
			}
			var out struct {
				Entities struct {
					TotalCount int
					Items      []struct{ Name string }
				}
			}
			c.gqlData(t, `{ entities(types: [SERVICE], `+args+`) { totalCount items { name } } }`, &out)
			var names []string
			for _, it := range out.Entities.Items {
				names = append(names, it.Name)
			}
			if out.Entities.TotalCount != tc.total || strings.Join(names, ",") != tc.names {
				t.Errorf("totalCount %d, items %v; want %d, %s", out.Entities.TotalCount, names, tc.total, tc.names)
			}
		})
	}
}

func TestQueryBuilderErrors(t *testing.T) {
	c := newCatalogClient(t, "qb-errors")
	for _, tc := range []struct{ name, body, want string }{
		{"unknown schema", `{"schemaIdentifier":"schema-widget"}`, `unknown schema \"schema-widget\"`},
		{"missing schema", `{}`, "schemaIdentifier"},
		{"unknown column", `{"schemaIdentifier":"schema-service","filter":{"column":"color","operator":"eq","value":"red"}}`, `unknown column \"color\"`},
		{"unknown operator", `{"schemaIdentifier":"schema-service","filter":{"column":"name","operator":"like","value":"x"}}`, `unknown operator \"like\"`},
		{"unknown relation", `{"schemaIdentifier":"schema-service","filter":{"column":"owners.name","operator":"eq","value":"x"}}`, `unknown relation \"owners\"`},
		{"in needs a list", `{"schemaIdentifier":"schema-service","filter":{"column":"name","operator":"in","value":"x"}}`, "list"},
		{"exists needs a boolean", `{"schemaIdentifier":"schema-service","filter":{"column":"name","operator":"exists","value":"yes"}}`, "true or false"},
		{"number column", `{"schemaIdentifier":"schema-service","filter":{"column":"accruedCosts","operator":"gt","value":"lots"}}`, "numbers"},
		{"six levels", `{"schemaIdentifier":"schema-service","filter":{"column":"dependencies.dependencies.dependencies.dependencies.dependencies.dependencies.name","operator":"eq","value":"x"}}`, "5"},
		{"page size", `{"schemaIdentifier":"schema-service","pageSize":0}`, "pageSize"},
		{"bad range", `{"schemaIdentifier":"schema-service","dateRange":{"from":"2026-02-01","to":"2026-01-01"}}`, "to must not be before from"},
		{"unknown sort", `{"schemaIdentifier":"schema-service","sort":{"property":"color"}}`, "color"},
		{"ilike ending in an escape", `{"schemaIdentifier":"schema-service","filter":{"column":"name","operator":"ilike","value":"a\\"}}`, "escape character"},
		{"some on a field", `{"schemaIdentifier":"schema-service","filter":{"column":"name","operator":"some","value":{"column":"name","operator":"eq","value":"x"}}}`, `unknown relation \"name\"`},
		{"some without a filter", `{"schemaIdentifier":"schema-service","filter":{"column":"environments","operator":"some","value":"x"}}`, "must be an object"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCatalogError(t, c.call(t, "POST", "/public/v1/query-builder", tc.body), 400, tc.want)
		})
	}
	code, field, _ := c.gqlError(t, `{ entities(where: {field: "color", eq: "red"}) { items { name } } }`)
	if code != "BAD_USER_INPUT" || field != "filter" {
		t.Errorf("GraphQL unknown field: %s %s", code, field)
	}
	if code, _, _ := c.gqlError(t, `{ entities(where: {relation: "environments", some: {field: "name", eq: "x"}}) { items { name } } }`); code != "BAD_USER_INPUT" {
		t.Errorf("relation without a type: %s", code)
	}
}

func TestQueryBuilderCosts(t *testing.T) {
	c, id := filterCatalog(t)
	var rows []string
	for _, r := range []struct {
		res, date string
		cost      float64
	}{
		{"aws-db", "2026-01-10", 10}, {"gcp-vm", "2026-01-10", 5}, {"pod", "2026-01-09", 1},
		{"vm2", "2026-01-10", 7}, {"bucket", "2026-01-10", 2}, {"aws-db", "2026-01-01", 100},
	} {
		rows = append(rows, fmt.Sprintf(`{"catalogResourceId":%q,"date":%q,"operation":"TOTAL","cost":%v}`, id[r.res], r.date, r.cost))
	}
	c.must(t, 200, "POST", "/public/v1/costs/batch", "["+strings.Join(rows, ",")+"]")
	// A second path to aws-db: it still counts once for s1, as in GraphQL's
	// cost rollups. The system holds s1 and s3, so it reaches aws-db twice.
	c.relate(t, id["s1-dev"], "contains", id["aws-db"])
	sys := c.create(t, "system", `{"name":"sys"}`)["id"].(string)
	c.relate(t, id["s1"], "part_of", sys)
	c.relate(t, id["s3"], "part_of", sys)
	rng := `"dateRange":{"from":"2026-01-06","to":"2026-01-10"}`
	for _, tc := range []struct {
		name, body string
		total      float64
		want       string
	}{
		// s1 = 10+5+1 in range, 100 in the prior five days (01-01..01-05).
		{"filtered and sorted by cost", `{"schemaIdentifier":"schema-service",` + rng + `,
			"sort":{"property":"accruedCosts","order":"DESC"},"filter":{"column":"accruedCosts","operator":"gt","value":0}}`,
			3, "s1:16:100:-84,s2:7:0:7,s3:2:0:2"},
		{"every service", `{"schemaIdentifier":"schema-service",` + rng + `}`, 4, "s1:16:100:-84,s2:7:0:7,s3:2:0:2,s4:0:0:0"},
		{"filtered on a field", `{"schemaIdentifier":"schema-service",` + rng + `,"filter":{"column":"metaTags.tier","operator":"eq","value":"1"}}`,
			2, "s1:16:100:-84,s3:2:0:2"},
		{"environments", `{"schemaIdentifier":"schema-environment",` + rng + `,"filter":{"column":"name","operator":"ilike","value":"s1-%"}}`,
			2, "s1-dev:11:100:-89,s1-prod:15:100:-85"},
		{"systems", `{"schemaIdentifier":"schema-system",` + rng + `}`, 1, "sys:18:100:-82"},
		{"resources", `{"schemaIdentifier":"schema-resource",` + rng + `,"filter":{"column":"changeCosts","operator":"lt","value":0}}`,
			1, "aws-db:10:100:-90"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := c.must(t, 200, "POST", "/public/v1/query-builder", tc.body).json(t)
			var got []string
			for _, it := range res["items"].([]any) {
				m := it.(map[string]any)
				got = append(got, fmt.Sprintf("%s:%v:%v:%v", m["name"], m["accruedCosts"], m["priorPeriodCosts"], m["changeCosts"]))
			}
			if strings.Join(got, ",") != tc.want || res["totalFound"] != tc.total {
				t.Errorf("items = %v, totalFound %v; want %s, %v", got, res["totalFound"], tc.want, tc.total)
			}
		})
	}
	// The columns are exact decimals, written as such; a sum of zero is 0
	// whatever the scale of the costs summed.
	c.must(t, 200, "POST", "/public/v1/costs/batch", fmt.Sprintf(`[{"catalogResourceId":%[1]q,"date":"2026-02-01","operation":"TOTAL","cost":1.5},
		{"catalogResourceId":%[1]q,"date":"2026-02-02","operation":"TOTAL","cost":-1.5},
		{"catalogResourceId":%[1]q,"date":"2026-02-03","operation":"TOTAL","cost":0.25}]`, id["pod"]))
	for _, tc := range []struct{ from, to, want string }{
		{"2026-02-01", "2026-02-02", `"accruedCosts":0,"changeCosts":0,`},
		{"2026-02-01", "2026-02-03", `"accruedCosts":0.2500,"changeCosts":0.2500,`},
	} {
		body := c.must(t, 200, "POST", "/public/v1/query-builder", fmt.Sprintf(`{"schemaIdentifier":"schema-resource",
			"dateRange":{"from":%q,"to":%q},"filter":{"column":"name","operator":"eq","value":"pod"}}`, tc.from, tc.to)).body
		if !strings.Contains(string(body), tc.want) {
			t.Errorf("%s..%s: want %s in %s", tc.from, tc.to, tc.want, body)
		}
	}
	res := c.must(t, 200, "POST", "/public/v1/query-builder", `{"schemaIdentifier":"schema-cost","dateRange":{"from":"2026-01-01","to":"2026-01-31"},
		"filter":{"column":"cost","operator":"gte","value":7},"sort":{"property":"cost","order":"DESC"}}`).json(t)
	if res["totalFound"] != float64(3) || res["items"].([]any)[0].(map[string]any)["cost"] != float64(100) {
		t.Errorf("schema-cost = %v", res)
	}

	// includeProperties answers the same items as the whole DTO, cut down
	// to id, type and the properties named, whatever filters, sorts or
	// cost columns the page uses.
	for _, tc := range []struct {
		name, body string
		include    []string
	}{
		{"names and tags", `"schemaIdentifier":"schema-service"`, []string{"name", "tags"}},
		{"nothing", `"schemaIdentifier":"schema-service"`, []string{}},
		{"one cost column", `"schemaIdentifier":"schema-service",` + rng, []string{"name", "changeCosts"}},
		{"sorted on a column not shown, with costs", `"schemaIdentifier":"schema-service",` + rng + `,
			"sort":{"property":"createDateTime","order":"DESC"}`, []string{"name", "accruedCosts"}},
		{"sorted on a type's own field", `"schemaIdentifier":"schema-service","sort":{"property":"lifecycle"}`, []string{"lifecycle"}},
		{"filtered and sorted on costs, costs not shown", `"schemaIdentifier":"schema-service",` + rng + `,
			"sort":{"property":"accruedCosts","order":"DESC"},"filter":{"column":"accruedCosts","operator":"gt","value":0}`, []string{"name"}},
		{"relation filter", `"schemaIdentifier":"schema-service","filter":{"column":"environments.resources.provider","operator":"eq","value":"AWS"}`,
			[]string{"metaTags", "links", "description"}},
		{"resources", `"schemaIdentifier":"schema-resource",` + rng, []string{"provider", "providerResourceKey", "location", "priorPeriodCosts"}},
		{"a name no entity has", `"schemaIdentifier":"schema-environment"`, []string{"name", "color"}},
	} {
		t.Run("includeProperties "+tc.name, func(t *testing.T) {
			whole := c.must(t, 200, "POST", "/public/v1/query-builder", "{"+tc.body+"}").json(t)
			include, _ := json.Marshal(tc.include)
			cut := c.must(t, 200, "POST", "/public/v1/query-builder", "{"+tc.body+`,"includeProperties":`+string(include)+"}").json(t)
			var want []any
			for _, it := range whole["items"].([]any) {
				m := map[string]any{}
				for k, v := range it.(map[string]any) {
					if k == "id" || k == "type" || slices.Contains(tc.include, k) {
						m[k] = v
					}
				}
				want = append(want, m)
			}
			if len(want) == 0 {
				t.Fatal("the whole answer has no items: the case tests nothing")
			}
			if !reflect.DeepEqual(cut["items"], want) || cut["totalFound"] != whole["totalFound"] {
				t.Errorf("items %v, totalFound %v; want %v, %v", cut["items"], cut["totalFound"], want, whole["totalFound"])
			}
		})
	}
	wantCatalogError(t, c.call(t, "POST", "/public/v1/query-builder", `{"schemaIdentifier":"schema-service","includeProperties":"name"}`),
		400, "includeProperties must be an array of strings")
}

// TestFilteredPageStatements: a filtered GraphQL page is one statement, plus
// one for the total when it is selected, whatever the filter's depth.
func TestFilteredPageStatements(t *testing.T) {
	c, _ := filterCatalog(t)
	count := func(query string) int64 {
		n, body := countStatements(t, c.key, query)
		if strings.Contains(body, "errors") {
			t.Fatal(body)
		}
		return n
	}
	where := `{and: [{field: "metaTags.tier", eq: "1"}, {relation: "environments", some: {and: [{field: "name", contains: "prod"},
		{relation: "resources", some: {field: "provider", eq: "AWS"}}]}}]}`
	count(`{ viewer { name } }`) // first use of the key records its last-used time
	if n := count(`{ entities(types: [SERVICE], where: ` + where + `) { items { name } } }`); n != 2 {
		t.Errorf("filtered page: %d statements, want 2 (key + page)", n)
	}
	// The page counts its relation-filtered matches itself.
	if n := count(`{ entities(types: [SERVICE], where: ` + where + `) { totalCount items { name } } }`); n != 2 {
		t.Errorf("filtered page with total: %d statements, want 2 (key + page)", n)
	}
}

// TestRelationFilterPages pages through a filter that mixes relation and
// plain conditions. Relation conditions are tested lazily, in page order, on
// candidates the other conditions picked: the pages must still be exactly
// the matches in order, in both directions, and a relation condition may
// read any column, shown or not.
func TestRelationFilterPages(t *testing.T) {
	c := newCatalogClient(t, "relpages")
	seedGraph(t, c.org, 12) // svc-000..svc-011; each depends on the next two
	where := `{and: [{field: "name", ne: "svc-003"}, {or: [{field: "description", eq: "nobody"},
		{relation: "dependencies", some: {field: "name", startsWith: "svc"}}]}]}`
	var want []string // every service with a dependency (all but the last), less svc-003
	for i := range 11 {
		if i != 3 {
			want = append(want, fmt.Sprintf("svc-%03d", i))
		}
	}
	for _, dir := range []string{"ASC", "DESC"} {
		t.Run(dir, func(t *testing.T) {
			expect := slices.Clone(want)
			if dir == "DESC" {
				slices.Reverse(expect)
			}
			var got []string
			for offset := 0; offset < len(want)+3; offset += 3 {
				var page struct {
					Entities struct {
						TotalCount  int
						HasNextPage bool
						Items       []struct{ Name string }
					}
				}
				c.gqlData(t, fmt.Sprintf(`{ entities(types: [SERVICE], first: 3, offset: %d, sort: {field: NAME, direction: %s},
					where: %s) { totalCount hasNextPage items { name } } }`, offset, dir, where), &page)
				if page.Entities.TotalCount != len(want) || page.Entities.HasNextPage != (offset+3 < len(want)) {
					t.Errorf("offset %d: totalCount %d, hasNextPage %v", offset, page.Entities.TotalCount, page.Entities.HasNextPage)
				}
				for _, it := range page.Entities.Items {
					got = append(got, it.Name)
				}
			}
			if !slices.Equal(got, expect) {
				t.Errorf("pages = %v, want %v", got, expect)
			}
		})
	}
	// A filter split into its relation and plain parts is still held to the
	// size limit as a whole.
	big := strings.Repeat(`{field: "name", ne: "x"}, `, cartograph.MaxFilterNodes)
	code, _, _ := c.gqlError(t, `{ entities(types: [SERVICE], where: {and: [`+big+
		`{relation: "dependencies", some: {field: "name", eq: "svc-001"}}]}) { items { name } } }`)
	if code != "BAD_USER_INPUT" {
		t.Errorf("a filter of %d conditions: code %q, want BAD_USER_INPUT", cartograph.MaxFilterNodes+2, code)
	}
}
