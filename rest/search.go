package rest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"cartograph/cartograph"
)

// searchRequest is the CatalogEntityQueryDto after validation.
type searchRequest struct {
	query   cartograph.EntityQuery
	include []string // nil: every property
}

// parseSearch validates a CatalogEntityQueryDto body (GET: its query string
// as the same fields) and lists every problem.
func parseSearch(r *http.Request) (*searchRequest, error) {
	fields := map[string]json.RawMessage{}
	if r.Method == http.MethodPost {
		var err error
		if fields, err = decodeObject(r); err != nil {
			return nil, err
		}
	} else {
		for _, name := range []string{"pageNumber", "pageSize"} {
			if v := r.URL.Query().Get(name); v != "" {
				fields[name] = json.RawMessage(strconv.Quote(v))
				if _, err := strconv.Atoi(v); err == nil {
					fields[name] = json.RawMessage(v)
				}
			}
		}
		if v := r.URL.Query().Get("searchTerms"); v != "" {
			fields["searchTerms"], _ = json.Marshal(v)
		}
	}
	var p cartograph.Problems
	req := &searchRequest{query: cartograph.EntityQuery{Page: cartograph.Page{Limit: 20}, Count: true}}
	q := &req.query

	page := number(&p, fields, "pageNumber", 0)
	size := number(&p, fields, "pageSize", 20)
	switch {
	case size < 1:
		p.Add("pageSize", "pageSize must not be less than 1")
	case size > cartograph.MaxPageSize:
		p.Add("pageSize", "pageSize must not be greater than %d", cartograph.MaxPageSize)
	}
	if page < 0 {
		p.Add("pageNumber", "pageNumber must not be less than 0")
	}
	q.Page = cartograph.Page{Limit: size, Offset: page * size}

	if raw, ok := present(fields, "types"); ok {
		var types []string
		if json.Unmarshal(raw, &types) != nil {
			p.Add("types", "types must be an array of strings")
		}
		for _, t := range types {
			if !cartograph.EntityType(t).Valid() {
				p.Add("types", "each value in types must be one of the following values: %s", joinComma(typeNames()))
				break
			}
			q.Types = append(q.Types, cartograph.EntityType(t))
		}
	}
	if raw, ok := present(fields, "searchTerms"); ok && json.Unmarshal(raw, &q.SearchTerms) != nil {
		p.Add("searchTerms", "searchTerms must be a string")
	}
	if raw, ok := present(fields, "searchOnlyByName"); ok && json.Unmarshal(raw, &q.NameOnly) != nil {
		p.Add("searchOnlyByName", "searchOnlyByName must be a boolean value")
	}
	req.include = includeProperties(&p, fields)
	q.Parts, _ = includeParts(q.Types, req.include)
	if raw, ok := present(fields, "sort"); ok {
		var sort struct {
			Property *string `json:"property"`
			Order    *string `json:"order"`
		}
		switch {
		case json.Unmarshal(raw, &sort) != nil:
			p.Add("sort", "sort must be an object")
		case sort.Property == nil || !slices.Contains(cartograph.SortableProperties, *sort.Property):
			p.Add("sort.property", "sort.property must be one of the following values: %s", joinComma(cartograph.SortableProperties))
		case sort.Order != nil && *sort.Order != "ASC" && *sort.Order != "DESC":
			p.Add("sort.order", "sort.order must be one of the following values: ASC, DESC")
		default:
			q.Sort = cartograph.EntitySort{Property: *sort.Property, Descending: sort.Order != nil && *sort.Order == "DESC"}
		}
	}
	if raw, ok := present(fields, "propertyFilters"); ok {
		var items []json.RawMessage
		if json.Unmarshal(raw, &items) != nil {
			p.Add("propertyFilters", "propertyFilters must be an array")
		}
		for i, it := range items {
			if f, ok := propertyFilter(&p, fmt.Sprintf("propertyFilters.%d", i), it, 0); ok {
				q.Filters = append(q.Filters, f)
			}
		}
	}
	return req, p.Err()
}

// includeProperties reads the includeProperties of a search or
// query-builder body: nil when absent (every property), else the names to
// write besides id and type. Names no entity has are ignored, as
// Configure8 does.
func includeProperties(p *cartograph.Problems, fields map[string]json.RawMessage) []string {
	raw, ok := present(fields, "includeProperties")
	if !ok {
		return nil
	}
	include := []string{}
	if json.Unmarshal(raw, &include) != nil {
		p.Add("includeProperties", "includeProperties must be an array of strings")
	}
	return include
}

