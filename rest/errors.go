// Package rest serves Cartograph's REST surfaces: the Configure8 public catalog
// API under /public/v1 and the Configmonkey config API under /v1. Handlers
// decode the documented request shapes, call the same db methods the GraphQL
// resolvers call, and render the documented response and error shapes.
package rest

import (
	"log/slog"
	"net/http"
	"strconv"

	gojson "github.com/goccy/go-json"

	"cartograph/cartograph"
)

// statusByCode maps a domain code to its HTTP status; the one place this is decided.
var statusByCode = map[cartograph.Code]int{
	cartograph.Invalid:         http.StatusBadRequest,
	cartograph.Unauthenticated: http.StatusUnauthorized,
	cartograph.Forbidden:       http.StatusForbidden,
	cartograph.NotFound:        http.StatusNotFound,
	cartograph.Conflict:        http.StatusConflict,
	cartograph.TooLarge:        http.StatusRequestEntityTooLarge,
	cartograph.Unprocessable:   http.StatusUnprocessableEntity,
	cartograph.Unavailable:     http.StatusServiceUnavailable,
	cartograph.Internal:        http.StatusInternalServerError,
	cartograph.Canceled:        statusClientClosed,
}

// statusClientClosed is nginx's 499: the client closed the connection before
// the answer (which it never sees); logged as the client's doing, not ours.
const statusClientClosed = 499

func statusOf(e *cartograph.Error) int {
	if s, ok := statusByCode[e.Code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

func logIfInternal(r *http.Request, e *cartograph.Error) {
	if e.Code == cartograph.Internal || e.Code == cartograph.Unavailable {
		slog.ErrorContext(r.Context(), "request failed", "path", r.URL.Path, "code", e.Code, "err", e)
	}
}

// WriteCatalogError renders err in the Configure8 shape (CONTRACT.md §3):
// {"statusCode": 404, "message": "...", "error": "Not Found"}, where a 400's
// message is the array of every problem found.
func WriteCatalogError(w http.ResponseWriter, r *http.Request, err error) {
	e := cartograph.AsError(err)
	logIfInternal(r, e)
	status := statusOf(e)
	var message any = e.Message
	if status == http.StatusBadRequest {
		if len(e.Problems) > 0 {
			message = e.Problems
		} else {
			message = []string{e.Message}
		}
	}
	writeJSON(w, status, map[string]any{
		"statusCode": status,
		"message":    message,
		"error":      http.StatusText(status),
	})
}

// configReasons are the Configmonkey codes and messages used when an error
// names no reason of its own (specs/configmonkey-api.md §6).
var configReasons = map[cartograph.Code][2]string{
	cartograph.Invalid:         {"bad_request", "Unable to parse input parameters"},
	cartograph.Unauthenticated: {"unauthorized", ""},
	cartograph.Forbidden:       {"forbidden", ""},
	cartograph.NotFound:        {"not_found", "Resource not found"},
	cartograph.Conflict:        {"conflict", ""},
	cartograph.TooLarge:        {"unknown", "Unknown Error"},
	cartograph.Unprocessable:   {"unknown", "Unknown Error"},
	cartograph.Unavailable:     {"unavailable", "The database is unavailable"},
	cartograph.Internal:        {"unknown_error", "Unknown error"},
	cartograph.Canceled:        {"canceled", "The request was canceled"},
}

// WriteConfigError renders err in the Configmonkey shape: {"code", "message"}.
func WriteConfigError(w http.ResponseWriter, r *http.Request, err error) {
	e := cartograph.AsError(err)
	logIfInternal(r, e)
	code, message := e.Reason, e.Message
	if code == "" {
		def := configReasons[e.Code]
		code = def[0]
		if def[1] != "" && (e.Code == cartograph.Internal || e.Code == cartograph.TooLarge) {
			message = def[1]
		}
		if message == "" {
			message = def[1]
		}
	}
	writeJSON(w, statusOf(e), map[string]string{"code": code, "message": message})
}

// writeBody writes body, already JSON, with status. Its length is known, so
// it is sent with Content-Length rather than chunked.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body) //nolint:gosec // G705: JSON served as application/json, its strings HTML-escaped as encoding/json writes them (rest/dto.go)
}

// writeJSON writes v as the JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = gojson.NewEncoder(w).Encode(v)
}
