package rest

import (
	"encoding/json"
	"net/http"
	"strconv"

	"cartograph/cartograph"
	"cartograph/db"
)

// relationJSON is CatalogRelationDto (serviceId added when set).
func relationJSON(r *cartograph.Relation) map[string]any {
	out := map[string]any{"sourceEntityId": r.SourceID, "targetEntityId": r.TargetID, "label": r.Label, "field": r.Field}
	if r.ServiceID != "" {
		out["serviceId"] = r.ServiceID
	}
	return out
}

// relationBody reads Create/DeleteCatalogRelationDto fields.
type relationBody struct {
	SourceEntityID *string `json:"sourceEntityId"`
	TargetEntityID *string `json:"targetEntityId"`
	Label          *string `json:"label"`
	Field          *string `json:"field"`
	ServiceID      *string `json:"serviceId"`
}

func parseRelationBody(r *http.Request, needLabel bool) (*relationBody, error) {
	fields, err := decodeObject(r)
	if err != nil {
		return nil, err
	}
	var p cartograph.Problems
	var b relationBody
	for name, dst := range map[string]**string{"sourceEntityId": &b.SourceEntityID, "targetEntityId": &b.TargetEntityID,
		"label": &b.Label, "field": &b.Field, "serviceId": &b.ServiceID} {
		raw, ok := present(fields, name)
		if !ok {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			p.Add(name, "%s must be a string", name)
			continue
		}
		*dst = &s
	}
	if b.SourceEntityID == nil {
		p.Add("sourceEntityId", "sourceEntityId should not be empty")
	}
	if b.TargetEntityID == nil {
		p.Add("targetEntityId", "targetEntityId should not be empty")
	}
	if needLabel && b.Label == nil && (b.Field == nil || *b.Field == "") {
		p.Add("label", "label should not be empty unless field names a custom relation")
	}
	if b.Label != nil && !cartograph.KnownLabel(*b.Label) {
		p.Add("label", "label must be one of the following values: %s", joinComma(cartograph.RelationLabels))
	}
	return &b, p.Err()
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func (h *catalogHandler) createRelation(w http.ResponseWriter, r *http.Request) {
	b, err := parseRelationBody(r, true)
	if err == nil {
		var rel *cartograph.Relation
		rel, err = h.store.Relations.Create(r.Context(), cartograph.Relation{SourceID: str(b.SourceEntityID),
			TargetID: str(b.TargetEntityID), Label: str(b.Label), Field: str(b.Field), ServiceID: str(b.ServiceID)})
		if err == nil {
			writeJSON(w, http.StatusCreated, relationJSON(rel))
			return
		}
	}
	WriteCatalogError(w, r, err)
}

func (h *catalogHandler) deleteRelation(w http.ResponseWriter, r *http.Request) {
	b, err := parseRelationBody(r, false)
	if err == nil {
		_, err = h.store.Relations.Delete(r.Context(), db.RelationKey{SourceID: str(b.SourceEntityID),
			TargetID: str(b.TargetEntityID), Label: b.Label, Field: str(b.Field), ServiceID: str(b.ServiceID)})
		if err == nil {
			writeJSON(w, http.StatusOK, map[string]any{})
			return
		}
	}
	WriteCatalogError(w, r, err)
}

// listRelations serves GET /public/v1/catalog/relations: sourceId/targetId
// (or sourceEntityId/targetEntityId), label, pageNumber, pageSize.
func (h *catalogHandler) listRelations(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	first := func(names ...string) string {
		for _, n := range names {
			if v := q.Get(n); v != "" {
				return v
			}
		}
		return ""
	}
	var p cartograph.Problems
	size, page := 20, 0
	for name, dst := range map[string]*int{"pageSize": &size, "pageNumber": &page} {
		if v := q.Get(name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				p.Add(name, "%s must be a number conforming to the specified constraints", name)
			}
			*dst = n
		}
	}
	if size < 1 || size > cartograph.MaxPageSize {
		p.Add("pageSize", "pageSize must be between 1 and %d", cartograph.MaxPageSize)
	}
	if page < 0 {
		p.Add("pageNumber", "pageNumber must not be less than 0")
	}
	if err := p.Err(); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	rels, total, err := h.store.Relations.List(r.Context(), db.RelationFilter{
		SourceID: first("sourceId", "sourceEntityId"), TargetID: first("targetId", "targetEntityId"), Label: q.Get("label"),
	}, cartograph.Page{Limit: size, Offset: page * size})
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	items := make([]map[string]any, len(rels))
	for i, rel := range rels {
		items[i] = relationJSON(rel)
	}
	writeJSON(w, http.StatusOK, map[string]any{"totalFound": total, "pageNumber": page, "pageSize": size, "items": items})
}
