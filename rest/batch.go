package rest

import (
	"encoding/json"
	"net/http"

	"cartograph/cartograph"
)

// upsertBatch serves POST /public/v1/catalog/batch/entities/{resource|base}:
// at most 50 items (413 before any work), each created or updated as a
// DISCOVERY entity, each succeeding or failing whole.
func (h *catalogHandler) upsertBatch(t cartograph.EntityType) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) { h.upsertBatchOf(w, r, t) }
}

func (h *catalogHandler) upsertBatchOf(w http.ResponseWriter, r *http.Request, t cartograph.EntityType) {
	items, err := decodeArray(r, cartograph.MaxResourceBatch)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	inputs := make([]cartograph.EntityInput, len(items))
	for i, raw := range items {
		var fields map[string]json.RawMessage
		if json.Unmarshal(raw, &fields) != nil || fields == nil {
			fields = map[string]json.RawMessage{} // validation reports what is missing
		}
		inputs[i] = cartograph.EntityInput{Type: t, Fields: fields}
	}
	res, err := h.store.Entities.UpsertBatch(r.Context(), t, inputs)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	out := make([]json.RawMessage, len(res.Items))
	for i, e := range res.Items {
		out[i] = entityJSON(e, nil)
	}
	writeJSON(w, http.StatusOK, map[string]any{"success": res.Success, "failures": res.Failures, "items": out, "failed": res.Failed})
}

// deleteBatch serves DELETE /public/v1/catalog/batch/entities {ids}.
func (h *catalogHandler) deleteBatch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		IDs []string `json:"ids"`
	}
	if err := decodeInto(r, &body, `{"ids": ["<entity id>"]}`); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	if body.IDs == nil {
		WriteCatalogError(w, r, cartograph.Errorf(cartograph.Invalid, "ids should not be empty"))
		return
	}
	n, err := h.store.Entities.DeleteBatch(r.Context(), body.IDs)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
