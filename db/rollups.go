package db

import (
	"context"
	"fmt"
	"time"

	"cartograph/cartograph"
)

// leaves returns the SQL selecting (root, part, res) for roots of a type:
// the resources whose costs roll up into each root, and the child ("part")
// each is reported under; ok is false for types that have no costs.
func leaves(req CostRequest, org string, ids []string) (string, []any, bool) {
	arr := pgArray(ids)
	switch req.Type {
	case cartograph.Resource:
		return `SELECT r AS root, r AS part, r AS res FROM unnest(?::uuid[]) AS r`, []any{arr}, true
	case cartograph.Environment:
		return `SELECT c.source_id AS root, c.target_id AS part, c.target_id AS res FROM relations c
			WHERE c.org_id = ? AND c.source_id = ANY(?::uuid[]) AND c.label = 'contains'`, []any{org, arr}, true
	case cartograph.Service:
		if req.Dependencies {
			// Its own environments' resources (part: the environment) and those
			// of every service it transitively depends on (part: that service).
			// UNION makes cycles terminate.
			return `WITH RECURSIVE deps(root, svc) AS (
					SELECT id, id FROM unnest(?::uuid[]) AS id
					UNION
					SELECT d.root, r.target_id FROM deps d
					JOIN relations r ON r.org_id = ? AND r.source_id = d.svc AND r.label = 'depends_on')
				SELECT d.root, CASE WHEN d.svc = d.root THEN h.target_id ELSE d.svc END AS part, c.target_id AS res
				FROM deps d
				JOIN relations h ON h.org_id = ? AND h.source_id = d.svc AND h.label = 'has_environment'
				JOIN relations c ON c.org_id = h.org_id AND c.source_id = h.target_id AND c.label = 'contains'`,
				[]any{arr, org, org}, true
		}
		return `SELECT h.source_id AS root, h.target_id AS part, c.target_id AS res FROM relations h
			JOIN relations c ON c.org_id = h.org_id AND c.source_id = h.target_id AND c.label = 'contains'
			WHERE h.org_id = ? AND h.source_id = ANY(?::uuid[]) AND h.label = 'has_environment'`, []any{org, arr}, true
	case cartograph.System, cartograph.Application:
		// Their services (service -part_of/belongs_to-> root), each a part,
		// through the services' environments.
		label := map[cartograph.EntityType]string{cartograph.System: "part_of", cartograph.Application: "belongs_to"}[req.Type]
		return `SELECT p.target_id AS root, p.source_id AS part, c.target_id AS res FROM relations p
			JOIN relations h ON h.org_id = p.org_id AND h.source_id = p.source_id AND h.label = 'has_environment'
			JOIN relations c ON c.org_id = h.org_id AND c.source_id = h.target_id AND c.label = 'contains'
			WHERE p.org_id = ? AND p.target_id = ANY(?::uuid[]) AND p.label = ?`, []any{org, arr, label}, true
	}
	return "", nil, false
}

// CostRequest asks for the costs of entities of one type over [From, To].
type CostRequest struct {
	Type         cartograph.EntityType
	From, To     string // YYYY-MM-DD, both inclusive
	Dependencies bool   // services: include what they transitively depend on
	// TotalOnly asks for the total alone: Parts and Daily stay empty.
	// Grouping by root only costs half of the three groupings, and a
	// service's total is read from its daily totals (rollupQuery).
	TotalOnly bool
}

