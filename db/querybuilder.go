package db

import (
	"context"
	"fmt"
	"time"

	"cartograph/cartograph"
)

// QueryBuilderQuery is a query-builder request (CONTRACT.md §4), validated.
type QueryBuilderQuery struct {
	Type     cartograph.EntityType // "" with Costs: the schema-cost rows
	Costs    bool                  // schema-cost
	Filter   *cartograph.Filter
	Sort     string // a column; "" for the default
	Desc     bool
	From, To string // dateRange, YYYY-MM-DD inclusive
	Page     cartograph.Page
}

// CostColumns are the computed cost columns of an item, exact decimals.
type CostColumns struct {
	Accrued, Prior, Change string
}

// QueryBuilderItem is one answer row: an entity (with cost columns where its
// schema has them), or a cost row for schema-cost.
type QueryBuilderItem struct {
	Entity *cartograph.Entity
	Costs  *CostColumns
	Cost   *cartograph.Cost
}

// costSources selects, for an entity type with cost columns, the resources
// whose TOTAL costs it accrues (placeholders: none; alias e).
var costSources = map[cartograph.EntityType]string{
	cartograph.Resource: `SELECT e.id AS res`,
	cartograph.Environment: `SELECT ct.target_id AS res FROM relations ct
		WHERE ct.org_id = e.org_id AND ct.source_id = e.id AND ct.label = 'contains'`,
	cartograph.Service: `SELECT ct.target_id AS res FROM relations h
		JOIN relations ct ON ct.org_id = h.org_id AND ct.source_id = h.target_id AND ct.label = 'contains'
		WHERE h.org_id = e.org_id AND h.source_id = e.id AND h.label = 'has_environment'`,
	cartograph.System:      groupSources("part_of"),
	cartograph.Application: groupSources("belongs_to"),
}

func groupSources(label string) string {
	return `SELECT ct.target_id AS res FROM relations p
		JOIN relations h ON h.org_id = p.org_id AND h.source_id = p.source_id AND h.label = 'has_environment'
		JOIN relations ct ON ct.org_id = h.org_id AND ct.source_id = h.target_id AND ct.label = 'contains'
		WHERE p.org_id = e.org_id AND p.target_id = e.id AND p.label = '` + label + `'`
}

// HasCostColumns reports whether the schema of t carries cost columns.
func HasCostColumns(t cartograph.EntityType) bool { _, ok := costSources[t]; return ok }

// queryCostColumns names the cost columns the filter and sort may use.
var queryCostColumns = map[string]string{
	"accruedCosts": "e.accrued_costs", "priorPeriodCosts": "e.prior_period_costs", "changeCosts": "e.change_costs",
}

// DefaultRange is the last 30 days, today included.
func DefaultRange(now time.Time) (string, string) {
	to := now.UTC()
	return to.AddDate(0, 0, -29).Format(time.DateOnly), to.Format(time.DateOnly)
}

