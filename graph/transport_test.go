package graph

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"cartograph/db"
	"cartograph/graph/model"
)

// TestPostJSONMatchesGqlgen sends the same requests to the endpoint with
// gqlgen's POST transport and with postJSON: status, content type and body
// must be the same bytes, answers and errors alike.
func TestPostJSONMatchesGqlgen(t *testing.T) {
	store := &db.DB{} // these requests reach no resolver that reads
	reference := newServer(store, Options{}, transport.POST{})
	ours := newServer(store, Options{}, postJSON{})
	for _, tc := range []struct {
		name, body, accept string
		wantStatus         int
	}{
		{"answer", `{"query":"{ __typename }"}`, "", http.StatusOK},
		{"introspection", `{"query":"{ __schema { types { name description fields { name description } } } }"}`, "", http.StatusOK},
		{"accepts anything", `{"query":"{ __typename }"}`, "*/*", http.StatusOK},
		{"graphql-response+json", `{"query":"{ __typename }"}`, "application/graphql-response+json", http.StatusOK},
		{"accepts neither", `{"query":"{ __typename }"}`, "text/html", http.StatusOK},
		{"syntax error", `{"query":"{ "}`, "", http.StatusUnprocessableEntity},
		{"syntax error, graphql-response+json", `{"query":"{ "}`, "application/graphql-response+json", http.StatusBadRequest},
		{"unknown field", `{"query":"{ nope }"}`, "", http.StatusUnprocessableEntity},
		{"bad variable", `{"query":"query($n: Int) { entities(first: $n) { hasNextPage } }","variables":{"n":"x"}}`, "", http.StatusUnprocessableEntity},
		{"unknown operation", `{"query":"query A { __typename }","operationName":"B"}`, "", http.StatusUnprocessableEntity},
		{"body not JSON", `{"query":`, "", http.StatusBadRequest},
		{"empty body", ``, "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			do := func(h http.Handler) *httptest.ResponseRecorder {
				req := httptest.NewRequest("POST", "/graphql", strings.NewReader(tc.body))
				req.Header.Set("Content-Type", "application/json")
				if tc.accept != "" {
					req.Header.Set("Accept", tc.accept)
				}
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				return w
			}
			want, got := do(reference), do(ours)
			if got.Code != want.Code || got.Code != tc.wantStatus {
				t.Errorf("status %d, gqlgen's %d, want %d", got.Code, want.Code, tc.wantStatus)
			}
			if g, w := got.Header().Get("Content-Type"), want.Header().Get("Content-Type"); g != w {
				t.Errorf("Content-Type %q, gqlgen's %q", g, w)
			}
			if got.Body.String() != want.Body.String() {
				t.Errorf("body\n%.400s\ngqlgen's\n%.400s", got.Body, want.Body)
			}
		})
	}
}

// TestWriteResponse: the answer's bytes are json.Marshal's, whether written
// directly (data alone) or through it.
func TestWriteResponse(t *testing.T) {
	yes := true
	for _, tc := range []struct {
		name string
		resp *graphql.Response
	}{
		{"data", &graphql.Response{Data: json.RawMessage(`{"a":"b","n":[1,2.5,null]}`)}},
		{"data to HTML-escape", &graphql.Response{Data: json.RawMessage(`{"a":"<script>&amp;</script>"}`)}},
		{"line separators", &graphql.Response{Data: json.RawMessage(`{"b":"en–dash line` + "\u2028" + `sep"}`)}},
		{"paragraph separator last", &graphql.Response{Data: json.RawMessage(`{"b":"–` + "\u2029" + `"}`)}},
		{"other three-byte runes", &graphql.Response{Data: json.RawMessage(`{"b":"–—…€"}`)}},
		{"no data", &graphql.Response{}},
		{"data and errors", &graphql.Response{Data: json.RawMessage(`{"a":null}`), Errors: gqlerror.List{{Message: "boom <x>"}}}},
		{"extensions", &graphql.Response{Data: json.RawMessage(`{}`), Extensions: map[string]any{"k": 1}}},
		{"incremental", &graphql.Response{Data: json.RawMessage(`{}`), Label: "l", HasNext: &yes}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want, err := json.Marshal(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			var got strings.Builder
			writeResponse(&got, tc.resp)
			if got.String() != string(want) {
				t.Errorf("wrote %s\nwant  %s", got.String(), want)
			}
		})
	}
}

// TestRawJSONScalarIsCompact: the JSON scalar writes stored JSON compact,
// since writeResponse no longer compacts the answer.
func TestRawJSONScalarIsCompact(t *testing.T) {
	for _, tc := range []struct{ stored, want string }{
		{`{"a": 1, "b": [1, 2], "c": {"d": "e f"}}`, `{"a":1,"b":[1,2],"c":{"d":"e f"}}`},
		{`"text"`, `"text"`},
		{``, `null`},
	} {
		var b strings.Builder
		model.MarshalRawJSON(json.RawMessage(tc.stored)).MarshalGQL(&b)
		if b.String() != tc.want {
			t.Errorf("%q written as %q, want %q", tc.stored, b.String(), tc.want)
		}
	}
}
