package db

import (
	"context"
	"maps"
	"slices"

	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// serviceTotals sums an import's service costs in Go while the costs
// stream in, by migration 9's rule: for each service and day, the TOTAL
// costs of the distinct resources its environments contain. The import's
// row triggers are off, so otherwise it would aggregate every cost row
// again in SQL afterwards (~1 s at scale 1). Sums are exact, in 1/10000ths.
type serviceTotals struct {
	envServices map[string][]string // environment -> services that have it
	resEnvs     map[string][]string // resource -> environments that contain it
	resServices map[string][]string // resource -> distinct services, once the relations are in
	sums        map[serviceDay]int64
}

type serviceDay struct{ service, date string }

func newServiceTotals() *serviceTotals {
	return &serviceTotals{envServices: map[string][]string{}, resEnvs: map[string][]string{},
		sums: map[serviceDay]int64{}}
}

// relation notes an imported relation that joins services to resources.
func (t *serviceTotals) relation(source, target, label string) {
	switch label {
	case "has_environment":
		t.envServices[target] = append(t.envServices[target], source)
	case "contains":
		t.resEnvs[target] = append(t.resEnvs[target], source)
	}
}

// cost adds a cost row, of cost 1/10000ths, to the days of its resource's
// services.
func (t *serviceTotals) cost(c cartograph.Cost, cost int64) {
	if c.Operation != cartograph.TotalOperation {
		return
	}
	if t.resServices == nil {
		t.resolve()
	}
	for _, s := range t.resServices[c.ResourceID] {
		t.sums[serviceDay{s, c.Date}] += cost
	}
}

// reset forgets the costs summed so far (not the relations).
func (t *serviceTotals) reset() {
	t.sums = map[serviceDay]int64{}
}

// resolve maps each resource to the distinct services that reach it.
func (t *serviceTotals) resolve() {
	t.resServices = make(map[string][]string, len(t.resEnvs))
	for res, envs := range t.resEnvs {
		var services []string
		for _, e := range envs {
			for _, s := range t.envServices[e] {
				if !slices.Contains(services, s) {
					services = append(services, s)
				}
			}
		}
		t.resServices[res] = services
	}
}

// copyTo writes the sums into service_costs and returns how many services
// they cover.
func (t *serviceTotals) copyTo(ctx context.Context, conn bun.Conn, org string) (int, error) {
	keys := slices.Collect(maps.Keys(t.sums))
	services := map[string]bool{}
	err := copyBinary(ctx, conn, nil, "service_costs", []string{"org_id", "service_id", "date", "cost"}, func(b *binaryCopy) (bool, error) {
		if len(keys) == 0 {
			return false, nil
		}
		k := keys[0]
		keys = keys[1:]
		date, err := cartograph.ParseDate(k.date)
		if err != nil {
			return false, err
		}
		b.row(4)
		b.text(org)
		if err := b.uuid(k.service); err != nil {
			return false, err
		}
		b.date(date)
		b.numeric4(t.sums[k])
		services[k.service] = true
		return true, nil
	})
	return len(services), err
}
