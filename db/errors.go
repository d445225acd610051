package db

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"cartograph/cartograph"
)

// PostgreSQL error codes db turns into domain codes; only this file looks at
// driver errors.
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
	pgSerialization       = "40001"
	pgDeadlock            = "40P01"
	pgLockTimeout         = "55P03"
	pgQueryCanceled       = "57014"
	pgAdminShutdown       = "57P01"
	pgCannotConnectNow    = "57P03"
)

// isUniqueViolation reports whether err is a unique-constraint failure,
// optionally of the named constraint.
func isUniqueViolation(err error, constraint string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == pgUniqueViolation &&
		(constraint == "" || pg.ConstraintName == constraint)
}

// isForeignKeyViolation reports whether err is a foreign-key failure.
func isForeignKeyViolation(err error) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == pgForeignKeyViolation
}

// wrap turns a driver error into a domain error: *cartograph.Error values pass
// through, a lost or refused connection is Unavailable, a request that ran out
// of time is Unavailable too, anything else is Internal (cause logged, never
// shown). Callers that expect a unique or foreign-key failure check for it
// first and give it a message of their own.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	var ce *cartograph.Error
	if errors.As(err, &ce) {
		return err
	}
	if errors.Is(err, context.Canceled) {
		return &cartograph.Error{Code: cartograph.Canceled, Message: "The request was canceled", Cause: err}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return &cartograph.Error{Code: cartograph.Unavailable, Message: "The request took too long", Cause: err}
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case pgUniqueViolation:
			return &cartograph.Error{Code: cartograph.Conflict, Message: "The object already exists", Cause: err}
		case pgSerialization, pgDeadlock, pgLockTimeout:
			return &cartograph.Error{Code: cartograph.Conflict, Message: "A concurrent change got in the way; retry", Cause: err}
		case pgQueryCanceled:
			return &cartograph.Error{Code: cartograph.Unavailable, Message: "The request took too long", Cause: err}
		case pgAdminShutdown, pgCannotConnectNow:
			return &cartograph.Error{Code: cartograph.Unavailable, Message: "The database is unavailable", Cause: err}
		}
		if strings.HasPrefix(pg.Code, "22") {
			// Data exceptions (a value out of range, a malformed literal) come
			// from what the caller sent; validation should have caught it first.
			return &cartograph.Error{Code: cartograph.Invalid, Message: "A value in the request is not valid: " + pg.Message, Cause: err}
		}
		return cartograph.InternalError(err)
	}
	var netErr net.Error
	var connErr *pgconn.ConnectError
	if errors.As(err, &netErr) || errors.As(err, &connErr) || errors.Is(err, sql.ErrConnDone) ||
		pgconn.SafeToRetry(err) {
		return &cartograph.Error{Code: cartograph.Unavailable, Message: "The database is unavailable", Cause: err}
	}
	return cartograph.InternalError(err)
}
