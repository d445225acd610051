package graph

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"cartograph/cartograph"
	"cartograph/metrics"
)

// extensionCodes maps domain codes to GraphQL extensions.code (CONTRACT.md §3).
var extensionCodes = map[cartograph.Code]string{
	cartograph.Invalid:         "BAD_USER_INPUT",
	cartograph.TooLarge:        "BAD_USER_INPUT",
	cartograph.Unauthenticated: "UNAUTHENTICATED",
	cartograph.Forbidden:       "FORBIDDEN",
	cartograph.NotFound:        "NOT_FOUND",
	cartograph.Conflict:        "CONFLICT",
	cartograph.Unprocessable:   "UNPROCESSABLE",
	cartograph.Unavailable:     "INTERNAL",
	cartograph.Internal:        "INTERNAL",
	cartograph.Canceled:        "INTERNAL",
}

// httpStatus is the status of a GraphQL request refused before execution.
var httpStatus = map[cartograph.Code]int{
	cartograph.Invalid:         http.StatusBadRequest,
	cartograph.TooLarge:        http.StatusRequestEntityTooLarge,
	cartograph.Unauthenticated: http.StatusUnauthorized,
	cartograph.Forbidden:       http.StatusForbidden,
	cartograph.Unavailable:     http.StatusServiceUnavailable,
	cartograph.Internal:        http.StatusInternalServerError,
	cartograph.Canceled:        499, // client closed the connection; never seen
}

// presentError renders an error of a resolver: a *cartograph.Error gives its
// message, extensions.code and extensions.field; gqlgen's own errors (parse,
// validation, limits) keep their message and become BAD_USER_INPUT; anything
// else is logged and shown as INTERNAL with a message that leaks nothing.
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		var gqlErr *gqlerror.Error
		if errors.As(err, &gqlErr) && gqlErr.Err == nil {
			if gqlErr.Extensions == nil {
				gqlErr.Extensions = map[string]any{}
			}
			gqlErr.Extensions["code"] = "BAD_USER_INPUT"
			metrics.GraphQLError("BAD_USER_INPUT")
			return gqlErr
		}
		ce := cartograph.AsError(err)
		if ce.Code == cartograph.Internal || ce.Cause != nil && ce.Code != cartograph.Canceled {
			log.ErrorContext(ctx, "graphql error", "code", ce.Code, "err", err)
		}
		out := graphql.DefaultErrorPresenter(ctx, err)
		out.Message = ce.Message
		out.Extensions = map[string]any{"code": extensionCodes[ce.Code]}
		metrics.GraphQLError(extensionCodes[ce.Code])
		if ce.Field != "" {
			out.Extensions["field"] = ce.Field
		}
		return out
	}
}

// WriteHTTPError answers a GraphQL request refused before execution (no key,
// body too large, a panic) with a GraphQL error body and the fitting status.
func WriteHTTPError(w http.ResponseWriter, _ *http.Request, err error) {
	ce := cartograph.AsError(err)
	status, ok := httpStatus[ce.Code]
	if !ok {
		status = http.StatusBadRequest
	}
	if ce.Code == cartograph.Internal {
		slog.Error("graphql request failed", "err", err)
	}
	ext := map[string]any{"code": extensionCodes[ce.Code]}
	if ce.Field != "" {
		ext["field"] = ce.Field
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": ce.Message, "extensions": ext}},
	})
}
