package auth

import (
	"context"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// The reasons an authentication decision fails with: the values of the
// reason label of auth_failure_total and of the auth_event log line. The set
// is fixed so that the metric's label values stay bounded.
const (
	ReasonMissingToken  = "missing_token"
	ReasonInvalidToken  = "invalid_token"
	ReasonMissingScope  = "missing_scope"
	ReasonUpstream401   = "upstream_401"
	ReasonUpstream403   = "upstream_403"
	ReasonRateLimited   = "rate_limited"
	ReasonUpstreamError = "upstream_error"
	ReasonTimeout       = "timeout"
	// ReasonOther stands for a failure to obtain a credential outside the set
	// above (the local service-principal fallback could not get a token).
	ReasonOther = "other"
)

// FailureReasons lists every reason a decision can fail with.
func FailureReasons() []string {
	return []string{ReasonMissingToken, ReasonInvalidToken, ReasonMissingScope, ReasonUpstream401,
		ReasonUpstream403, ReasonRateLimited, ReasonUpstreamError, ReasonTimeout, ReasonOther}
}

// failureReason returns the fixed reason of err when err means the request's
// credential was not accepted, and ok=false when it says nothing about the
// credential (a missing resource, Lakebase being down, a bug): Databricks
// accepted the token in those cases, or was never asked to judge it.
// Rate limits, upstream failures and timeouts count as failures: the request
// could not be authorised by Databricks, whatever the token's worth.
func failureReason(err error) (reason string, ok bool) {
	if err == nil {
		return "", false
	}
	e := apperr.As(err)
	if e == nil {
		return "", false
	}
	switch e.Reason {
	case ReasonMissingToken, ReasonInvalidToken, ReasonMissingScope, ReasonUpstream401,
		ReasonUpstream403, ReasonRateLimited, ReasonUpstreamError, ReasonTimeout:
		return e.Reason, true
	}
	switch e.Kind {
	case apperr.Timeout:
		return ReasonTimeout, true
	case apperr.RateLimited:
		return ReasonRateLimited, true
	case apperr.Upstream:
		return ReasonUpstreamError, true
	}
	return "", false
}

// Decide makes the authentication decision of a request whose credential
// passed Authenticate, from the error the operation ended with (nil on
// success): success unless Databricks rejected the token (401/403) or could
// not be asked (rate limit, failure, timeout). It records the decision on the
// request's Meta, where the metrics and the request's one auth_event line
// (observe.Requests) report it.
func (a *Authenticator) Decide(ctx context.Context, err error) {
	cred, _ := reqctx.CredentialFrom(ctx)
	// A request served by the service-principal fallback presented no token.
	d := reqctx.AuthDecision{TokenPresent: cred.Method == reqctx.OBO, Success: true}
	if reason, failed := failureReason(err); failed {
		d.Success, d.Reason = false, reason
	}
	reqctx.MetaFrom(ctx).Auth = &d
}