// Rollups sums TOTAL costs over the request's range for each root id, in one
// statement: the total, a breakdown by part and a series by day of every
// date of the range (a day without costs is zero). A resource counts once per
// root however many paths reach it. Sums are exact decimals with 4 places.
func (s *Costs) Rollups(ctx context.Context, req CostRequest, ids []string) (map[string]*cartograph.CostRollup, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	q, args, err := rollupQuery(req, a.OrgID, ids)
	if err != nil {
		return nil, err
	}
	var rows []struct {
		Root string  `bun:"root"`
		Part *string `bun:"part"`
		Date *string `bun:"date"`
		Sum  string  `bun:"sum"`
	}
	if err := s.db.NewRaw(q, args...).Scan(ctx, &rows); err != nil {
		return nil, wrap(err)
	}
	// The series' days, shared by every root's rollup, and each date's
	// place in it.
	var days []string
	var day map[string]int
	if !req.TotalOnly {
		days = cartograph.CostDays(req.From, req.To)
		day = make(map[string]int, len(days))
		for i, d := range days {
			day[d] = i
		}
	}
	out := make(map[string]*cartograph.CostRollup, len(ids))
	for _, id := range ids {
		out[id] = cartograph.NewCostRollup(days)
	}
	for _, r := range rows {
		c := out[r.Root]
		switch {
		case r.Part != nil:
			c.Parts = append(c.Parts, cartograph.CostPart{EntityID: *r.Part, Total: r.Sum})
		case r.Date != nil:
			if i, ok := day[*r.Date]; ok {
				c.Daily[i].Total = r.Sum
			}
		default:
			c.Total = r.Sum
		}
	}
	return out, nil
}

// rollupQuery is the statement behind Rollups: rows of (root, part, date,
// sum), where a row with neither part nor date is the root's total. A
// services' total alone is read from their daily totals, kept by migration
// 9's triggers (7 days of 20 services are 140 rows instead of every cost
// row of their resources); anything else sums the resources' costs.
func rollupQuery(req CostRequest, org string, ids []string) (string, []any, error) {
	if req.Type == cartograph.Service && req.TotalOnly && !req.Dependencies {
		return `SELECT service_id AS root, sum(cost)::numeric(20,4)::text AS sum FROM service_costs
			WHERE org_id = ? AND service_id = ANY(?::uuid[]) AND date BETWEEN ?::date AND ?::date GROUP BY service_id`,
			[]any{org, pgArray(ids), req.From, req.To}, nil
	}
	leafSQL, args, ok := leaves(req, org, ids)
	if !ok {
		return "", nil, cartograph.Errorf(cartograph.Invalid, "%s entities have no costs", req.Type)
	}
	sel, groups := `l.root, l.part, to_char(c.date, 'YYYY-MM-DD') AS date`, `GROUPING SETS ((l.root), (l.root, l.part), (l.root, c.date))`
	if req.TotalOnly {
		sel, groups = `l.root`, `l.root`
	}
	q := fmt.Sprintf(`WITH leaves AS (%s),
		l AS (SELECT DISTINCT ON (root, res) root, part, res FROM leaves ORDER BY root, res, part)
		SELECT %s, sum(c.cost)::numeric(20,4)::text AS sum
		FROM l JOIN costs c ON c.org_id = ? AND c.resource_id = l.res AND c.operation = 'TOTAL'
			AND c.date BETWEEN ?::date AND ?::date
		GROUP BY %s`, leafSQL, sel, groups)
	return q, append(args, org, req.From, req.To), nil
}

// ValidateRange checks a cost date range: valid dates, from <= to, at most
// ten years.
func ValidateRange(from, to string) error {
	f, err := cartograph.ParseDate(from)
	if err != nil {
		return &cartograph.Error{Code: cartograph.Invalid, Field: "from", Message: "from: " + err.Error()}
	}
	t, err := cartograph.ParseDate(to)
	if err != nil {
		return &cartograph.Error{Code: cartograph.Invalid, Field: "to", Message: "to: " + err.Error()}
	}
	if t.Before(f) {
		return &cartograph.Error{Code: cartograph.Invalid, Field: "to", Message: "to must not be before from"}
	}
	if t.Sub(f) > 3660*24*time.Hour {
		return &cartograph.Error{Code: cartograph.Invalid, Field: "to", Message: "a cost range spans at most ten years"}
	}
	return nil
}