// maxFilterDepth bounds COMPOUND nesting.
const maxFilterDepth = 5

// propertyFilter reads a SIMPLE or COMPOUND filter. Inner filters may leave
// out filterType: one with operand or propertyFilters is COMPOUND.
func propertyFilter(p *cartograph.Problems, at string, raw json.RawMessage, depth int) (cartograph.Filter, bool) {
	var f struct {
		FilterType      string            `json:"filterType"`
		Name            *string           `json:"name"`
		Value           json.RawMessage   `json:"value"`
		Operand         string            `json:"operand"`
		PropertyFilters []json.RawMessage `json:"propertyFilters"`
	}
	if json.Unmarshal(raw, &f) != nil {
		p.Add(at, "%s must be a SIMPLE or COMPOUND filter object", at)
		return cartograph.Filter{}, false
	}
	compound := f.FilterType == "COMPOUND" || f.FilterType == "" && (f.Operand != "" || f.PropertyFilters != nil)
	if f.FilterType != "" && f.FilterType != "SIMPLE" && f.FilterType != "COMPOUND" {
		p.Add(at+".filterType", "%s.filterType must be one of the following values: SIMPLE, COMPOUND", at)
		return cartograph.Filter{}, false
	}
	if compound {
		if depth >= maxFilterDepth {
			p.Add(at, "%s is nested deeper than %d levels", at, maxFilterDepth)
			return cartograph.Filter{}, false
		}
		op := cartograph.OpAnd
		switch f.Operand {
		case "AND":
		case "OR":
			op = cartograph.OpOr
		default:
			p.Add(at+".operand", "%s.operand must be one of the following values: AND, OR", at)
			return cartograph.Filter{}, false
		}
		out := cartograph.Filter{Op: op}
		for i, c := range f.PropertyFilters {
			if child, ok := propertyFilter(p, fmt.Sprintf("%s.propertyFilters.%d", at, i), c, depth+1); ok {
				out.Children = append(out.Children, child)
			}
		}
		return out, true
	}
	if f.Name == nil || !slices.Contains(cartograph.FilterableProperties, *f.Name) {
		p.Add(at+".name", "%s.name must be one of the following values: %s", at, joinComma(cartograph.FilterableProperties))
		return cartograph.Filter{}, false
	}
	var value any
	if len(f.Value) == 0 || json.Unmarshal(f.Value, &value) != nil || value == nil {
		p.Add(at+".value", "%s.value should not be empty", at)
		return cartograph.Filter{}, false
	}
	switch value.(type) {
	case string, float64, bool:
	default:
		p.Add(at+".value", "%s.value must be a string", at)
		return cartograph.Filter{}, false
	}
	if s, ok := value.(string); !ok {
		value = string(f.Value)
	} else {
		value = s
	}
	return cartograph.Filter{Op: cartograph.OpEq, Field: *f.Name, Value: value}, true
}

func present(fields map[string]json.RawMessage, name string) (json.RawMessage, bool) {
	raw, ok := fields[name]
	if !ok || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// number reads an integer field, with def when absent.
func number(p *cartograph.Problems, fields map[string]json.RawMessage, name string, def int) int {
	raw, ok := present(fields, name)
	if !ok {
		return def
	}
	var n float64
	if json.Unmarshal(raw, &n) != nil || n != float64(int(n)) {
		p.Add(name, "%s must be a number conforming to the specified constraints", name)
		return def
	}
	return int(n)
}

func (h *catalogHandler) searchEntities(w http.ResponseWriter, r *http.Request) {
	req, err := parseSearch(r)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	entities, total, err := h.store.Entities.Search(r.Context(), req.query)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	ids := make([]string, len(entities))
	for i, e := range entities {
		ids[i] = e.ID
	}
	var parents map[string][]cartograph.Parent
	if req.include == nil || slices.Contains(req.include, "parents") {
		if parents, err = h.store.Entities.Parents(r.Context(), ids); err != nil {
			WriteCatalogError(w, r, err)
			return
		}
	}
	page := req.query.Page
	writePage(w, len(entities), page.Offset/max(page.Limit, 1), page.Limit, total,
		func(b []byte, i int) []byte {
			e := entities[i]
			return appendEntity(b, &entityDTO{e: e, parents: parents[e.ID]}, req.include)
		})
}
