package db

import (
	"context"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
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
	exact       bool // every cost was summed: false sends the import to the SQL refresh
}

type serviceDay struct{ service, date string }

func newServiceTotals() *serviceTotals {
	return &serviceTotals{envServices: map[string][]string{}, resEnvs: map[string][]string{},
		sums: map[serviceDay]int64{}, exact: true}
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

// cost adds a cost row to the days of its resource's services.
func (t *serviceTotals) cost(c cartograph.Cost) {
	if c.Operation != cartograph.TotalOperation || !t.exact {
		return
	}
	if t.resServices == nil {
		t.resolve()
	}
	services := t.resServices[c.ResourceID]
	if len(services) == 0 {
		return
	}
	v, err := strconv.ParseInt(strings.Replace(c.Cost, ".", "", 1), 10, 64)
	if err != nil || !strings.Contains(c.Cost, ".") || len(c.Cost)-strings.Index(c.Cost, ".") != 5 {
		t.exact = false // not 4 decimal places: leave it to SQL
		return
	}
	for _, s := range services {
		t.sums[serviceDay{s, c.Date}] += v
	}
}

// resolve maps each resource to the distinct services that reach it.
func (t *serviceTotals) resolve() {
	t.resServices = make(map[string][]string, len(t.resEnvs))
	for res, envs := range t.resEnvs {
		var services []string
		for _, e := range envs {
			for _, s := range t.envServices[e] {
				if !contains(services, s) {
					services = append(services, s)
				}
			}
		}
		t.resServices[res] = services
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// copyTo writes the sums into service_costs and returns how many services
// they cover.
func (t *serviceTotals) copyTo(ctx context.Context, conn bun.Conn, org string) (int, error) {
	rows := make([][]any, 0, len(t.sums))
	services := map[string]bool{}
	for k, v := range t.sums {
		var id pgtype.UUID
		if err := id.Scan(k.service); err != nil {
			return 0, err
		}
		date, err := time.Parse(time.DateOnly, k.date)
		if err != nil {
			return 0, err
		}
		rows = append(rows, []any{org, id, pgtype.Date{Time: date, Valid: true},
			pgtype.Numeric{Int: big.NewInt(v), Exp: -4, Valid: true}})
		services[k.service] = true
	}
	err := conn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{"service_costs"},
			[]string{"org_id", "service_id", "date", "cost"}, pgx.CopyFromRows(rows))
		return err
	})
	return len(services), err
}
