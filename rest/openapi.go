package rest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
)

// Route is one REST route: what the mux serves and what openapi.json says.
type Route struct {
	Method  string
	Path    string // a ServeMux path with {parameters}
	Summary string
	Tag     string
	handler http.HandlerFunc
}

// Routes returns every REST route Cartograph serves.
func Routes() []Route {
	return append((&catalogHandler{}).routes(), (&configHandler{}).routes()...)
}

var pathParam = regexp.MustCompile(`\{(\w+)\}`)

// statusCodes are the statuses a route may answer with, by method.
var statusCodes = map[string][]string{
	"GET": {"200", "400", "401", "404"}, "POST": {"200", "201", "400", "401", "403", "404", "409", "413", "422"},
	"PATCH": {"200", "400", "401", "403", "404", "409", "422"}, "PUT": {"200", "400", "401", "403", "404", "422"},
	"DELETE": {"200", "204", "400", "401", "403", "404", "422"},
}

// OpenAPI returns an OpenAPI 3.0 document describing every REST route.
func OpenAPI() []byte {
	paths := map[string]map[string]any{}
	for _, r := range Routes() {
		op := map[string]any{
			"summary":     r.Summary,
			"tags":        []string{r.Tag},
			"operationId": strings.ToLower(r.Method) + strings.NewReplacer("/", "_", "{", "", "}", "", "-", "_").Replace(r.Path),
			"security":    []map[string][]string{{"ApiKey": {}}, {"Bearer": {}}},
		}
		var params []map[string]any
		for _, m := range pathParam.FindAllStringSubmatch(r.Path, -1) {
			params = append(params, map[string]any{"name": m[1], "in": "path", "required": true, "schema": map[string]string{"type": "string"}})
		}
		if params != nil {
			op["parameters"] = params
		}
		responses := map[string]any{}
		for _, code := range statusCodes[r.Method] {
			responses[code] = map[string]string{"description": http.StatusText(atoi(code))}
		}
		op["responses"] = responses
		if r.Method == "POST" || r.Method == "PATCH" || r.Method == "PUT" || r.Method == "DELETE" && strings.Contains(r.Path, "batch") {
			op["requestBody"] = map[string]any{"content": map[string]any{"application/json": map[string]any{"schema": map[string]string{"type": "object"}}}}
		}
		if paths[r.Path] == nil {
			paths[r.Path] = map[string]any{}
		}
		paths[r.Path][strings.ToLower(r.Method)] = op
	}
	doc := map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "Cartograph REST API", "version": "1",
			"description": "The Configure8 public catalog API and the Configmonkey config API, as Cartograph serves them. GraphQL is at /graphql."},
		"paths": paths,
		"components": map[string]any{"securitySchemes": map[string]any{
			"ApiKey": map[string]string{"type": "apiKey", "in": "header", "name": "Api-Key"},
			"Bearer": map[string]string{"type": "http", "scheme": "bearer"},
		}},
	}
	b, _ := json.MarshalIndent(doc, "", "  ")
	return b
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

// OpenAPIHandler serves the OpenAPI document.
func OpenAPIHandler() http.Handler {
	doc := OpenAPI()
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(doc)
	})
}
