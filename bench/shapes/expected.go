package shapes

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"slices"
)

// Shape kinds, as Check takes them.
const (
	Page   = "q1"
	Graph  = "q2"
	Filter = "q3"
	Cost   = "q4"
)

// Manifest is the part of gencatalog's manifest.json the shapes are checked
// against.
type Manifest struct {
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

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (*Manifest, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	return &m, json.Unmarshal(raw, &m)
}

// Expected is manifest.json's answers and what the import skipped from them.
// The importer applies CONTRACT.md §4's uniqueness rules, which the data set
// breaks a few times (docs/benchmarks.md): a skipped resource leaves Q2's
// resource count and its costs leave Q4's totals. Nothing else is forgiven.
type Expected struct {
	M                  *Manifest
	q2SkippedResources int
	q4SkippedCost      map[string]*big.Rat // service name → cost of its skipped resources
}

// LoadExpected reads the data set in dir and works out, from the entity ids
// the import kept (imported), what it skipped from the expected answers.
func LoadExpected(dir string, m *Manifest, imported func(id string) bool) (*Expected, error) {
	e := &Expected{M: m, q4SkippedCost: map[string]*big.Rat{}}
	q2, q4 := map[string]bool{}, map[string]bool{}
	for _, n := range m.Expected.Q2Graph.Services {
		q2[n] = true
	}
	for _, s := range m.Expected.Q4Cost.Services {
		q4[s.Name] = true
	}
	skipped := map[string]bool{}
	service := map[string]string{} // id → name, for Q2's and Q4's services
	err := eachLine(filepath.Join(dir, "entities.ndjson"), func(line []byte) error {
		var ent struct{ ID, Type, Name string }
		if err := json.Unmarshal(line, &ent); err != nil {
			return err
		}
		if !imported(ent.ID) {
			skipped[ent.ID] = true
		}
		if ent.Type == "service" && (q2[ent.Name] || q4[ent.Name]) {
			service[ent.ID] = ent.Name
		}
		return nil
	})
	if err != nil || len(skipped) == 0 {
		return e, err
	}
	envOf := map[string]string{} // environment id → service name
	var contains [][2]string
	err = eachLine(filepath.Join(dir, "relations.ndjson"), func(line []byte) error {
		var r struct{ SourceEntityID, TargetEntityID, Label string }
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		switch {
		case r.Label == "has_environment" && service[r.SourceEntityID] != "":
			envOf[r.TargetEntityID] = service[r.SourceEntityID]
		case r.Label == "contains":
			contains = append(contains, [2]string{r.SourceEntityID, r.TargetEntityID})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	owner := map[string]string{} // skipped resource id → Q4 service name
	for _, c := range contains {
		svc := envOf[c[0]]
		if svc == "" || !skipped[c[1]] {
			continue
		}
		if q2[svc] {
			e.q2SkippedResources++
		}
		if q4[svc] {
			owner[c[1]] = svc
		}
	}
	if len(owner) == 0 {
		return e, nil
	}
	from, to := m.Expected.Q4Cost.From, m.Expected.Q4Cost.To
	key := []byte(`"catalogResourceId":"`)
	err = eachLine(filepath.Join(dir, "costs.ndjson"), func(line []byte) error {
		// costs.ndjson is large: decode only the lines of skipped resources.
		i := bytes.Index(line, key)
		if i < 0 || len(line) < i+len(key)+36 || owner[string(line[i+len(key):i+len(key)+36])] == "" {
			return nil
		}
		var c struct {
			CatalogResourceID, Date, Operation string
			Cost                               json.Number
		}
		if err := json.Unmarshal(line, &c); err != nil {
			return err
		}
		if c.Operation != "TOTAL" || c.Date < from || c.Date > to {
			return nil
		}
		v, _ := new(big.Rat).SetString(c.Cost.String())
		svc := owner[c.CatalogResourceID]
		if e.q4SkippedCost[svc] == nil {
			e.q4SkippedCost[svc] = new(big.Rat)
		}
		e.q4SkippedCost[svc].Add(e.q4SkippedCost[svc], v)
		return nil
	})
	return e, err
}

// answerItem reads the items of both surfaces' answers.
type answerItem struct {
	ID           string
	Name         string
	Tags         *[]string
	Dependencies struct{ Items []struct{ Name string } }
	Environments struct {
		Items []struct {
			Resources struct{ Items []struct{ Name string } }
		}
	}
	Cost         struct{ Total string }
	AccruedCosts json.Number
}

// Check compares an answer of the kind of shape (Page, Graph, Filter, Cost)
// with the expected one; rest says the body is a query-builder answer rather
// than GraphQL's. A total (GraphQL totalCount, REST totalFound) is checked
// when the answer has one.
func (e *Expected) Check(kind string, rest bool, body []byte) error {
	var a struct {
		Data struct {
			Entities struct {
				TotalCount *int
				Items      []answerItem
			}
		}
		TotalFound *int
		Items      []answerItem
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return err
	}
	its, total := a.Data.Entities.Items, a.Data.Entities.TotalCount
	if rest {
		its, total = a.Items, a.TotalFound
	}
	names := make([]string, len(its))
	for i, it := range its {
		names[i] = it.Name
	}
	x := e.M.Expected
	switch kind {
	case Page:
		if !slices.Equal(names, x.Q1Page.Names) {
			return fmt.Errorf("names %v, want %v", names, x.Q1Page.Names)
		}
		for _, it := range its {
			if it.ID == "" || it.Tags == nil {
				return fmt.Errorf("%s: no id or no tags", it.Name)
			}
		}
	case Graph:
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
	case Filter:
		if !slices.Equal(names, x.Q3Filter.Names) {
			return fmt.Errorf("names %v, want %v", names, x.Q3Filter.Names)
		}
		if total != nil && *total != x.Q3Filter.TotalCount {
			return fmt.Errorf("total %d, want %d", *total, x.Q3Filter.TotalCount)
		}
	case Cost:
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
			if rest {
				got = it.AccruedCosts.String()
			}
			g, ok := new(big.Rat).SetString(got)
			if it.Name != w.Name || !ok || g.Cmp(want) != 0 {
				return fmt.Errorf("%s costs %s, want %s %s", it.Name, got, w.Name, want.FloatString(4))
			}
		}
	default:
		return fmt.Errorf("unknown shape kind %q", kind)
	}
	return nil
}

func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		if len(sc.Bytes()) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return err
		}
	}
	return sc.Err()
}
