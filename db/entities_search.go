package db

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/uptrace/bun"

	"cartograph/cartograph"
)

// Search returns a page of the org's entities matching q, and the number of
// matches before paging when q.Count is set: counted in the page's statement
// when CountsInPage(q), else in a second one. It returns Invalid for an
// unknown type, filter field or sort property.
func (s *Entities) Search(ctx context.Context, q cartograph.EntityQuery) ([]*cartograph.Entity, int, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, 0, err
	}
	col, _, err := sortColumn(q.Sort.Property, singleType(q), nil)
	if err != nil {
		return nil, 0, &cartograph.Error{Code: cartograph.Invalid, Field: "sort.property",
			Message: "sort.property must be one of the following values: " + strings.Join(cartograph.SortableProperties, ", ")}
	}
	dir := "ASC"
	if q.Sort.Descending {
		dir = "DESC"
	}
	sel, counted, err := s.pageSelect(a.OrgID, q, entityColumns("e", q.Parts), col+" "+dir, "e.id "+dir)
	if err != nil {
		return nil, 0, err
	}
	var lead []any
	var found int64
	if counted {
		lead = []any{&found}
	}
	out := make([]*cartograph.Entity, 0, min(q.Page.Limit, 1000))
	err = s.rows.selectRows(ctx, sel, func(rows pgx.Rows) error {
		return scanEntities(rows, lead, func(e *cartograph.Entity) { out = append(out, e) })
	})
	if err != nil {
		return nil, 0, wrap(err)
	}
	if !q.Count {
		return out, 0, nil
	}
	total, err := pageTotal(counted, found, len(out), q.Page, func() (int, error) { return s.Count(ctx, q) })
	return out, total, err
}

// CountsInPage reports whether a page of q can count its matches in its own
// statement (pageSelect): when its conditions follow relations, so that a
// separate count would test every candidate's relations again, and when it
// has no conditions at all, so that the per-type counts answer beside the
// page rather than in a round trip of their own.
func CountsInPage(q cartograph.EntityQuery) bool {
	lazy, _ := relationFilters(q.Filters)
	return len(lazy) > 0 || unfiltered(q)
}

// unfiltered reports whether q asks for every entity of its types, whose
// total the per-type counts give (countByType).
func unfiltered(q cartograph.EntityQuery) bool {
	return len(q.Filters) == 0 && strings.TrimSpace(q.SearchTerms) == ""
}

// pageTotal returns the total of a page whose statement counted its
// matches (found, on every row), or count's when it did not, or when it
// has no row to carry the total (a page past the last match, or of no
// rows at all).
func pageTotal(counted bool, found int64, rows int, page cartograph.Page, count func() (int, error)) (int, error) {
	if counted && (rows > 0 || page.Offset == 0 && page.Limit > 0) {
		return int(found), nil
	}
	return count()
}

// countedColumn leads a counted page's columns: a window count sees every
// row that passes the conditions before LIMIT picks the page, so a page of
// matches and their total cost one pass over the candidates.
const countedColumn = "count(*) OVER () AS total_found, "

