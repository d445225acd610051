package rest

import (
	"encoding/json"
	"net/http"

	"cartograph/cartograph"
)

// decodeInto reads a JSON object body into dst; a wrong shape is a 400
// naming what was expected.
func decodeInto(r *http.Request, dst any, shape string) error {
	b, err := readObject(r)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return cartograph.Errorf(cartograph.Invalid, "The body must be %s", shape)
	}
	return nil
}

func (h *catalogHandler) diffServices(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Services map[string]struct {
			Calls []string `json:"calls"`
		} `json:"services"`
		MetatagMappingName string `json:"metatagMappingName"`
	}
	if err := decodeInto(r, &body, `{"services": {"<name>": {"calls": ["<name>"]}}, "metatagMappingName": "<tag>"}`); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	if body.Services == nil {
		WriteCatalogError(w, r, cartograph.Errorf(cartograph.Invalid, "services should not be empty"))
		return
	}
	req := cartograph.SyncRequest{Services: map[string][]string{}, MappingTag: body.MetatagMappingName}
	for name, def := range body.Services {
		req.Services[name] = def.Calls
	}
	res, err := h.store.Relations.DiffServices(r.Context(), req)
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

func (h *catalogHandler) applyServices(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Services           *cartograph.ServiceSync    `json:"services"`
		Dependencies       *cartograph.DependencySync `json:"dependencies"`
		MetatagMappingName string                     `json:"metatagMappingName"`
	}
	if err := decodeInto(r, &body, `{"services": {"added", "mappings"}, "dependencies": {"added", "removed"}, "metatagMappingName"}`); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	var p cartograph.Problems
	if body.Services == nil {
		p.Add("services", "services should not be empty")
	}
	if body.Dependencies == nil {
		p.Add("dependencies", "dependencies should not be empty")
	}
	if err := p.Err(); err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	res, err := h.store.Relations.ApplyServices(r.Context(), cartograph.SyncApply{
		Services: *body.Services, Dependencies: *body.Dependencies, MappingTag: body.MetatagMappingName})
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}
