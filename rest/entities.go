package rest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
)

// catalogHandler serves the Configure8 catalog endpoints.
type catalogHandler struct {
	store *db.DB
}

// Catalog returns the Configure8-compatible API mounted at /public/v1/.
func Catalog(store *db.DB) http.Handler {
	h := &catalogHandler{store: store}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /public/v1/catalog/entities", h.searchEntities)
	mux.HandleFunc("GET /public/v1/catalog/entities", h.searchEntities)
	mux.HandleFunc("GET /public/v1/catalog/entities/{id}", h.getEntity)
	mux.HandleFunc("DELETE /public/v1/catalog/entities/{id}", h.deleteEntity)
	mux.HandleFunc("POST /public/v1/catalog/entities/{type}", h.createEntity)
	mux.HandleFunc("PATCH /public/v1/catalog/entities/{type}/{id}", h.updateEntity)
	mux.HandleFunc("GET /public/v1/catalog/metadata/{id}", h.getMetadata)
	mux.HandleFunc("PUT /public/v1/catalog/metadata/{id}", h.putMetadata)
	mux.HandleFunc("GET /public/v1/catalog/relations", h.listRelations)
	mux.HandleFunc("POST /public/v1/catalog/relations", h.createRelation)
	mux.HandleFunc("DELETE /public/v1/catalog/relations", h.deleteRelation)
	mux.HandleFunc("POST /public/v1/sync/services/diff", h.diffServices)
	mux.HandleFunc("POST /public/v1/sync/services", h.applyServices)
	mux.HandleFunc("POST /public/v1/catalog/batch/entities/{type}", h.upsertBatch)
	mux.HandleFunc("DELETE /public/v1/catalog/batch/entities", h.deleteBatch)
	mux.HandleFunc("POST /public/v1/query-builder", h.queryBuilder)
	mux.HandleFunc("POST /public/v1/costs/batch", h.upsertCosts)
	mux.HandleFunc("DELETE /public/v1/costs/batch", h.deleteCosts)
	mux.HandleFunc("GET /public/v1/templates", h.listTemplates)
	mux.HandleFunc("POST /public/v1/module-settings", h.createModuleSettings)
	mux.HandleFunc("GET /public/v1/module-settings", h.listModuleSettings)
	mux.HandleFunc("GET /public/v1/module-settings/{id}", h.getModuleSettings)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteCatalogError(w, r, cartograph.Errorf(cartograph.NotFound, "Cannot %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// decodeObject reads a JSON object body into its fields. Anything else is a
// 400 listing the problem.
func decodeObject(r *http.Request) (map[string]json.RawMessage, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body could not be read")
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 {
		return map[string]json.RawMessage{}, nil
	}
	var fields map[string]json.RawMessage
	if b[0] != '{' || json.Unmarshal(b, &fields) != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body must be a JSON object")
	}
	if cartograph.ContainsNUL(b) {
		return nil, cartograph.Errorf(cartograph.Invalid, "Strings must not contain NUL characters")
	}
	return fields, nil
}

// catalogTime formats timestamps as the Configure8 API does (JavaScript ISO).
func catalogTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// entityJSON renders an entity as its Configure8 DTO: the common fields, then
// the type's own (TypeFields), with [] for empty arrays.
func entityJSON(e *cartograph.Entity, parents []cartograph.Parent) map[string]any {
	if parents == nil {
		parents = []cartograph.Parent{}
	}
	out := map[string]any{
		"id": e.ID, "name": e.Name, "orgId": e.OrgID, "type": e.Type, "description": e.Description,
		"tags": e.Tags, "metaTags": e.MetaTags, "links": e.Links, "parents": parents,
		"createdBy": e.CreatedBy, "lastChangedBy": e.LastChangedBy,
		"createDateTime": catalogTime(e.CreatedAt), "lastChangedDateTime": catalogTime(e.UpdatedAt),
		"permissions": e.Permissions, "generalAccess": e.GeneralAccess, "origin": e.Origin,
	}
	for _, fd := range cartograph.TypeFields[e.Type] {
		if fd.Output {
			out[fd.Name] = fieldValue(e, fd)
		}
	}
	return out
}

// fieldValue returns a type-specific field for output, with the zero value of
// its kind when unset.
func fieldValue(e *cartograph.Entity, fd cartograph.FieldSpec) any {
	switch fd.Column {
	case "provider":
		return e.Provider
	case "provider_type":
		return e.ProviderType
	case "provider_resource_key":
		return e.ProviderResourceKey
	case "provider_resource_type":
		return e.ProviderResourceType
	case "provider_account_id":
		return e.ProviderAccountID
	case "location":
		return e.Location
	}
	if fd.Name == "packageName" {
		return e.Name
	}
	if raw, ok := e.Attrs[fd.Name]; ok {
		return raw
	}
	switch fd.Kind {
	case cartograph.KindStrings, cartograph.KindObjects, cartograph.KindUUIDs:
		return []any{}
	case cartograph.KindObject:
		return map[string]any{}
	case cartograph.KindBool:
		return false
	case cartograph.KindNumber:
		return 0
	}
	return ""
}

func (h *catalogHandler) entityResponse(r *http.Request, e *cartograph.Entity) (map[string]any, error) {
	parents, err := h.store.Entities.Parents(r.Context(), []string{e.ID})
	if err != nil {
		return nil, err
	}
	return entityJSON(e, parents[e.ID]), nil
}

func (h *catalogHandler) getEntity(w http.ResponseWriter, r *http.Request) {
	e, err := h.store.Entities.Get(r.Context(), r.PathValue("id"))
	if err == nil {
		var out map[string]any
		if out, err = h.entityResponse(r, e); err == nil {
			writeJSON(w, http.StatusOK, out)
			return
		}
	}
	WriteCatalogError(w, r, err)
}

func (h *catalogHandler) deleteEntity(w http.ResponseWriter, r *http.Request) {
	if err := h.store.Entities.Delete(r.Context(), r.PathValue("id")); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{})
}

// entityType reads the {type} path segment; an unknown type is not a route.
func entityType(w http.ResponseWriter, r *http.Request) (cartograph.EntityType, bool) {
	t := cartograph.EntityType(r.PathValue("type"))
	if !t.Valid() {
		WriteCatalogError(w, r, cartograph.Errorf(cartograph.NotFound, "Cannot %s %s", r.Method, r.URL.Path))
		return "", false
	}
	return t, true
}

func (h *catalogHandler) createEntity(w http.ResponseWriter, r *http.Request) {
	t, ok := entityType(w, r)
	if !ok {
		return
	}
	fields, err := decodeObject(r)
	if err == nil {
		var e *cartograph.Entity
		if e, err = h.store.Entities.Create(r.Context(), cartograph.EntityInput{Type: t, Fields: fields}); err == nil {
			var out map[string]any
			if out, err = h.entityResponse(r, e); err == nil {
				writeJSON(w, http.StatusCreated, out)
				return
			}
		}
	}
	WriteCatalogError(w, r, err)
}

func (h *catalogHandler) updateEntity(w http.ResponseWriter, r *http.Request) {
	t, ok := entityType(w, r)
	if !ok {
		return
	}
	fields, err := decodeObject(r)
	if err == nil {
		var e *cartograph.Entity
		if e, err = h.store.Entities.Update(r.Context(), r.PathValue("id"), cartograph.EntityInput{Type: t, Fields: fields}); err == nil {
			var out map[string]any
			if out, err = h.entityResponse(r, e); err == nil {
				writeJSON(w, http.StatusOK, out)
				return
			}
		}
	}
	WriteCatalogError(w, r, err)
}

func metadataJSON(e *cartograph.Entity) map[string]any {
	return map[string]any{"id": e.ID, "orgId": e.OrgID, "type": e.Type, "metaTags": e.MetaTags}
}

func (h *catalogHandler) getMetadata(w http.ResponseWriter, r *http.Request) {
	e, err := h.store.Entities.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, metadataJSON(e))
}

