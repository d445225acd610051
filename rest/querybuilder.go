package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
)

// queryOperators are the operators the query builder takes (CONTRACT.md §4,
// plus contains and startsWith).
var queryOperators = []string{"eq", "ne", "in", "nin", "ilike", "gt", "gte", "lt", "lte", "exists", "contains", "startsWith",
	"some", "every", "none"}

// maxFilterNesting bounds and/or/not nesting of a query-builder filter.
const maxFilterNesting = 20

// parseQueryFilter reads {column, operator, value}, {and: [...]},
// {or: [...]} or {not: {...}}, nested. A dotted column walks relations
// ("environments.resources.provider": some environment has some resource
// whose provider matches); "metaTags.<name>" names a meta tag. The operators
// some, every and none take a relation column and a filter as value, so one
// related entity can be required to match several conditions at once
// ({column: "environments", operator: "some", value: {and: [...]}}).
func parseQueryFilter(raw json.RawMessage, nesting int) (cartograph.Filter, error) {
	bad := func(format string, args ...any) (cartograph.Filter, error) {
		return cartograph.Filter{}, &cartograph.Error{Code: cartograph.Invalid, Field: "filter", Message: "filter: " + fmt.Sprintf(format, args...)}
	}
	if nesting > maxFilterNesting {
		return bad("nested deeper than %d levels", maxFilterNesting)
	}
	var node map[string]json.RawMessage
	if json.Unmarshal(raw, &node) != nil || node == nil {
		return bad("each condition must be an object")
	}
	for _, op := range []string{"and", "or"} {
		if list, ok := node[op]; ok {
			var items []json.RawMessage
			if json.Unmarshal(list, &items) != nil {
				return bad("%s takes a list of conditions", op)
			}
			out := cartograph.Filter{Op: cartograph.FilterOp(op)}
			for _, it := range items {
				ch, err := parseQueryFilter(it, nesting+1)
				if err != nil {
					return ch, err
				}
				out.Children = append(out.Children, ch)
			}
			return out, nil
		}
	}
	if inner, ok := node["not"]; ok {
		ch, err := parseQueryFilter(inner, nesting+1)
		return cartograph.Filter{Op: cartograph.OpNot, Children: []cartograph.Filter{ch}}, err
	}
	var leaf struct {
		Column   *string `json:"column"`
		Operator *string `json:"operator"`
		Value    any     `json:"value"`
	}
	if json.Unmarshal(raw, &leaf) != nil || leaf.Column == nil || leaf.Operator == nil {
		return bad("a condition needs column and operator (or and, or, not)")
	}
	if !slices.Contains(queryOperators, *leaf.Operator) {
		return bad("unknown operator %q", *leaf.Operator)
	}
	segs := strings.Split(*leaf.Column, ".")
	var path []string
	field := ""
	for i, s := range segs {
		if s == "metaTags" && i < len(segs)-1 {
			field = "metaTags." + strings.Join(segs[i+1:], ".")
			break
		}
		if i == len(segs)-1 {
			field = s
			break
		}
		path = append(path, s)
	}
	if len(path) > cartograph.MaxFilterDepth {
		return bad("column %q walks more than %d relations", *leaf.Column, cartograph.MaxFilterDepth)
	}
	f := cartograph.Filter{Op: cartograph.FilterOp(*leaf.Operator), Field: field, Value: leaf.Value}
	if quantifier := f.Op; quantifier == cartograph.OpSome || quantifier == cartograph.OpEvery || quantifier == cartograph.OpNone {
		if field == "" || strings.HasPrefix(field, "metaTags.") {
			return bad("%s takes a relation column, not %q", quantifier, *leaf.Column)
		}
		inner, err := parseQueryFilter(node["value"], nesting+1)
		if err != nil {
			return inner, err
		}
		f = cartograph.Filter{Op: quantifier, Field: field, Children: []cartograph.Filter{inner}}
	}
	for i := len(path) - 1; i >= 0; i-- {
		f = cartograph.Filter{Op: cartograph.OpSome, Field: path[i], Children: []cartograph.Filter{f}}
	}
	return f, nil
}

func (h *catalogHandler) queryBuilder(w http.ResponseWriter, r *http.Request) {
	fields, err := decodeObject(r)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	var p cartograph.Problems
	q := db.QueryBuilderQuery{}
	var schema string
	if raw, ok := present(fields, "schemaIdentifier"); !ok || json.Unmarshal(raw, &schema) != nil {
		p.Add("schemaIdentifier", "schemaIdentifier should not be empty")
	} else if schema == "schema-cost" {
		q.Costs = true
	} else if t := cartograph.EntityType(strings.TrimPrefix(schema, "schema-")); strings.HasPrefix(schema, "schema-") && t.Valid() {
		q.Type = t
	} else {
		p.Add("schemaIdentifier", "unknown schema %q", schema)
	}
	page := number(&p, fields, "pageNumber", 0)
	size := number(&p, fields, "pageSize", 10)
	if size < 1 || size > cartograph.MaxPageSize {
		p.Add("pageSize", "pageSize must be between 1 and %d", cartograph.MaxPageSize)
	}
	if page < 0 {
		p.Add("pageNumber", "pageNumber must not be less than 0")
	}
	q.Page = cartograph.Page{Limit: size, Offset: page * size}
	q.From, q.To = db.DefaultRange(time.Now())
	if raw, ok := present(fields, "dateRange"); ok {
		var dr struct{ From, To string }
		if json.Unmarshal(raw, &dr) != nil {
			p.Add("dateRange", "dateRange must be {from, to}")
		}
		if dr.From != "" {
			q.From = dr.From
		}
		if dr.To != "" {
			q.To = dr.To
		}
	}
	if raw, ok := present(fields, "sort"); ok {
		var sort struct{ Property, Order string }
		if json.Unmarshal(raw, &sort) != nil || sort.Order != "" && sort.Order != "ASC" && sort.Order != "DESC" {
			p.Add("sort", "sort must be {property, order: ASC|DESC}")
		}
		q.Sort, q.Desc = sort.Property, sort.Order == "DESC"
	}
	if raw, ok := present(fields, "filter"); ok {
		f, err := parseQueryFilter(raw, 0)
		if err != nil {
			p.Add("filter", "%s", cartograph.AsError(err).Message)
		}
		q.Filter = &f
	}
	include := includeProperties(&p, fields)
	if q.Type != "" {
		var costs bool
		q.Parts, costs = includeParts([]cartograph.EntityType{q.Type}, include)
		q.SkipCosts = !costs
	}
	if err := p.Err(); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	items, total, err := h.store.Entities.QueryBuilder(r.Context(), q)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writePage(w, len(items), page, size, total, func(b []byte, i int) []byte {
		if it := items[i]; it.Cost != nil {
			return appendCostRow(b, it.Cost)
		}
		return appendEntity(b, &entityDTO{e: items[i].Entity, costs: items[i].Costs}, include)
	})
}
