package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"

	"cartograph/bench/shapes"
)

// shape is one measured request: a query shape over one surface.
type shape struct {
	id      string // q2-graphql
	kind    string // shapes.Page ... shapes.Cost
	surface string // GraphQL, REST (or "REST (whole entities)"), PostGraphile
	url     string
	body    string
	headers map[string]string
}

var kindNames = map[string]string{shapes.Page: "Q1 page", shapes.Graph: "Q2 graph", shapes.Filter: "Q3 filter", shapes.Cost: "Q4 cost"}

func cartographShapes(m *shapes.Manifest, base, key string) []shape {
	from, to := m.Expected.Q4Cost.From, m.Expected.Q4Cost.To
	h := map[string]string{"Content-Type": "application/json", "Api-Key": key}
	gql, rest := base+"/graphql", base+"/public/v1/query-builder"
	return []shape{
		{"q1-graphql", shapes.Page, "GraphQL", gql, shapes.Body(shapes.Q1GraphQL), h},
		{"q2-graphql", shapes.Graph, "GraphQL", gql, shapes.Body(shapes.Q2GraphQL(20)), h},
		{"q3-graphql", shapes.Filter, "GraphQL", gql, shapes.Body(shapes.Q3GraphQL), h},
		{"q4-graphql", shapes.Cost, "GraphQL", gql, shapes.Body(shapes.Q4GraphQL(from, to)), h},
		{"q1-rest", shapes.Page, "REST", rest, shapes.Q1REST, h},
		{"q3-rest", shapes.Filter, "REST", rest, shapes.Q3REST, h},
		{"q4-rest", shapes.Cost, "REST", rest, shapes.Q4REST(from, to), h},
		{"q1-rest-whole", shapes.Page, "REST (whole entities)", rest, shapes.Q1RESTWhole, h},
		{"q3-rest-whole", shapes.Filter, "REST (whole entities)", rest, shapes.Q3RESTWhole, h},
	}
}

// post sends a shape's request once and returns the body of a 200 answer.
func post(s shape) ([]byte, error) {
	req, err := http.NewRequest("POST", s.url, strings.NewReader(s.body))
	if err != nil {
		return nil, err
	}
	for k, v := range s.headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = res.Body.Close() }()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) {
		return nil, fmt.Errorf("HTTP %d: %.300s", res.StatusCode, body)
	}
	return body, nil
}
