package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math/big"
	"os"
	"path/filepath"
	"strings"
)

// expected is manifest.json's answers and what the import skipped from them.
// The importer applies CONTRACT.md §4's uniqueness rules, which the data set
// breaks a few times (docs/benchmarks.md): a skipped resource leaves Q2's
// resource count and its costs leave Q4's totals. Nothing else is forgiven.
type expected struct {
	m                  *manifest
	q2SkippedResources int
	q4SkippedCost      map[string]*big.Rat // service name → cost of its skipped resources
}

func expectedAnswers(ctx context.Context, data string, m *manifest, pg *cluster, db string) (*expected, error) {
	e := &expected{m: m, q4SkippedCost: map[string]*big.Rat{}}
	out, err := pg.query(ctx, db, "SELECT id FROM entities WHERE org_id = '"+benchOrg+"'")
	if err != nil {
		return nil, err
	}
	imported := map[string]bool{}
	for _, id := range strings.Fields(out) {
		imported[id] = true
	}
	q2, q4 := map[string]bool{}, map[string]bool{}
	for _, n := range m.Expected.Q2Graph.Services {
		q2[n] = true
	}
	for _, s := range m.Expected.Q4Cost.Services {
		q4[s.Name] = true
	}
	skipped := map[string]bool{}
	service := map[string]string{} // id → name, for Q2's and Q4's services
	err = eachLine(filepath.Join(data, "entities.ndjson"), func(line []byte) error {
		var ent struct{ ID, Type, Name string }
		if err := json.Unmarshal(line, &ent); err != nil {
			return err
		}
		if !imported[ent.ID] {
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
	err = eachLine(filepath.Join(data, "relations.ndjson"), func(line []byte) error {
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
	err = eachLine(filepath.Join(data, "costs.ndjson"), func(line []byte) error {
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

func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
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
