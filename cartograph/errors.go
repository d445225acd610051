// Package cartograph holds Cartograph's domain: the types both APIs speak in,
// the error codes every layer shares, and the access rules. It imports only the
// standard library.
package cartograph

import (
	"errors"
	"fmt"
	"strings"
)

// Code classifies a failure. rest/errors.go maps it to an HTTP status and body,
// graph/errors.go to a GraphQL extensions.code; nothing else looks at it.
type Code string

// The codes a failure can have.
const (
	Invalid         Code = "INVALID"         // the input is malformed or breaks a rule: 400
	Unauthenticated Code = "UNAUTHENTICATED" // no valid key: 401
	Forbidden       Code = "FORBIDDEN"       // the key lacks the scope or role: 403
	NotFound        Code = "NOT_FOUND"       // no such object in the caller's org: 404
	Conflict        Code = "CONFLICT"        // a duplicate or a clash with existing state: 409
	TooLarge        Code = "TOO_LARGE"       // a body or batch over its limit: 413
	Unprocessable   Code = "UNPROCESSABLE"   // well formed, but a business rule forbids it: 422
	Unavailable     Code = "UNAVAILABLE"     // the database cannot be reached: 503
	Canceled        Code = "CANCELED"        // the client went away before the answer: 499, never seen
	Internal        Code = "INTERNAL"        // our fault: message hidden, cause logged
)

// Error is a failure the client can act on. Message is shown as is.
type Error struct {
	Code    Code
	Message string
	// Field names the one input field at fault, if there is one (GraphQL
	// extensions.field).
	Field string
	// Problems lists every problem of a validation failure, one sentence each;
	// Configure8 400 bodies carry them as the message array.
	Problems []string
	// Reason is the Configmonkey error code ("invalid_slug", "domain_not_found"),
	// for the config store's wire shape.
	Reason string
	// Cause is the underlying error of an Internal failure; it is logged, never shown.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the cause of an Internal error.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with code c and a formatted message.
func Errorf(c Code, format string, args ...any) *Error {
	return &Error{Code: c, Message: fmt.Sprintf(format, args...)}
}

// InternalError wraps an unexpected failure; its message is never shown.
func InternalError(cause error) *Error {
	return &Error{Code: Internal, Message: "Internal server error", Cause: cause}
}

// ErrorCode returns the code of err: the code of the first *Error in its chain,
// or Internal for any other error. A nil error has no code.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// AsError returns err as an *Error, wrapping anything unknown as Internal.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return InternalError(err)
}

// Problems collects validation problems so a caller gets all of them at once.
type Problems struct {
	list  []string
	field string
}

// Add records a problem about field (a dotted input path, may be empty).
func (p *Problems) Add(field, format string, args ...any) {
	if len(p.list) == 0 {
		p.field = field
	}
	p.list = append(p.list, fmt.Sprintf(format, args...))
}

// Err returns nil when nothing was added, else an Invalid error listing every
// problem; Field is set when exactly one problem was found.
func (p *Problems) Err() error {
	if len(p.list) == 0 {
		return nil
	}
	e := &Error{Code: Invalid, Message: strings.Join(p.list, "; "), Problems: p.list}
	if len(p.list) == 1 {
		e.Field = p.field
	}
	return e
}