// pageSelect selects columns of the page of the org's entities that match
// q, in the order given (over alias e). When q.Count is set and
// CountsInPage(q), each row leads with the total, total_found, and counted
// says so: a page with relation conditions counts its matches as it tests
// them (countedColumn), since a separate count would test every
// candidate's relations again; an unfiltered page reads the per-type
// counts in a subquery.
func (s *Entities) pageSelect(org string, q cartograph.EntityQuery, columns string, orderBy ...string) (sel *bun.SelectQuery, counted bool, err error) {
	order := func(sel *bun.SelectQuery) *bun.SelectQuery {
		for _, o := range orderBy {
			sel.OrderExpr(o)
		}
		return sel
	}
	sel = s.db.NewSelect()
	count := q.Count && CountsInPage(q)
	lazy, eager := relationFilters(q.Filters)
	if len(lazy) == 0 {
		if count {
			// Unfiltered: the per-type counts, read beside the page rather
			// than in a statement of their own.
			counts, err := s.typeCounts(org, q.Types)
			if err != nil {
				return nil, false, err
			}
			sel.ColumnExpr("(?) AS total_found, "+columns, counts)
		} else {
			sel.ColumnExpr(columns)
		}
		sel.TableExpr("entities AS e").Where("e.org_id = ?", org)
		if err := whereQuery(sel, q); err != nil {
			return nil, false, err
		}
		return order(sel).Apply(paged(q.Page)), count, nil
	}
	// Relation conditions cost a subquery per candidate, so they are
	// tested on the candidates in page order and only until the page is
	// full. The other conditions pick and sort the candidates (with
	// their indexes); OFFSET 0 keeps the planner from merging the two,
	// which it did, testing the relations on every candidate first.
	for _, f := range q.Filters {
		// Compiled in parts below, each filter is held to the limit whole.
		if err := checkFilterSize(f); err != nil {
			return nil, false, err
		}
	}
	inner := s.db.NewSelect().TableExpr("entities AS e").ColumnExpr("e.*").Where("e.org_id = ?", org)
	eq := q
	eq.Filters = eager
	if err := whereQuery(inner, eq); err != nil {
		return nil, false, err
	}
	if count {
		// Every candidate is tested to be counted, so sorting them all
		// first would buy nothing: the page is the top of the matches.
		sel.ColumnExpr(countedColumn + columns)
	} else {
		sel.ColumnExpr(columns)
		inner = order(inner)
	}
	sel.TableExpr("(? OFFSET 0) AS e", inner)
	if err := whereFilters(sel, lazy, singleType(q)); err != nil {
		return nil, false, err
	}
	return order(sel).Apply(paged(q.Page)), count, nil
}

// whereQuery adds q's conditions (types, filters, search terms) to sel.
func whereQuery(sel *bun.SelectQuery, q cartograph.EntityQuery) error {
	types, err := typeNames(q.Types)
	if err != nil {
		return err
	}
	if len(types) > 0 {
		if len(types) == 1 {
			sel.Where("e.type = ?", types[0]) // lets the planner use (org_id, type, name)
		} else {
			sel.Where("e.type = ANY(?)", pgArray(types))
		}
	}
	if err := whereFilters(sel, q.Filters, singleType(q)); err != nil {
		return err
	}
	if t := strings.TrimSpace(q.SearchTerms); t != "" {
		// Both sides lower-cased, so the trigram indexes on lower(name) and
		// search_text serve the match.
		pattern := "%" + escapeLike(strings.ToLower(t)) + "%"
		if q.NameOnly {
			sel.Where("lower(e.name) LIKE ?", pattern)
		} else {
			sel.Where("e.search_text LIKE ?", pattern)
		}
	}
	return nil
}

// whereFilters adds each filter to sel as a condition on alias e.
func whereFilters(sel *bun.SelectQuery, filters []cartograph.Filter, typ cartograph.EntityType) error {
	for _, f := range filters {
		sql, args, err := compileEntityFilter(f, typ, nil)
		if err != nil {
			return err
		}
		sel.Where(sql, args...)
	}
	return nil
}

// relationFilters splits filters, and the conditions of their top-level
// ands, into those that follow a relation somewhere (some, every, none) and
// the rest.
func relationFilters(filters []cartograph.Filter) (lazy, eager []cartograph.Filter) {
	for _, f := range filters {
		switch {
		case f.Op == cartograph.OpAnd:
			l, e := relationFilters(f.Children)
			lazy, eager = append(lazy, l...), append(eager, e...)
		case followsRelation(f):
			lazy = append(lazy, f)
		default:
			eager = append(eager, f)
		}
	}
	return lazy, eager
}

func followsRelation(f cartograph.Filter) bool {
	if f.Op == cartograph.OpSome || f.Op == cartograph.OpEvery || f.Op == cartograph.OpNone {
		return true
	}
	return slices.ContainsFunc(f.Children, followsRelation)
}

// singleType is the query's entity type when it names exactly one, else "":
// type fields and relation conditions need it.
func singleType(q cartograph.EntityQuery) cartograph.EntityType {
	if len(q.Types) == 1 {
		return q.Types[0]
	}
	return ""
}

func typeList() string {
	s := make([]string, len(cartograph.EntityTypes))
	for i, t := range cartograph.EntityTypes {
		s[i] = string(t)
	}
	return strings.Join(s, ", ")
}

