package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"

	"cartograph/cartograph"
)

// decodeArray reads a JSON array body of at most max items; more is 413,
// decided before any work is done.
func decodeArray(r *http.Request, max int) ([]json.RawMessage, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body could not be read")
	}
	var items []json.RawMessage
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 || b[0] != '[' || json.Unmarshal(b, &items) != nil {
		return nil, cartograph.Errorf(cartograph.Invalid, "The request body must be a JSON array")
	}
	if cartograph.ContainsNUL(b) {
		return nil, cartograph.Errorf(cartograph.Invalid, "Strings must not contain NUL characters")
	}
	if len(items) > max {
		return nil, cartograph.Errorf(cartograph.TooLarge, "A batch takes at most %d items; this one has %d", max, len(items))
	}
	return items, nil
}

func (h *catalogHandler) upsertCosts(w http.ResponseWriter, r *http.Request) {
	items, err := decodeArray(r, cartograph.MaxCostBatch)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	var rows []cartograph.Cost
	var index []int
	failed := []cartograph.BatchFailure{}
	for i, raw := range items {
		c, err := cartograph.ParseCostRow(raw)
		if err != nil {
			var id struct {
				CatalogResourceID string `json:"catalogResourceId"`
			}
			_ = json.Unmarshal(raw, &id)
			failed = append(failed, cartograph.BatchFailure{Index: i, ID: id.CatalogResourceID, Status: http.StatusBadRequest, Error: err.Error()})
			continue
		}
		rows, index = append(rows, c), append(index, i)
	}
	res, err := h.store.Costs.Upsert(r.Context(), rows, failed, index)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *catalogHandler) deleteCosts(w http.ResponseWriter, r *http.Request) {
	items, err := decodeArray(r, cartograph.MaxCostBatch)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	var p cartograph.Problems
	keys := make([]cartograph.CostKey, 0, len(items))
	for i, raw := range items {
		var k struct {
			CatalogResourceID string `json:"catalogResourceId"`
			Date              string `json:"date"`
			Operation         string `json:"operation"`
		}
		if json.Unmarshal(raw, &k) != nil || k.CatalogResourceID == "" {
			p.Add(fmt.Sprint(i), "%d.catalogResourceId should not be empty", i)
			continue
		}
		if _, err := cartograph.ParseDate(k.Date); err != nil {
			p.Add(fmt.Sprint(i), "%d.%s", i, err)
			continue
		}
		keys = append(keys, cartograph.CostKey{ResourceID: k.CatalogResourceID, Date: k.Date, Operation: k.Operation})
	}
	if err := p.Err(); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	n, err := h.store.Costs.Delete(r.Context(), keys)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"deleted": n})
}
