package lakebase

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// translate turns an error of a database call into our vocabulary. It is the
// one place that knows pgx's error shapes. parent is the caller's context
// (not the store's bounded one), to tell a client that went away from a
// database that did not answer in time.
func translate(parent context.Context, err error) error {
	if err == nil {
		return nil
	}
	if e := apperr.As(err); e != nil {
		return e
	}
	if errors.Is(parent.Err(), context.Canceled) {
		// The client went away: nobody will read the answer, and it is no
		// failure of ours or of Lakebase. (A parent whose deadline passed
		// is the database not answering in time, below.)
		return apperr.Wrap(apperr.Canceled, "The request was cancelled.", parent.Err())
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return unavailable("Lakebase did not answer in time; try again shortly.", err)
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		if serverUnavailable(pgErr.Code) {
			return unavailable("Lakebase is not available; try again shortly.", err)
		}
		if strings.HasPrefix(pgErr.Code, "22") {
			// A data exception: valid JSON that Postgres cannot keep, such
			// as a NUL character (22P05) in a JSONB string. The client sent
			// it, so it is the client's to fix.
			return &apperr.Error{Kind: apperr.Invalid, Reason: "unstorable_value", Err: err,
				Detail: "The value cannot be stored: it holds something Postgres does not accept in JSON (such as the character \\u0000)."}
		}
		return apperr.Wrap(apperr.Internal, "", err)
	}
	if unreachable(err) {
		return unavailable("Lakebase is not reachable; try again shortly.", err)
	}
	return apperr.Wrap(apperr.Internal, "", err)
}

func unavailable(detail string, cause error) error {
	return &apperr.Error{Kind: apperr.Unavailable, Detail: detail, Reason: "lakebase_unavailable", Err: cause}
}

// serverUnavailable reports whether a Postgres error code says the server
// cannot serve now (rather than that our statement is wrong): connection
// exceptions (08), shutdown and start-up (57P01-57P03), too many connections
// (53300), and a refused login (28000, 28P01: an expired or revoked
// credential, which is then dropped so that the next connection gets a new
// one).
func serverUnavailable(code string) bool {
	switch {
	case strings.HasPrefix(code, "08"):
		return true
	case code == "57P01", code == "57P02", code == "57P03", code == "53300", loginRefused(code):
		return true
	}
	return false
}

// loginRefused reports whether a Postgres error code says the login was
// refused: invalid password (28P01) or authorization (28000). On Lakebase
// that is an expired or revoked credential.
func loginRefused(code string) bool {
	return code == "28P01" || code == "28000"
}

// unreachable reports whether err is a failure to reach the server or a
// connection lost mid-way.
func unreachable(err error) bool {
	var connectErr *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connectErr), errors.As(err, &netErr):
		return true
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.EPIPE):
		return true
	case pgconn.SafeToRetry(err):
		// pgx never sent the statement: the connection was unusable.
		return true
	}
	return false
}
