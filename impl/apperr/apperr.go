// Package apperr is the one error vocabulary of onbehalf.
//
// Every layer returns these kinds for outcomes a client should hear about;
// the HTTP layer maps them to a status and an RFC 9457 problem in exactly one
// place (httpapi's problem writer). Detail is written for the client and must
// never hold a secret or internal error text; the wrapped cause is logged with
// the request's correlation id and never sent.
package apperr

import (
	"errors"
	"fmt"
)

// Kind classifies an error by what the client should hear.
type Kind uint8

// The kinds, each with the HTTP status the problem writer gives it.
const (
	Internal        Kind = iota // 500: a bug or an unexpected failure
	Invalid                     // 400: the request is malformed or out of range
	Unauthenticated             // 401: no token, or Databricks rejected it
	Forbidden                   // 403: a missing scope, or Databricks denied access
	NotFound                    // 404: no such resource, or not visible to the user
	TooLarge                    // 413: the request body is over its limit
	RateLimited                 // 429: Databricks rate-limited us; never retried
	Upstream                    // 502: Databricks failed on every attempt
	Unavailable                 // 503: a dependency (Lakebase) is off or down
	Timeout                     // 504: Databricks did not answer in time
	// Canceled is a request whose client went away before its answer
	// (a closed tab, a fetch aborted by the front end): 499, as nginx
	// logs it. Nobody reads the answer; the logs and metrics tell it from a
	// failure of ours.
	Canceled
)

var kindNames = [...]string{"internal", "invalid", "unauthenticated", "forbidden", "not_found", "too_large", "rate_limited", "upstream", "unavailable", "timeout", "canceled"}

// String returns the kind's name, as used in logs and metric labels.
func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", k)
}

// Field names one invalid parameter or body field.
type Field struct {
	Location string // path, query, header or body
	Name     string // the parameter name, or a JSON pointer into the body
	Message  string
}

// Error is an error of a known kind.
type Error struct {
	Kind   Kind
	Detail string // for the client: what went wrong, never a secret
	// Fields lists the invalid inputs of an Invalid error.
	Fields []Field
	// MissingScopes lists the OAuth scopes a Forbidden token lacks.
	MissingScopes []string
	// RetryAfter is the upstream Retry-After header of a RateLimited error.
	RetryAfter string
	// Reason is a short fixed label for logs and metrics (e.g. "missing_token").
	Reason string
	// Err is the cause, for the logs only.
	Err error
}

// Error returns the detail and the cause, for logs. It is never sent to a client.
func (e *Error) Error() string {
	if e.Err == nil {
		return e.Kind.String() + ": " + e.Detail
	}
	return e.Kind.String() + ": " + e.Detail + ": " + e.Err.Error()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// New returns an error of kind with a detail for the client.
func New(kind Kind, detail string) *Error {
	return &Error{Kind: kind, Detail: detail}
}

// Wrap returns an error of kind with a detail for the client and a cause for the logs.
func Wrap(kind Kind, detail string, cause error) *Error {
	return &Error{Kind: kind, Detail: detail, Err: cause}
}

// As returns the *Error in err's chain, or nil.
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// KindOf returns the kind of err: Internal unless err carries an *Error.
func KindOf(err error) Kind {
	if e := As(err); e != nil {
		return e.Kind
	}
	return Internal
}
