package db

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

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
	// Parts are the parts of each entity read (0: all), for a request that
	// shows some properties only (includeProperties).
	Parts cartograph.EntityParts
	// SkipCosts leaves the cost columns out of the items, for a request
	// that shows none; a filter or sort on them still computes them.
	SkipCosts bool
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
// whose TOTAL costs it accrues (placeholders: none; alias e). Services read
// their daily totals instead (costDays).
var costSources = map[cartograph.EntityType]string{
	cartograph.Resource: `SELECT e.id AS res`,
	cartograph.Environment: `SELECT ct.target_id AS res FROM relations ct
		WHERE ct.org_id = e.org_id AND ct.source_id = e.id AND ct.label = 'contains'`,
	cartograph.System:      groupSources("part_of"),
	cartograph.Application: groupSources("belongs_to"),
}

func groupSources(label string) string {
	return `SELECT ct.target_id AS res FROM relations p
		JOIN relations h ON h.org_id = p.org_id AND h.source_id = p.source_id AND h.label = 'has_environment'
		JOIN relations ct ON ct.org_id = h.org_id AND ct.source_id = h.target_id AND ct.label = 'contains'
		WHERE p.org_id = e.org_id AND p.target_id = e.id AND p.label = '` + label + `'`
}

// costDays selects the TOTAL cost days (date, cost) an entity of type t
// accrues from, over [?, ?] (alias e; placeholders: from, to). A resource
// reached by several paths counts once, as in Costs.Rollups. A service's
// are its daily totals, kept by migration 9: ~60 rows instead of every
// cost row of its resources.
func costDays(t cartograph.EntityType) string {
	if t == cartograph.Service {
		return `SELECT c.date, c.cost FROM service_costs c
			WHERE c.org_id = e.org_id AND c.service_id = e.id AND c.date BETWEEN ?::date AND ?::date`
	}
	return `SELECT c.date, c.cost FROM (SELECT DISTINCT res FROM (` + costSources[t] + `) s) leaf
		JOIN costs c ON c.org_id = e.org_id AND c.resource_id = leaf.res AND c.operation = 'TOTAL'
			AND c.date BETWEEN ?::date AND ?::date`
}

// costColumnsSQL selects a row's cost columns, from the lateral sums k
// (costLateral), each through cast, and then e.*: scanEntities takes the
// costs as lead columns. A page that neither filters nor sorts on them
// reads them as numeric's own text (cast "::text"): pgx would decode each
// binary numeric through math/big and format it back (~18 KB and 4 % of
// the server's CPU for a REST page of 50), to the same digits but for
// zero (zeroAsZero). Filtering and sorting need the numbers (cast "").
func costColumnsSQL(cast string) string {
	return `k.accrued_costs` + cast + `, k.prior_period_costs` + cast +
		`, (k.accrued_costs - k.prior_period_costs)` + cast + ` AS change_costs, e.*`
}

// costLateral sums both periods of an entity e of type t in one pass, so
// each cost column is computed once per row (placeholders: from, prior
// to, prior from, to).
func costLateral(t cartograph.EntityType) string {
	return `CROSS JOIN LATERAL (
			SELECT coalesce(sum(d.cost) FILTER (WHERE d.date >= ?::date), 0) AS accrued_costs,
				coalesce(sum(d.cost) FILTER (WHERE d.date <= ?::date), 0) AS prior_period_costs
			FROM (` + costDays(t) + `) d) k`
}

// zeroAsZero writes a zero sum as "0", whatever its scale: numeric's text
// says "0.0000" where pgx's decoding said "0", and the answers stay as
// they were whichever of the two read the column.
func zeroAsZero(v string) string {
	if strings.Trim(v, "0.") == "" {
		return "0"
	}
	return v
}

