package rest

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"cartograph/cartograph"
)

func TestWriteCatalogError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantMsg    any
	}{
		{"invalid lists every problem", &cartograph.Error{Code: cartograph.Invalid, Message: "a; b", Problems: []string{"a", "b"}},
			400, []any{"a", "b"}},
		{"invalid without a list is still an array", cartograph.Errorf(cartograph.Invalid, "bad"), 400, []any{"bad"}},
		{"unauthenticated", cartograph.Errorf(cartograph.Unauthenticated, "no key"), 401, "no key"},
		{"forbidden", cartograph.Errorf(cartograph.Forbidden, "read only"), 403, "read only"},
		{"not found", cartograph.Errorf(cartograph.NotFound, "Catalog entity not found"), 404, "Catalog entity not found"},
		{"conflict", cartograph.Errorf(cartograph.Conflict, "dup"), 409, "dup"},
		{"too large", cartograph.Errorf(cartograph.TooLarge, "big"), 413, "big"},
		{"unprocessable", cartograph.Errorf(cartograph.Unprocessable, "discovery"), 422, "discovery"},
		{"unavailable", cartograph.Errorf(cartograph.Unavailable, "db down"), 503, "db down"},
		{"canceled by the client", cartograph.Errorf(cartograph.Canceled, "The request was canceled"), 499, "The request was canceled"},
		{"internal hides its cause", cartograph.InternalError(errors.New("pq: relation secret_table")), 500, "Internal server error"},
		{"unknown error is internal", errors.New("SELECT * FROM secrets failed"), 500, "Internal server error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteCatalogError(w, httptest.NewRequest("GET", "/public/v1/x", nil), tc.err)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"statusCode": float64(tc.wantStatus), "message": tc.wantMsg, "error": http.StatusText(tc.wantStatus)}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("body = %v, want %v", body, want)
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestWriteConfigError(t *testing.T) {
	for _, tc := range []struct {
		name       string
		err        error
		wantStatus int
		wantCode   string
		wantMsg    string
	}{
		{"reason given", &cartograph.Error{Code: cartograph.NotFound, Reason: "domain_not_found", Message: "Domain not found"},
			404, "domain_not_found", "Domain not found"},
		{"invalid without reason", cartograph.Errorf(cartograph.Invalid, "Unable to parse input parameters"), 400, "bad_request", "Unable to parse input parameters"},
		{"unauthenticated", cartograph.Errorf(cartograph.Unauthenticated, "no key"), 401, "unauthorized", "no key"},
		{"forbidden", cartograph.Errorf(cartograph.Forbidden, "read only"), 403, "forbidden", "read only"},
		{"not found", cartograph.Errorf(cartograph.NotFound, "Resource not found"), 404, "not_found", "Resource not found"},
		{"conflict", cartograph.Errorf(cartograph.Conflict, "dup"), 409, "conflict", "dup"},
		{"too large is upstream's catch-all", cartograph.Errorf(cartograph.TooLarge, "big"), 413, "unknown", "Unknown Error"},
		{"unprocessable", &cartograph.Error{Code: cartograph.Unprocessable, Reason: "not_empty", Message: "has configs"}, 422, "not_empty", "has configs"},
		{"unavailable", cartograph.Errorf(cartograph.Unavailable, "db down"), 503, "unavailable", "db down"},
		{"internal hides its cause", cartograph.InternalError(errors.New("duplicate key violates")), 500, "unknown_error", "Unknown error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteConfigError(w, httptest.NewRequest("GET", "/v1/domains", nil), tc.err)
			if w.Code != tc.wantStatus {
				t.Fatalf("status = %d, want %d", w.Code, tc.wantStatus)
			}
			var body map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
				t.Fatal(err)
			}
			want := map[string]any{"code": tc.wantCode, "message": tc.wantMsg}
			if !reflect.DeepEqual(body, want) {
				t.Errorf("body = %v, want %v", body, want)
			}
		})
	}
}

func TestDomainErrorUsesUpstreamUnknown(t *testing.T) {
	w := httptest.NewRecorder()
	domainError(w, httptest.NewRequest("GET", "/v1/domains", nil), errors.New("connection reset"))
	if w.Code != 500 || w.Body.String() != "{\"code\":\"unknown\",\"message\":\"Unknown error\"}\n" {
		t.Errorf("got %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	domainError(w, httptest.NewRequest("DELETE", "/v1/domains/x", nil), cartograph.Errorf(cartograph.NotFound, "Domain not found"))
	if w.Code != 404 {
		t.Errorf("non-internal errors pass through: %d", w.Code)
	}
}
