package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"cartograph/bench/shapes"
)

// shape is one measured request: a query shape over one surface.
type shape struct {
	id      string // q2-graphql
	kind    string // q1..q4
	surface string // GraphQL, REST, PostGraphile
	url     string
	body    string
	headers map[string]string
}

// manifest is the part of the generator's manifest.json the runner reads.
type manifest struct {
	Scale    float64
	Expected struct {
		Q1Page  struct{ Names []string }
		Q2Graph struct {
			Services                           []string
			DependsOn, Environments, Resources int
		}
		Q3Filter struct {
			TotalCount int
			Names      []string
		}
		Q4Cost struct {
			From, To string
			Services []struct{ Name, Cost string }
		}
	}
}

func readManifest(dir string) (*manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m manifest
	return &m, json.Unmarshal(raw, &m)
}

var kindNames = map[string]string{"q1": "Q1 page", "q2": "Q2 graph", "q3": "Q3 filter", "q4": "Q4 cost"}

func cartographShapes(m *manifest, base, key string) []shape {
	from, to := m.Expected.Q4Cost.From, m.Expected.Q4Cost.To
	h := map[string]string{"Content-Type": "application/json", "Api-Key": key}
	gql, rest := base+"/graphql", base+"/public/v1/query-builder"
	return []shape{
		{"q1-graphql", "q1", "GraphQL", gql, shapes.Body(shapes.Q1GraphQL), h},
		{"q2-graphql", "q2", "GraphQL", gql, shapes.Body(shapes.Q2GraphQL(20)), h},
		{"q3-graphql", "q3", "GraphQL", gql, shapes.Body(shapes.Q3GraphQL), h},
		{"q4-graphql", "q4", "GraphQL", gql, shapes.Body(shapes.Q4GraphQL(from, to)), h},
		{"q1-rest", "q1", "REST", rest, shapes.Q1REST, h},
		{"q3-rest", "q3", "REST", rest, shapes.Q3REST, h},
		{"q4-rest", "q4", "REST", rest, shapes.Q4REST(from, to), h},
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

// answerItem reads both surfaces' items.
type answerItem struct {
	Name         string
	Dependencies struct{ Items []struct{ Name string } }
	Environments struct {
		Items []struct {
			Resources struct{ Items []struct{ Name string } }
		}
	}
	Cost         struct{ Total string }
	AccruedCosts json.Number
}

func items(s shape, body []byte) ([]answerItem, int, error) {
	var g struct {
		Data struct {
			Entities struct{ Items []answerItem }
		}
		TotalFound int
		Items      []answerItem
	}
	if err := json.Unmarshal(body, &g); err != nil {
		return nil, 0, err
	}
	if s.surface == "REST" {
		return g.Items, g.TotalFound, nil
	}
	return g.Data.Entities.Items, -1, nil
}

// check compares a shape's answer with manifest.json's expected one, less
// what the import skipped (see expected).
func (e *expected) check(s shape) error {
	body, err := post(s)
	if err != nil {
		return err
	}
	its, total, err := items(s, body)
	if err != nil {
		return err
	}
	names := make([]string, len(its))
	for i, it := range its {
		names[i] = it.Name
	}
	x := e.m.Expected
	switch s.kind {
	case "q1":
		if !slices.Equal(names, x.Q1Page.Names) {
			return fmt.Errorf("names %v, want %v", names, x.Q1Page.Names)
		}
	case "q2":
		if !slices.Equal(names, x.Q2Graph.Services) {
			return fmt.Errorf("services %v, want %v", names, x.Q2Graph.Services)
		}
		deps, envs, res := 0, 0, 0
		for _, it := range its {
			deps += len(it.Dependencies.Items)
			envs += len(it.Environments.Items)
			for _, env := range it.Environments.Items {
				res += len(env.Resources.Items)
			}
		}
		want := x.Q2Graph.Resources - e.q2SkippedResources
		if deps != x.Q2Graph.DependsOn || envs != x.Q2Graph.Environments || res != want {
			return fmt.Errorf("%d dependencies, %d environments, %d resources; want %d, %d, %d",
				deps, envs, res, x.Q2Graph.DependsOn, x.Q2Graph.Environments, want)
		}
	case "q3":
		if !slices.Equal(names, x.Q3Filter.Names) {
			return fmt.Errorf("names %v, want %v", names, x.Q3Filter.Names)
		}
		if total >= 0 && total != x.Q3Filter.TotalCount {
			return fmt.Errorf("totalFound %d, want %d", total, x.Q3Filter.TotalCount)
		}
	case "q4":
		if len(its) != len(x.Q4Cost.Services) {
			return fmt.Errorf("%d services, want %d", len(its), len(x.Q4Cost.Services))
		}
		for i, it := range its {
			w := x.Q4Cost.Services[i]
			want, _ := new(big.Rat).SetString(w.Cost)
			if skipped := e.q4SkippedCost[w.Name]; skipped != nil {
				want.Sub(want, skipped)
			}
			got := it.Cost.Total
			if s.surface == "REST" {
				got = it.AccruedCosts.String()
			}
			g, ok := new(big.Rat).SetString(got)
			if it.Name != w.Name || !ok || g.Cmp(want) != 0 {
				return fmt.Errorf("%s costs %s, want %s %s", it.Name, got, w.Name, want.FloatString(4))
			}
		}
	}
	return nil
}