// HasCostColumns reports whether the schema of t carries cost columns.
func HasCostColumns(t cartograph.EntityType) bool {
	_, ok := costSources[t]
	return ok || t == cartograph.Service
}

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
// page and one for the total: filters, sort and paging all in SQL. When the
// conditions follow relations, the page's statement counts the total too. Cost
// columns are summed for the page's rows only, unless the filter or the
// sort needs them for every candidate.
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

	columns, costArgs := map[string]string{}, []any(nil)
	if HasCostColumns(q.Type) {
		columns, costArgs = queryCostColumns, []any{from, priorTo, priorFrom, to}
	}
	order, sortPart, err := sortColumn(q.Sort, q.Type, columns)
	if err != nil {
		return nil, 0, err
	}
	withCostColumns := costArgs != nil && !q.SkipCosts // the items carry them
	// The rows carry their sort column, shown or not: a page whose cost
	// columns are summed over it is ordered again outside (below).
	parts := q.Parts
	if parts != 0 {
		parts |= sortPart
	}
	entityCols := entityColumns("e", parts)
	dir := "ASC"
	if q.Desc {
		dir = "DESC"
	}
	// Missing values sort last either way. NULLS LAST is written only
	// where a value may be missing: on a NOT NULL column it would keep a
	// descending sort from reading the index backwards (a 107 ms sort of
	// 10,000 services instead of 50 index entries).
	nulls := ""
	if sortPart == cartograph.PartAttrs { // a type's own field may be missing
		nulls = " NULLS LAST"
	}
	orderBy := fmt.Sprintf(`%s %s%s, e.id %s`, order, dir, nulls, dir)
	eq := cartograph.EntityQuery{Types: []cartograph.EntityType{q.Type}, Page: q.Page, Count: true} // totalFound
	if q.Filter != nil {
		eq.Filters = []cartograph.Filter{*q.Filter}
	}
	costFiltered := q.Filter != nil && testsColumns(*q.Filter, columns)
	_, costSorted := columns[q.Sort]
	var sel *bun.SelectQuery
	counted := false                      // the page's rows lead with the total (pageSelect)
	var withCosts func() *bun.SelectQuery // every candidate with its costs, to filter or sort on them
	if costFiltered || costSorted {
		where, whereArgs := "TRUE", []any(nil)
		if q.Filter != nil {
			if where, whereArgs, err = compileEntityFilter(*q.Filter, q.Type, columns); err != nil {
				return nil, 0, err
			}
		}
		outer := entityCols // over the subquery e, whose columns are named as entities'
		if withCostColumns {
			outer = "e.accrued_costs, e.prior_period_costs, e.change_costs, " + outer
		}
		withCosts = func() *bun.SelectQuery {
			return s.db.NewSelect().ColumnExpr(outer).
				TableExpr(`(SELECT `+costColumnsSQL("")+` FROM entities e `+costLateral(q.Type)+`
					WHERE e.org_id = ? AND e.type = ?) AS e`, slices.Concat(costArgs, []any{a.OrgID, string(q.Type)})...).
				Where(where, whereArgs...)
		}
		sel = withCosts().OrderExpr(orderBy).Apply(paged(q.Page))
	} else {
		// The page as Search finds it (relation conditions tested lazily,
		// in page order, unless the page counts its matches), then the
		// costs of its rows alone.
		if sel, counted, err = s.pageSelect(a.OrgID, eq, entityCols, orderBy); err != nil {
			return nil, 0, err
		}
		if withCostColumns {
			sel = s.db.NewSelect().ColumnExpr(costColumnsSQL("::text")).TableExpr("(?) AS e", sel).
				Join(costLateral(q.Type), costArgs...).OrderExpr(orderBy)
		}
	}
	var lead []any
	var c CostColumns
	var found int64
	if withCostColumns {
		lead = []any{&c.Accrued, &c.Prior, &c.Change}
	}
	if counted {
		lead = append(lead, &found) // the cost columns come first, then e.*
	}
	out := make([]QueryBuilderItem, 0, q.Page.Limit)
	err = s.rows.selectRows(ctx, sel, func(rows pgx.Rows) error {
		return scanEntities(rows, lead, func(e *cartograph.Entity) {
			it := QueryBuilderItem{Entity: e}
			if withCostColumns {
				costs := CostColumns{zeroAsZero(c.Accrued), zeroAsZero(c.Prior), zeroAsZero(c.Change)}
				it.Costs = &costs
			}
			out = append(out, it)
		})
	})
	if err != nil {
		return nil, 0, wrap(err)
	}
	var total int
	if costFiltered {
		var n int64
		n, err = withCosts().Count(ctx)
		total = int(n)
	} else {
		total, err = pageTotal(counted, found, len(out), q.Page, func() (int, error) { return s.Count(ctx, eq) })
	}
	if err != nil {
		return nil, 0, wrap(err)
	}
	return out, total, nil
}

// testsColumns reports whether f compares one of columns of its own
// entities (a relation quantifier's conditions are about other entities).
func testsColumns(f cartograph.Filter, columns map[string]string) bool {
	switch f.Op {
	case cartograph.OpAnd, cartograph.OpOr, cartograph.OpNot:
		return slices.ContainsFunc(f.Children, func(c cartograph.Filter) bool { return testsColumns(c, columns) })
	case cartograph.OpSome, cartograph.OpEvery, cartograph.OpNone:
		return false
	}
	_, ok := columns[f.Field]
	return ok
}

// sortColumn resolves a sort property (default name) to SQL over alias e,
// and the part of an entity it reads (0 for a cost column). Every column
// is NOT NULL, but a type's own field (PartAttrs) may be missing.
func sortColumn(name string, typ cartograph.EntityType, costColumns map[string]string) (string, cartograph.EntityParts, error) {
	if name == "" || name == "name" {
		return `e.name COLLATE "C"`, cartograph.PartCore, nil
	}
	col, kind, ok := entityField(costColumns)("e", typ, name)
	if !ok || kind == kindTags || kind == kindMetaTag || kind == kindJSONArray {
		return "", 0, &cartograph.Error{Code: cartograph.Invalid, Field: "sort.property", Message: fmt.Sprintf("unknown sort column %q", name)}
	}
	if strings.HasPrefix(col, "(e.attrs") {
		return col, cartograph.PartAttrs, nil
	}
	column, _, _ := strings.Cut(strings.TrimPrefix(col, "e."), "::") // e.id::text
	part, _ := ColumnPart(column)
	return col, part, nil
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
