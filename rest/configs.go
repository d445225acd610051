package rest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"

	"cartograph/cartograph"
	"cartograph/db"
)

// configHandler serves the Configmonkey API (specs/configmonkey-api.md):
// upstream's nine routes, the /v1/domains/{slug}/configs aliases of
// CONTRACT.md §5, and two read-only extensions: GET /v1/domains/{slug} and
// GET .../versions/latest.
type configHandler struct {
	configs *db.Configs
}

// routes lists the config store's routes: upstream's nine, their
// /v1/domains/{domain}/configs aliases, and the two read-only extensions.
func (h *configHandler) routes() []Route {
	const cm = "Configmonkey"
	rs := []Route{
		{"GET", "/v1/domains", "List domains (limit, offset)", cm, h.listDomains},
		{"POST", "/v1/domains", "Create a domain", cm, h.createDomain},
		{"GET", "/v1/domains/{domain}", "Get a domain: an extension", cm, h.getDomain},
		{"DELETE", "/v1/domains/{domain}", "Delete an empty domain", cm, h.deleteDomain},
	}
	for _, base := range []string{"/v1/configs/{domain}", "/v1/domains/{domain}/configs"} {
		alias := ""
		if base != "/v1/configs/{domain}" {
			alias = " (alias)"
		}
		rs = append(rs,
			Route{"GET", base, "List a domain's configs" + alias, cm, h.listConfigs},
			Route{"POST", base, "Create a config" + alias, cm, h.createConfig},
			Route{"GET", base + "/{key}", "Get a config" + alias, cm, h.getConfig},
			Route{"DELETE", base + "/{key}", "Delete a config and its versions" + alias, cm, h.deleteConfig},
			Route{"GET", base + "/{key}/versions", "List a config's versions, newest first" + alias, cm, h.listVersions},
			Route{"POST", base + "/{key}/versions", "Add a version (set the value)" + alias, cm, h.createVersion},
			Route{"GET", base + "/{key}/versions/latest", "Get the newest version: an extension" + alias, cm, h.latestVersion},
		)
	}
	return rs
}

// Configs returns the Configmonkey-compatible API mounted at /v1/.
func Configs(store *db.DB) http.Handler {
	h := &configHandler{configs: store.Configs}
	mux := http.NewServeMux()
	for _, rt := range h.routes() {
		mux.HandleFunc(rt.Method+" "+rt.Path, rt.handler)
	}
	// Upstream answers any other path or method with this 404.
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		WriteConfigError(w, r, &cartograph.Error{Code: cartograph.NotFound, Reason: "not_found", Message: "Resource not found"})
	})
	return mux
}

// Wire shapes, in upstream's field order.
type (
	domainJSON struct {
		Slug      string `json:"slug"`
		CreatedAt string `json:"created_at"`
	}
	configJSON struct {
		Key       string `json:"key"`
		CreatedAt string `json:"created_at"`
	}
	versionJSON struct {
		ID        int                    `json:"id"`
		CreatedAt string                 `json:"created_at"`
		Value     cartograph.ConfigValue `json:"value"`
	}
	listJSON struct {
		Data       any            `json:"data"`
		Pagination paginationJSON `json:"pagination"`
	}
	paginationJSON struct {
		Count  int     `json:"count"`
		Offset int     `json:"offset"`
		Limit  int     `json:"limit"`
		Next   *string `json:"next"`
		Prev   *string `json:"prev"`
	}
)

// configTime formats the database clock as upstream does: UTC, microseconds.
func configTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

func toDomainJSON(d *cartograph.Domain) domainJSON {
	return domainJSON{Slug: d.Slug, CreatedAt: configTime(d.CreatedAt)}
}

func toConfigJSON(c *cartograph.Config) configJSON {
	return configJSON{Key: c.Key, CreatedAt: configTime(c.CreatedAt)}
}

func toVersionJSON(v *cartograph.Version) versionJSON {
	return versionJSON{ID: v.Number, CreatedAt: configTime(v.CreatedAt), Value: v.Value}
}

// badRequest is upstream's answer to a body it cannot parse.
var badRequest = &cartograph.Error{Code: cartograph.Invalid, Reason: "bad_request", Message: "Unable to parse input parameters"}

// configPage reads limit and offset as upstream does: absent, non-numeric or
// outside int32 means the default (10 and 0); negative is 400 bad_request
// (upstream crashes); a limit over 1000 is served as 1000.
func configPage(r *http.Request) (cartograph.Page, error) {
	p := cartograph.Page{Limit: 10}
	for name, dst := range map[string]*int{"limit": &p.Limit, "offset": &p.Offset} {
		v := r.URL.Query().Get(name)
		n, err := strconv.ParseInt(v, 10, 32)
		if v == "" || err != nil {
			continue
		}
		if n < 0 {
			return p, &cartograph.Error{Code: cartograph.Invalid, Reason: "bad_request",
				Message: fmt.Sprintf("%s must not be negative", name)}
		}
		*dst = int(n)
	}
	p.Limit = min(p.Limit, cartograph.MaxPageSize)
	return p, nil
}

