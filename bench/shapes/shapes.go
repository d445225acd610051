// Package shapes holds the benchmark's four query shapes
// (../shared/bench/README.md): the requests as Cartograph is asked them, over
// GraphQL and the REST query builder, and the check of their answers against
// the generator's manifest.json. bench/runner measures them, the Go
// benchmarks time them and TestShapeStatements holds their SQL statement
// budget, so all ask the same and check the same.
package shapes

import (
	"encoding/json"
	"fmt"
)

// Q1 "page": the first 50 services by name, with id, name and tags. The
// REST forms ask for those properties (includeProperties; id and type come
// always), as GraphQL selects them; Q1RESTWhole asks for whole entities,
// the query builder's default.
const (
	Q1GraphQL   = `{ entities(types: [SERVICE], first: 50) { items { id name tags } } }`
	Q1REST      = `{"schemaIdentifier":"schema-service","sort":{"property":"name"},"pageSize":50,"includeProperties":["name","tags"]}`
	Q1RESTWhole = `{"schemaIdentifier":"schema-service","sort":{"property":"name"},"pageSize":50}`
)

// Q2GraphQL is Q2 "graph" for the first services services by name: their
// depends_on targets, their environments and each environment's resources.
// The REST query builder answers flat pages only: Q2 has no REST form.
func Q2GraphQL(services int) string {
	return fmt.Sprintf(`{ entities(types: [SERVICE], first: %d) { items { name ... on Service {
	dependencies(first: 20) { items { name } }
	environments(first: 10) { items { name resources(first: 50) { items { name provider } } } } } } } }`, services)
}

// Q3 "filter": tier-1 services with a prod environment holding an AWS
// resource, the first 50 by name. The GraphQL form selects no totalCount, as
// the peer's; Q3GraphQLCounted does. REST answers always carry totalFound;
// Q3REST asks for names, Q3RESTWhole for whole entities.
const (
	Q3GraphQL = `{ entities(types: [SERVICE], first: 50, where: {and: [
	{field: "metaTags.tier", eq: "1"},
	{relation: "environments", some: {and: [{field: "name", ilike: "%prod%"},
		{relation: "resources", some: {field: "provider", eq: "AWS"}}]}}]}) { items { name } } }`
	Q3GraphQLCounted = `{ entities(types: [SERVICE], first: 50, where: {and: [
	{field: "metaTags.tier", eq: "1"},
	{relation: "environments", some: {and: [{field: "name", ilike: "%prod%"},
		{relation: "resources", some: {field: "provider", eq: "AWS"}}]}}]}) { totalCount items { name } } }`
	Q3REST      = `{"schemaIdentifier":"schema-service","sort":{"property":"name"},"pageSize":50,"includeProperties":["name"],` + q3RESTFilter + `}`
	Q3RESTWhole = `{"schemaIdentifier":"schema-service","sort":{"property":"name"},"pageSize":50,` + q3RESTFilter + `}`

	q3RESTFilter = `"filter":{"and":[
	{"column":"metaTags.tier","operator":"eq","value":"1"},
	{"column":"environments","operator":"some","value":{"and":[{"column":"name","operator":"ilike","value":"%prod%"},
		{"column":"resources.provider","operator":"eq","value":"AWS"}]}}]}`
)

// Q4GraphQL is Q4 "cost": the first 20 services by name and the TOTAL cost
// of their environments' resources over [from, to].
func Q4GraphQL(from, to string) string {
	return fmt.Sprintf(`{ entities(types: [SERVICE], first: 20) { items { name ... on Service {
	cost(from: %q, to: %q) { total } } } } }`, from, to)
}

// Q4REST is Q4 over the query builder: names and accruedCosts over the
// date range.
func Q4REST(from, to string) string {
	return fmt.Sprintf(`{"schemaIdentifier":"schema-service","sort":{"property":"name"},"pageSize":20,"dateRange":{"from":%q,"to":%q},`+
		`"includeProperties":["name","accruedCosts"]}`, from, to)
}

// Body wraps a GraphQL query as a POST /graphql body.
func Body(query string) string {
	b, _ := json.Marshal(map[string]string{"query": query})
	return string(b)
}
