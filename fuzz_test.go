package main

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"cartograph/cartograph"
)

// FuzzCatalogRequests sends arbitrary bodies to the Configure8 write and
// search endpoints through the real handler: every answer is a documented
// status, never a 500.
func FuzzCatalogRequests(f *testing.F) {
	cfg, _ := loadConfig()
	h := newHandler(cfg, testDB, nil, slog.New(slog.NewTextHandler(io.Discard, nil)))
	org := uniqueOrg("fuzz")
	k := key(&testing.T{}, "fuzzer", org, cartograph.ScopeWrite, cartograph.RoleUser)
	paths := []string{"/public/v1/catalog/entities", "/public/v1/catalog/entities/service",
		"/public/v1/catalog/entities/resource", "/public/v1/catalog/entities/library", "/public/v1/catalog/entities/person",
		"/public/v1/module-settings", "/public/v1/catalog/entities/repository", "/public/v1/query-builder",
		"/public/v1/query-builder"}
	for _, s := range []string{
		`{}`, `{"name":"x"}`, `{"pageSize":1e309}`, `{"propertyFilters":[{"operand":"OR","propertyFilters":[{"operand":"AND"}]}]}`,
		`{"sort":{"property":"name","order":null}}`, `{"types":[null]}`, `{"name":"x","provider":"AWS","providerResourceKey":"k","providerResourceType":"t","parents":[{"id":"not-a-uuid","label":"contains"}]}`,
		`{"name":"y","provider":"AWS","providerResourceKey":"k2","providerResourceType":"t","parents":[{"id":"00000000-0000-4000-8000-000000000000","secondaryId":"zz","label":"contains"}]}`,
		`{"pageNumber":99999999999,"pageSize":1000}`, `{"serviceId":"00000000-0000-4000-8000-000000000000","layout":[]}`,
		"\x00", `{"name":"\u0000"}`, `{"searchTerms":"\\"}`,
		`{"schemaIdentifier":"schema-service","filter":{"column":"environments.resources.provider","operator":"eq","value":"AWS"}}`,
		`{"schemaIdentifier":"schema-service","filter":{"or":[{"column":"metaTags.tier","operator":"in","value":["1",2,null]},{"not":{"column":"tags","operator":"exists","value":true}}]}}`,
		`{"schemaIdentifier":"schema-resource","sort":{"property":"accruedCosts","order":"DESC"},"filter":{"column":"changeCosts","operator":"lte","value":"1e400"}}`,
		`{"schemaIdentifier":"schema-cost","filter":{"column":"date","operator":"gt","value":"2026"}}`,
		`{"schemaIdentifier":"schema-service","filter":{"column":"createDateTime","operator":"gt","value":"not a time"}}`,
		`{"schemaIdentifier":"schema-service","filter":{"column":"name","operator":"ilike","value":"%\\"}}`,
		`{"schemaIdentifier":"schema-service","filter":{"column":"lifecycle","operator":"gte","value":{"a":1}}}`,
		`{"schemaIdentifier":"schema-team","filter":{"column":"members.metaTags.nick","operator":"nin","value":[]}}`,
		`{"schemaIdentifier":"schema-service","includeProperties":["name","accruedCosts"],"sort":{"property":"lifecycle","order":"DESC"}}`,
		`{"schemaIdentifier":"schema-resource","includeProperties":[],"filter":{"column":"accruedCosts","operator":"gt","value":0}}`,
		`{"schemaIdentifier":"schema-environment","includeProperties":[null,"tags"],"sort":{"property":"createDateTime"}}`,
		`{"types":["resource"],"includeProperties":["provider","location","parents"]}`,
	} {
		for i := range paths {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, body string, p uint8) {
		req := httptest.NewRequest("POST", paths[int(p)%len(paths)], strings.NewReader(body))
		req.Header.Set("Api-Key", k)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %q = %d %s", req.URL.Path, body, w.Code, w.Body)
		}
		if w.Code != http.StatusCreated && w.Code != http.StatusOK && !strings.Contains(w.Body.String(), `"statusCode"`) {
			t.Fatalf("%d without the Configure8 error shape: %s", w.Code, w.Body)
		}
	})
}
