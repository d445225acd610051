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

// routes lists the Configure8 surface: what the mux serves and what
// openapi.json describes come from this one table.
func (h *catalogHandler) routes() []Route {
	const c8 = "Configure8"
	return []Route{
		{"POST", "/public/v1/catalog/entities", "Search catalog entities (types, propertyFilters, searchTerms, paging, sort, includeProperties)", c8, h.searchEntities},
		{"GET", "/public/v1/catalog/entities", "List catalog entities: the search with an empty query (pageNumber, pageSize, searchTerms)", c8, h.searchEntities},
		{"GET", "/public/v1/catalog/entities/{id}", "Get a catalog entity", c8, h.getEntity},
		{"DELETE", "/public/v1/catalog/entities/{id}", "Delete a catalog entity with its relations, meta tags, module settings and costs", c8, h.deleteEntity},
		{"POST", "/public/v1/catalog/entities/{type}", "Create an entity of a type (service, resource, library, repository, manifest, environment, system, application, person, base; team and api as an extension)", c8, h.createEntity},
		{"PATCH", "/public/v1/catalog/entities/{type}/{id}", "Update the given fields of an entity; DISCOVERY entities accept tags and metaTags only", c8, h.updateEntity},
		{"GET", "/public/v1/catalog/metadata/{id}", "Get an entity's meta tags", c8, h.getMetadata},
		{"PUT", "/public/v1/catalog/metadata/{id}", "Replace an entity's meta tags", c8, h.putMetadata},
		{"GET", "/public/v1/catalog/relations", "List relations (sourceId/sourceEntityId, targetId/targetEntityId, label, paging)", c8, h.listRelations},
		{"POST", "/public/v1/catalog/relations", "Create a relation", c8, h.createRelation},
		{"DELETE", "/public/v1/catalog/relations", "Delete relations", c8, h.deleteRelation},
		{"POST", "/public/v1/sync/services/diff", "Compare observed service calls with the catalog's dependencies", c8, h.diffServices},
		{"POST", "/public/v1/sync/services", "Apply a service sync diff in one transaction", c8, h.applyServices},
		{"POST", "/public/v1/catalog/batch/entities/resource", "Upsert up to 50 discovered resources by identity (provider, account, key)", c8, h.upsertBatch(cartograph.Resource)},
		{"POST", "/public/v1/catalog/batch/entities/base", "Upsert up to 50 discovered base entities by name", c8, h.upsertBatch(cartograph.Base)},
		{"DELETE", "/public/v1/catalog/batch/entities", "Delete entities by id, skipping unknown ones", c8, h.deleteBatch},
		{"POST", "/public/v1/query-builder", "Query entities (or cost rows) with nested filters, relation paths, cost columns and includeProperties", c8, h.queryBuilder},
		{"POST", "/public/v1/costs/batch", "Replace up to 1000 daily cost rows", c8, h.upsertCosts},
		{"DELETE", "/public/v1/costs/batch", "Delete daily cost rows", c8, h.deleteCosts},
		{"GET", "/public/v1/templates", "List templates (name, type, category, entityType)", c8, h.listTemplates},
		{"POST", "/public/v1/module-settings", "Create module settings for a service", c8, h.createModuleSettings},
		{"GET", "/public/v1/module-settings", "List module settings (serviceId): an extension", c8, h.listModuleSettings},
		{"GET", "/public/v1/module-settings/{id}", "Get module settings", c8, h.getModuleSettings},
	}
}

// Catalog returns the Configure8-compatible API mounted at /public/v1/.
func Catalog(store *db.DB) http.Handler {
	h := &catalogHandler{store: store}
	mux := http.NewServeMux()
	for _, rt := range h.routes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, rt.handler)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteCatalogError(w, r, cartograph.Errorf(cartograph.NotFound, "Cannot %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// decodeObject reads a JSON object body into its fields. Anything else is a
// 400 listing the problem.
func decodeObject(r *http.Request) (map[string]json.RawMessage, error) {
	b, err := readObject(r)
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(b, &fields) // readObject checked it
	return fields, nil
}

// readObject reads a JSON object body ({} when empty), refusing anything
// else and strings with NUL, which PostgreSQL cannot store.
func readObject(r *http.Request) ([]byte, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return []byte("{}"), nil
	}
	if b[0] != '{' || !json.Valid(b) {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body must be a JSON object")
	}
	return b, checkNUL(b)
}

// readBody reads the whole body (already size-limited by the edge), trimmed.
func readBody(r *http.Request) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body could not be read")
	}
	return bytes.TrimSpace(buf.Bytes()), nil
}

func checkNUL(b []byte) error {
	if cartograph.ContainsNUL(b) {
		return cartograph.Errorf(cartograph.Invalid, "Strings must not contain NUL characters")
	}
	return nil
}

// catalogTimeLayout is how the Configure8 API writes timestamps (JavaScript
// ISO, in UTC).
const catalogTimeLayout = "2006-01-02T15:04:05.000Z"

// catalogTime formats a timestamp as the Configure8 API does.
func catalogTime(t time.Time) string { return t.UTC().Format(catalogTimeLayout) }

// writeEntity answers with an entity (and its parents) at status, or with
// err: the ending every handler that returns one entity shares.
func (h *catalogHandler) writeEntity(w http.ResponseWriter, r *http.Request, status int, e *cartograph.Entity, err error) {
	if err == nil {
		var parents map[string][]cartograph.Parent
		if parents, err = h.store.Entities.Parents(r.Context(), []string{e.ID}); err == nil {
			// Written once, ending as an encoder ends (a newline).
			writeBody(w, status, append(entityJSON(e, parents[e.ID]), '\n'))
			return
		}
	}
	WriteCatalogError(w, r, err)
}

func (h *catalogHandler) getEntity(w http.ResponseWriter, r *http.Request) {
	e, err := h.store.Entities.Get(r.Context(), r.PathValue("id"))
	h.writeEntity(w, r, http.StatusOK, e, err)
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
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	e, err := h.store.Entities.Create(r.Context(), cartograph.EntityInput{Type: t, Fields: fields})
	h.writeEntity(w, r, http.StatusCreated, e, err)
}

func (h *catalogHandler) updateEntity(w http.ResponseWriter, r *http.Request) {
	t, ok := entityType(w, r)
	if !ok {
		return
	}
	fields, err := decodeObject(r)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	e, err := h.store.Entities.Update(r.Context(), r.PathValue("id"), cartograph.EntityInput{Type: t, Fields: fields})
	h.writeEntity(w, r, http.StatusOK, e, err)
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