// writeList writes a page with upstream's pagination: count is the page's
// item count, next is set whenever the page is full, prev unless offset is 0;
// links stay in the path family of the request.
func writeList[T any](w http.ResponseWriter, r *http.Request, page cartograph.Page, items []T) {
	link := func(offset int) *string {
		s := fmt.Sprintf("%s?limit=%d&offset=%d", r.URL.EscapedPath(), page.Limit, offset)
		return &s
	}
	p := paginationJSON{Count: len(items), Offset: page.Offset, Limit: page.Limit}
	if len(items) == page.Limit {
		p.Next = link(min(page.Offset+page.Limit, math.MaxInt32))
	}
	if page.Offset > 0 {
		p.Prev = link(max(page.Offset-page.Limit, 0))
	}
	writeJSON(w, http.StatusOK, listJSON{Data: items, Pagination: p})
}

// decodeConfigBody parses a JSON object body into dst; anything else is
// upstream's 400 bad_request. A missing Content-Type is accepted.
func decodeConfigBody(r *http.Request, dst any) error {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return badRequest
	}
	b := bytes.TrimSpace(buf.Bytes())
	if len(b) == 0 || b[0] != '{' || json.Unmarshal(b, dst) != nil {
		return badRequest
	}
	return nil
}

func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusNoContent)
}

// domainError renders a domain endpoint's error: upstream's domain service
// names its internal failures "unknown", where configs and versions say
// "unknown_error".
func domainError(w http.ResponseWriter, r *http.Request, err error) {
	if e := cartograph.AsError(err); e.Code == cartograph.Internal {
		err = &cartograph.Error{Code: cartograph.Internal, Reason: "unknown", Message: "Unknown error", Cause: e}
	}
	WriteConfigError(w, r, err)
}

func (h *configHandler) listDomains(w http.ResponseWriter, r *http.Request) {
	page, err := configPage(r)
	if err != nil {
		domainError(w, r, err)
		return
	}
	domains, err := h.configs.ListDomains(r.Context(), page)
	if err != nil {
		domainError(w, r, err)
		return
	}
	out := make([]domainJSON, len(domains))
	for i, d := range domains {
		out[i] = toDomainJSON(d)
	}
	writeList(w, r, page, out)
}

func (h *configHandler) createDomain(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Slug *string `json:"slug"`
	}
	if err := decodeConfigBody(r, &body); err != nil || body.Slug == nil {
		WriteConfigError(w, r, badRequest)
		return
	}
	d, err := h.configs.CreateDomain(r.Context(), *body.Slug)
	if err != nil {
		domainError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toDomainJSON(d))
}

func (h *configHandler) getDomain(w http.ResponseWriter, r *http.Request) {
	d, err := h.configs.Domain(r.Context(), r.PathValue("domain"))
	if err != nil {
		domainError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toDomainJSON(d))
}

func (h *configHandler) deleteDomain(w http.ResponseWriter, r *http.Request) {
	if err := h.configs.DeleteDomain(r.Context(), r.PathValue("domain")); err != nil {
		domainError(w, r, err)
		return
	}
	writeNoContent(w)
}

func (h *configHandler) listConfigs(w http.ResponseWriter, r *http.Request) {
	page, err := configPage(r)
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	configs, err := h.configs.ListConfigs(r.Context(), r.PathValue("domain"), page)
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	out := make([]configJSON, len(configs))
	for i, c := range configs {
		out[i] = toConfigJSON(c)
	}
	writeList(w, r, page, out)
}

func (h *configHandler) createConfig(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Key *string `json:"key"`
	}
	if err := decodeConfigBody(r, &body); err != nil || body.Key == nil {
		WriteConfigError(w, r, badRequest)
		return
	}
	c, err := h.configs.CreateConfig(r.Context(), r.PathValue("domain"), *body.Key)
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toConfigJSON(c))
}

func (h *configHandler) getConfig(w http.ResponseWriter, r *http.Request) {
	c, err := h.configs.Config(r.Context(), r.PathValue("domain"), r.PathValue("key"))
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toConfigJSON(c))
}

func (h *configHandler) deleteConfig(w http.ResponseWriter, r *http.Request) {
	if err := h.configs.DeleteConfig(r.Context(), r.PathValue("domain"), r.PathValue("key")); err != nil {
		WriteConfigError(w, r, err)
		return
	}
	writeNoContent(w)
}

func (h *configHandler) listVersions(w http.ResponseWriter, r *http.Request) {
	page, err := configPage(r)
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	versions, err := h.configs.ListVersions(r.Context(), r.PathValue("domain"), r.PathValue("key"), page)
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	out := make([]versionJSON, len(versions))
	for i, v := range versions {
		out[i] = toVersionJSON(v)
	}
	writeList(w, r, page, out)
}

func (h *configHandler) createVersion(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Value json.RawMessage `json:"value"`
	}
	if err := decodeConfigBody(r, &body); err != nil || len(body.Value) == 0 {
		WriteConfigError(w, r, badRequest)
		return
	}
	v, err := h.configs.CreateVersion(r.Context(), r.PathValue("domain"), r.PathValue("key"), cartograph.ConfigValue(body.Value))
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, toVersionJSON(v))
}

func (h *configHandler) latestVersion(w http.ResponseWriter, r *http.Request) {
	v, err := h.configs.LatestVersion(r.Context(), r.PathValue("domain"), r.PathValue("key"))
	if err != nil {
		WriteConfigError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, toVersionJSON(v))
}
