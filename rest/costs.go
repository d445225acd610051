package rest

import (
	"encoding/json"
	"net/http"

	"cartograph/cartograph"
)

// decodeArray reads a JSON array body of at most max items; more is 413,
// decided before any work is done.
func decodeArray(r *http.Request, max int) ([]json.RawMessage, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var items []json.RawMessage
	if len(b) == 0 || b[0] != '[' || json.Unmarshal(b, &items) != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body must be a JSON array")
	}
	if err := checkNUL(b); err != nil {
		return nil, err
	}
	return items, cartograph.CheckBatchSize(len(items), max)
}

func (h *catalogHandler) upsertCosts(w http.ResponseWriter, r *http.Request) {
	items, err := decodeArray(r, cartograph.MaxCostBatch)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	rows, index, failed := cartograph.ParseCostRows(items)
	res, err := h.store.Costs.Upsert(r.Context(), rows, failed, index)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *catalogHandler) deleteCosts(w http.ResponseWriter, r *http.Request) {
	items, err := decodeArray(r, cartograph.MaxCostBatch)
	if err == nil {
		var keys []cartograph.CostKey
		if keys, err = cartograph.ParseCostKeys(items); err == nil {
			var n int
			if n, err = h.store.Costs.Delete(r.Context(), keys); err == nil {
				writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
				return
			}
		}
	}
	WriteCatalogError(w, r, err)
}