// QueryBuilder answers a query-builder request with one statement for the
// page and one for the total: filters, sort and paging all in SQL.
func (s *Entities) QueryBuilder(ctx context.Context, q QueryBuilderQuery) ([]QueryBuilderItem, int, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	if err := ValidateRange(q.From, q.To); err != nil {
		return nil, 0, err
	}
	if q.Costs {
		return s.costRows(ctx, a.OrgID, q)
	}
	from, to := q.From, q.To
	f, _ := cartograph.ParseDate(from)
	t, _ := cartograph.ParseDate(to)
	days := int(t.Sub(f).Hours()/24) + 1
	priorFrom, priorTo := f.AddDate(0, 0, -days).Format(time.DateOnly), f.AddDate(0, 0, -1).Format(time.DateOnly)

	inner := `SELECT e.* FROM entities e WHERE e.org_id = ? AND e.type = ?`
	args := []any{a.OrgID, string(q.Type)}
	columns := map[string]string{}
	if src, ok := costSources[q.Type]; ok {
		sum := func() string {
			return `(SELECT coalesce(sum(c.cost), 0) FROM (` + src + `) leaf JOIN costs c ON c.org_id = e.org_id
				AND c.resource_id = leaf.res AND c.operation = 'TOTAL' AND c.date BETWEEN ?::date AND ?::date)`
		}
		inner = `SELECT e.*, ` + sum() + ` AS accrued_costs, ` + sum() + ` AS prior_period_costs
			FROM entities e WHERE e.org_id = ? AND e.type = ?`
		inner = `SELECT e.*, e.accrued_costs - e.prior_period_costs AS change_costs FROM (` + inner + `) e`
		args = []any{from, to, priorFrom, priorTo, a.OrgID, string(q.Type)}
		columns = queryCostColumns
	}
	where, whereArgs := "TRUE", []any(nil)
	if q.Filter != nil {
		if where, whereArgs, err = compileEntityFilter(*q.Filter, q.Type, columns); err != nil {
			return nil, 0, err
		}
	}
	order, err := sortColumn(q.Sort, q.Type, columns)
	if err != nil {
		return nil, 0, err
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	base := `FROM (` + inner + `) e WHERE ` + where
	allArgs := append(append([]any{}, args...), whereArgs...)
	var rows []struct {
		entityRow        `bun:",extend"`
		AccruedCosts     *string `bun:"accrued_costs"`
		PriorPeriodCosts *string `bun:"prior_period_costs"`
		ChangeCosts      *string `bun:"change_costs"`
	}
	sel := `SELECT e.* ` + base + fmt.Sprintf(` ORDER BY %s %s NULLS LAST, e.id %s`, order, dir, dir)
	if q.Page.Limit == 0 {
		sel += ` LIMIT 0`
	} else {
		sel += fmt.Sprintf(` LIMIT %d OFFSET %d`, q.Page.Limit, q.Page.Offset)
	}
	if err := s.db.NewRaw(sel, allArgs...).Scan(ctx, &rows); err != nil {
		return nil, 0, wrap(err)
	}
	var total int
	if err := s.db.NewRaw(`SELECT count(*) `+base, allArgs...).Scan(ctx, &total); err != nil {
		return nil, 0, wrap(err)
	}
	out := make([]QueryBuilderItem, len(rows))
	for i := range rows {
		out[i].Entity = rows[i].entity()
		if rows[i].AccruedCosts != nil {
			out[i].Costs = &CostColumns{Accrued: *rows[i].AccruedCosts, Prior: *rows[i].PriorPeriodCosts, Change: *rows[i].ChangeCosts}
		}
	}
	return out, total, nil
}

// sortColumn resolves a sort property (default name) to SQL over alias e.
func sortColumn(name string, typ cartograph.EntityType, costColumns map[string]string) (string, error) {
	if name == "" || name == "name" {
		return `e.name COLLATE "C"`, nil
	}
	col, kind, ok := entityField(costColumns)("e", typ, name)
	if !ok || kind == kindTags || kind == kindMetaTag || kind == kindJSONArray {
		return "", &cartograph.Error{Code: cartograph.Invalid, Field: "sort.property", Message: fmt.Sprintf("unknown sort column %q", name)}
	}
	return col, nil
}

// costFields resolves the columns of schema-cost rows (alias c).
func costFields(_ string, _ cartograph.EntityType, name string) (string, fieldKind, bool) {
	switch name {
	case "catalogResourceId":
		return "c.resource_id::text", kindText, true
	case "date":
		return "c.date::text", kindText, true
	case "operation":
		return "c.operation", kindText, true
	case "arn":
		return "c.arn", kindText, true
	case "cost":
		return "c.cost", kindNumber, true
	}
	return "", 0, false
}

// costRows answers schema-cost: cost rows of the org's resources in the range.
func (s *Entities) costRows(ctx context.Context, org string, q QueryBuilderQuery) ([]QueryBuilderItem, int, error) {
	where, whereArgs := "TRUE", []any(nil)
	if q.Filter != nil {
		if err := checkFilterSize(*q.Filter); err != nil {
			return nil, 0, err
		}
		c := &compiler{field: costFields}
		var err error
		if where, err = c.compile(*q.Filter, "c", "", 0); err != nil {
			return nil, 0, err
		}
		whereArgs = c.args
	}
	order := "c.date"
	if q.Sort != "" {
		col, _, ok := costFields("c", "", q.Sort)
		if !ok {
			return nil, 0, &cartograph.Error{Code: cartograph.Invalid, Field: "sort.property", Message: fmt.Sprintf("unknown sort column %q", q.Sort)}
		}
		order = col
	}
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	base := `FROM costs c WHERE c.org_id = ? AND c.date BETWEEN ?::date AND ?::date AND (` + where + `)`
	args := append([]any{org, q.From, q.To}, whereArgs...)
	var rows []struct {
		ResourceID string `bun:"resource_id"`
		Date       string `bun:"date"`
		Operation  string `bun:"operation"`
		Cost       string `bun:"cost"`
		ARN        string `bun:"arn"`
	}
	sel := `SELECT c.resource_id, to_char(c.date, 'YYYY-MM-DD') AS date, c.operation, c.cost::text AS cost, c.arn ` + base +
		fmt.Sprintf(` ORDER BY %s %s, c.resource_id, c.operation LIMIT %d OFFSET %d`, order, dir, max(q.Page.Limit, 0), q.Page.Offset)
	if err := s.db.NewRaw(sel, args...).Scan(ctx, &rows); err != nil {
		return nil, 0, wrap(err)
	}
	var total int
	if err := s.db.NewRaw(`SELECT count(*) `+base, args...).Scan(ctx, &total); err != nil {
		return nil, 0, wrap(err)
	}
	out := make([]QueryBuilderItem, len(rows))
	for i, r := range rows {
		out[i].Cost = &cartograph.Cost{ResourceID: r.ResourceID, Date: r.Date, Operation: r.Operation, Cost: r.Cost, ARN: r.ARN}
	}
	return out, total, nil
}