// typeNames checks a query's types and returns them as column values.
func typeNames(ts []cartograph.EntityType) ([]string, error) {
	out := make([]string, len(ts))
	for i, t := range ts {
		if !t.Valid() {
			return nil, &cartograph.Error{Code: cartograph.Invalid, Field: "types",
				Message: fmt.Sprintf("each value in types must be one of the following values: %s", typeList())}
		}
		out[i] = string(t)
	}
	return out, nil
}

// escapeLike makes s match literally inside a LIKE pattern.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Parents returns, for each entity id, the relations that make another
// entity its parent: child_of from it, and contains into it (with the
// service id as secondaryId).
func (s *Entities) Parents(ctx context.Context, ids []string) (map[string][]cartograph.Parent, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	out := map[string][]cartograph.Parent{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		Child       string  `bun:"child"`
		Parent      string  `bun:"parent"`
		Label       string  `bun:"label"`
		Field       string  `bun:"field"`
		SecondaryID *string `bun:"service_id"`
	}
	err = s.db.NewRaw(`SELECT source_id AS child, target_id AS parent, label, field, service_id FROM relations
			WHERE org_id = ? AND source_id = ANY(?::uuid[]) AND label = 'child_of'
		UNION ALL
		SELECT target_id, source_id, label, field, service_id FROM relations
			WHERE org_id = ? AND target_id = ANY(?::uuid[]) AND label = 'contains'
		ORDER BY 1, 2`, a.OrgID, pgArray(ids), a.OrgID, pgArray(ids)).Scan(ctx, &rows)
	if err != nil {
		return nil, wrap(err)
	}
	for _, r := range rows {
		p := cartograph.Parent{ID: r.Parent, Label: r.Label, Field: r.Field}
		if r.SecondaryID != nil {
			p.SecondaryID = *r.SecondaryID
		}
		out[r.Child] = append(out[r.Child], p)
	}
	return out, nil
}

// Count returns how many of the org's entities match q (paging ignored).
func (s *Entities) Count(ctx context.Context, q cartograph.EntityQuery) (int, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return 0, err
	}
	if len(q.Filters) == 0 && strings.TrimSpace(q.SearchTerms) == "" {
		return s.countByType(ctx, a.OrgID, q.Types)
	}
	count := s.db.NewSelect().Model((*entityRow)(nil)).Where("e.org_id = ?", a.OrgID)
	if err := whereQuery(count, q); err != nil {
		return 0, err
	}
	n, err := count.Count(ctx)
	return int(n), wrap(err)
}

// countByType returns how many entities the org has of those types (all
// types when none), from the counts the entity triggers keep (migration 11).
func (s *Entities) countByType(ctx context.Context, org string, ts []cartograph.EntityType) (int, error) {
	sel, err := s.typeCounts(org, ts)
	if err != nil {
		return 0, err
	}
	var n int
	err = sel.Scan(ctx, &n)
	return n, wrap(err)
}

// typeCounts selects the org's number of entities of those types.
func (s *Entities) typeCounts(org string, ts []cartograph.EntityType) (*bun.SelectQuery, error) {
	types, err := typeNames(ts)
	if err != nil {
		return nil, err
	}
	// sum(bigint) is numeric, which pgx scans into an int through
	// math/big: on every row of a counted page, ~6 % of a REST page's
	// server CPU. The cast makes it a plain int8.
	sel := s.db.NewSelect().TableExpr("entity_counts").ColumnExpr("coalesce(sum(n), 0)::bigint").Where("org_id = ?", org)
	if len(types) > 0 {
		sel.Where("type = ANY(?)", pgArray(types))
	}
	return sel, nil
}

// ByIDs returns the org's entities with those ids; others are absent.
func (s *Entities) ByIDs(ctx context.Context, ids []string) (map[string]*cartograph.Entity, error) {
	a, err := cartograph.CanRead(ctx)
	if err != nil {
		return nil, err
	}
	var rows []entityRow
	if err := s.db.NewSelect().Model(&rows).Where("e.org_id = ? AND e.id = ANY(?::uuid[])", a.OrgID, pgArray(ids)).Scan(ctx); err != nil {
		return nil, wrap(err)
	}
	return entitiesByID(rows), nil
}

// entitiesByID maps rows to entities by id.
func entitiesByID(rows []entityRow) map[string]*cartograph.Entity {
	out := make(map[string]*cartograph.Entity, len(rows))
	for i := range rows {
		out[rows[i].ID] = rows[i].entity()
	}
	return out
}
