package graph

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"cartograph/cartograph"
	"cartograph/db"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func TestPresentError(t *testing.T) {
	present := presentError(quiet)
	for _, tc := range []struct {
		name      string
		err       error
		wantCode  string
		wantMsg   string
		wantField string
	}{
		{"invalid with field", &cartograph.Error{Code: cartograph.Invalid, Message: "bad name", Field: "name"}, "BAD_USER_INPUT", "bad name", "name"},
		{"too large", cartograph.Errorf(cartograph.TooLarge, "too many"), "BAD_USER_INPUT", "too many", ""},
		{"unauthenticated", cartograph.Errorf(cartograph.Unauthenticated, "no key"), "UNAUTHENTICATED", "no key", ""},
		{"forbidden", cartograph.Errorf(cartograph.Forbidden, "read only"), "FORBIDDEN", "read only", ""},
		{"not found", cartograph.Errorf(cartograph.NotFound, "no such"), "NOT_FOUND", "no such", ""},
		{"conflict", cartograph.Errorf(cartograph.Conflict, "dup"), "CONFLICT", "dup", ""},
		{"unprocessable", cartograph.Errorf(cartograph.Unprocessable, "rule"), "UNPROCESSABLE", "rule", ""},
		{"unavailable", cartograph.Errorf(cartograph.Unavailable, "db down"), "INTERNAL", "db down", ""},
		{"internal hides its cause", cartograph.InternalError(errors.New("SQLSTATE 42P01")), "INTERNAL", "Internal server error", ""},
		{"plain error hides itself", errors.New("pq: password=hunter2"), "INTERNAL", "Internal server error", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, nil)
			got := present(ctx, tc.err)
			if got.Message != tc.wantMsg || got.Extensions["code"] != tc.wantCode {
				t.Errorf("got %q %v, want %q code %s", got.Message, got.Extensions, tc.wantMsg, tc.wantCode)
			}
			field, _ := got.Extensions["field"].(string)
			if field != tc.wantField {
				t.Errorf("field = %q, want %q", field, tc.wantField)
			}
		})
	}
}

func TestWriteHTTPError(t *testing.T) {
	for _, tc := range []struct {
		err        error
		wantStatus int
		wantCode   string
	}{
		{cartograph.Errorf(cartograph.Unauthenticated, "no key"), 401, "UNAUTHENTICATED"},
		{cartograph.Errorf(cartograph.TooLarge, "big"), 413, "BAD_USER_INPUT"},
		{cartograph.InternalError(errors.New("boom")), 500, "INTERNAL"},
	} {
		w := httptest.NewRecorder()
		WriteHTTPError(w, httptest.NewRequest("POST", "/graphql", nil), tc.err)
		var body struct {
			Errors []struct {
				Message    string
				Extensions map[string]string
			}
		}
		if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil {
			t.Fatal(err)
		}
		if w.Code != tc.wantStatus || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != tc.wantCode {
			t.Errorf("%v: got %d %s", tc.err, w.Code, w.Body)
		}
		if strings.Contains(w.Body.String(), "boom") {
			t.Errorf("internal cause leaked: %s", w.Body)
		}
	}
}

// TestResolverPanic: a panicking resolver answers an INTERNAL error that
// leaks nothing, and the server keeps serving.
func TestResolverPanic(t *testing.T) {
	h := NewHandler(&db.DB{}, Options{Logger: quiet}) // no Keys service: apiKeys panics
	ctx := cartograph.WithActor(context.Background(), &cartograph.Actor{OrgID: "o", Scope: cartograph.ScopeWrite, Role: cartograph.RoleAdmin})
	for range 2 {
		req := httptest.NewRequest("POST", "/graphql", strings.NewReader(`{"query":"{ apiKeys { name } }"}`)).WithContext(ctx)
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			t.Fatalf("status = %d", w.Code)
		}
		body := w.Body.String()
		if !strings.Contains(body, `"code":"INTERNAL"`) || strings.Contains(body, "nil pointer") || strings.Contains(body, "goroutine") {
			t.Fatalf("want a bare INTERNAL error, got %s", body)
		}
	}
}
