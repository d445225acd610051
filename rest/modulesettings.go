package rest

import (
	"net/http"

	"cartograph/cartograph"
)

func moduleSettingsJSON(m *cartograph.ModuleSettings) map[string]any {
	b := m.Settings
	return map[string]any{
		"id": m.ID, "serviceId": m.ServiceID, "credentialId": b.CredentialID, "providerName": b.ProviderName,
		"providerType": b.ProviderType, "orgId": m.OrgID, "title": b.Title, "uiPluginName": b.UIPluginName,
		"configuration": b.Configuration, "layout": b.Layout, "status": b.Status, "state": b.State,
		"createdBy": m.CreatedBy, "lastChangedBy": m.LastChangedBy,
		"createDateTime": catalogTime(m.CreatedAt), "lastChangedDateTime": catalogTime(m.UpdatedAt),
	}
}

func (h *catalogHandler) createModuleSettings(w http.ResponseWriter, r *http.Request) {
	fields, err := decodeObject(r)
	if err == nil {
		var in *cartograph.NewModuleSettings
		if in, err = cartograph.ParseModuleSettings(fields); err == nil {
			var m *cartograph.ModuleSettings
			if m, err = h.store.Entities.CreateModuleSettings(r.Context(), in); err == nil {
				writeJSON(w, http.StatusCreated, moduleSettingsJSON(m))
				return
			}
		}
	}
	WriteCatalogError(w, r, err)
}

func (h *catalogHandler) getModuleSettings(w http.ResponseWriter, r *http.Request) {
	m, err := h.store.Entities.ModuleSettings(r.Context(), r.PathValue("id"))
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, moduleSettingsJSON(m))
}

// listModuleSettings is an extension: GET /public/v1/module-settings?serviceId=.
func (h *catalogHandler) listModuleSettings(w http.ResponseWriter, r *http.Request) {
	ms, err := h.store.Entities.ListModuleSettings(r.Context(), r.URL.Query().Get("serviceId"))
	if err != nil {
		WriteCatalogError(w, r, err)
		return
	}
	out := make([]map[string]any, len(ms))
	for i, m := range ms {
		out[i] = moduleSettingsJSON(m)
	}
	writeJSON(w, http.StatusOK, out)
}