func (h *catalogHandler) putMetadata(w http.ResponseWriter, r *http.Request) {
	fields, err := decodeObject(r)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	raw := fields["metaTags"]
	if len(raw) == 0 {
		raw = json.RawMessage("[]")
	}
	tags, err := cartograph.ValidateMetaTags(raw)
	if err == nil {
		var e *cartograph.Entity
		if e, err = h.store.Entities.SetMetaTags(r.Context(), r.PathValue("id"), tags); err == nil {
			writeJSON(w, http.StatusOK, metadataJSON(e))
			return
		}
	}
	WriteCatalogError(w, r, err)
}

func (h *catalogHandler) listTemplates(w http.ResponseWriter, r *http.Request) {
	a, err := cartograph.CanRead(r.Context())
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	q := r.URL.Query()
	var p cartograph.Problems
	for _, c := range []struct {
		name    string
		allowed []string
	}{
		{"type", []string{"core", "user"}},
		{"category", []string{"create", "display"}},
		{"entityType", typeNames()},
	} {
		if v := q.Get(c.name); v != "" && !slices.Contains(c.allowed, v) {
			p.Add(c.name, "%s must be one of the following values: %s", c.name, joinComma(c.allowed))
		}
	}
	if err := p.Err(); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	ts := cartograph.Templates(cartograph.TemplateFilter{Name: q.Get("name"), Type: q.Get("type"),
		Category: q.Get("category"), EntityType: q.Get("entityType")})
	out := make([]map[string]any, len(ts))
	for i, t := range ts {
		out[i] = map[string]any{
			"id": t.ID, "orgId": a.OrgID, "name": t.Name, "description": t.Description, "type": t.Type,
			"category": t.Category, "icon": t.Icon, "definition": t.Definition, "createdBy": "SYSTEM",
			"createdAt": catalogTime(t.CreatedAt), "updatedAt": catalogTime(t.CreatedAt), "lastChangedBy": "SYSTEM",
		}
	}
	writeJSON(w, http.StatusOK, out)
}

func typeNames() []string {
	out := make([]string, len(cartograph.EntityTypes))
	for i, t := range cartograph.EntityTypes {
		out[i] = string(t)
	}
	return out
}

func joinComma(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(x)
	}
	return b.String()
}
