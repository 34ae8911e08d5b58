package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// kindStatus is the one mapping from our error kinds to HTTP.
var kindStatus = map[apperr.Kind]struct {
	status int
	title  string
}{
	apperr.Internal:        {http.StatusInternalServerError, "Internal error"},
	apperr.Invalid:         {http.StatusBadRequest, "Invalid request"},
	apperr.Unauthenticated: {http.StatusUnauthorized, "Not authenticated"},
	apperr.Forbidden:       {http.StatusForbidden, "Forbidden"},
	apperr.NotFound:        {http.StatusNotFound, "Not found"},
	apperr.TooLarge:        {http.StatusRequestEntityTooLarge, "Request too large"},
	apperr.RateLimited:     {http.StatusTooManyRequests, "Rate limited"},
	apperr.Upstream:        {http.StatusBadGateway, "Databricks failed"},
	apperr.Unavailable:     {http.StatusServiceUnavailable, "Service unavailable"},
	apperr.Timeout:         {http.StatusGatewayTimeout, "Databricks timed out"},
	apperr.Canceled:        {statusClientClosedRequest, "Client closed request"},
}

// statusClientClosedRequest is nginx's status for a request whose client
// went away first; no standard status says it, and no client reads it.
const statusClientClosedRequest = 499

// ErrShuttingDown is the cause with which the server cancels, on shutdown,
// the requests it has stopped waiting for (cmd/server cancels the context
// http.Server.BaseContext gives every request with
// context.WithCancelCause). Such a request ends as one whose client went
// away would, its calls cancelled, but its client is still there: it is
// answered, logged and counted as a 503 shutting_down, not a 499.
var ErrShuttingDown = errors.New("the server is shutting down")

// shuttingDown is the problem of a request that ErrShuttingDown ended. It
// may have got as far as an agent, which may have acted: the detail says
// so, lest a client take it for "nothing happened".
func shuttingDown(err error) *apperr.Error {
	return &apperr.Error{Kind: apperr.Unavailable, Reason: "shutting_down", Err: err,
		Detail: "The server is shutting down and stopped this request before it finished; what the request set off (an agent invocation) may have taken effect."}
}

// problemWriter writes every error answer of the server.
type problemWriter struct{ log *slog.Logger }

// write answers err as an RFC 9457 problem. Only an *apperr.Error's Detail
// (and its structured fields) reach the client; any other error is a 500
// whose text goes to the log with the correlation id, never to the client.
func (p problemWriter) write(w http.ResponseWriter, r *http.Request, err error) {
	ctx := r.Context()
	e := apperr.As(err)
	switch {
	case e == nil:
		e = apperr.Wrap(apperr.Internal, "", err)
	case e.Kind == apperr.Canceled && errors.Is(context.Cause(ctx), ErrShuttingDown):
		e = shuttingDown(err)
	}
	ks, ok := kindStatus[e.Kind]
	if !ok {
		ks = kindStatus[apperr.Internal]
	}
	detail := e.Detail
	if e.Kind == apperr.Internal {
		detail = "An unexpected error occurred. Quote the correlation id when reporting it."
		p.log.ErrorContext(ctx, "internal error", "error", err.Error())
	} else if e.Err != nil {
		p.log.InfoContext(ctx, "request failed", "kind", e.Kind.String(), "reason", e.Reason, "error", e.Error())
	}
	kind := e.Reason
	if kind == "" {
		kind = e.Kind.String()
	}
	reqctx.MetaFrom(ctx).Reason = kind
	prob := api.Problem{
		Type:          "urn:onbehalf:problem:" + kind,
		Title:         ks.title,
		Status:        ks.status,
		Detail:        detail,
		Instance:      &r.URL.Path,
		CorrelationId: reqctx.CorrelationID(ctx),
	}
	if len(e.Fields) > 0 {
		fields := make([]api.FieldError, len(e.Fields))
		for i, f := range e.Fields {
			fields[i] = api.FieldError{Location: api.FieldErrorLocation(f.Location), Name: f.Name, Message: f.Message}
		}
		prob.Errors = &fields
	}
	if len(e.MissingScopes) > 0 {
		missing := e.MissingScopes
		steps := auth.RemediationSteps()
		prob.MissingScopes, prob.Remediation = &missing, &steps
	}
	if e.Kind == apperr.RateLimited && e.RetryAfter != "" {
		w.Header().Set("Retry-After", e.RetryAfter)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(ks.status)
	_ = json.NewEncoder(w).Encode(prob)
}
