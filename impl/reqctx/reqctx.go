// Package reqctx carries the identity of one request through its
// context.Context: the user's credential, the correlation id, and the facts
// that the request's log line and metrics report.
//
// The credential lives only in the request's context. Nothing in onbehalf
// stores it anywhere longer-lived, which is what guarantees that a request is
// served with its own token and never with another request's.
package reqctx

import (
	"context"
	"log/slog"
)

// AuthMethod says whose identity a request uses towards Databricks.
type AuthMethod string

// The auth methods.
const (
	// OBO is the signed-in user's own token (on behalf of).
	OBO AuthMethod = "obo"
	// ServicePrincipal is the app's identity; only for local development
	// with APP_SP_FALLBACK=true, never on Databricks Apps.
	ServicePrincipal AuthMethod = "service_principal"
)

// Credential is the token a request uses towards Databricks and whose it is.
type Credential struct {
	Token  string
	Method AuthMethod
}

// String keeps the token out of any log line or error a Credential reaches.
func (c Credential) String() string {
	return "Credential{method=" + string(c.Method) + ", token=<redacted>}"
}

type credentialKey struct{}

// LogValue keeps the token out of any slog line a Credential reaches.
func (c Credential) LogValue() slog.Value {
	return slog.GroupValue(slog.String("method", string(c.Method)), slog.Bool("token_present", c.Token != ""))
}

// WithCredential returns a context carrying c.
func WithCredential(ctx context.Context, c Credential) context.Context {
	return context.WithValue(ctx, credentialKey{}, c)
}

// CredentialFrom returns the request's credential, if it has one.
func CredentialFrom(ctx context.Context) (Credential, bool) {
	c, ok := ctx.Value(credentialKey{}).(Credential)
	return c, ok && c.Token != ""
}

// Meta is what is known about a request for its log line and metrics. The
// outermost middleware creates it; inner layers fill it in as they learn
// things (the route, the user). One request's Meta is only touched by the
// goroutine serving it.
type Meta struct {
	CorrelationID string
	// Route is the matched route pattern (never the raw path), or "" when none matched.
	Route string
	// Operation is the contract's operation id, when an API operation matched.
	Operation  string
	UserID     string
	AuthMethod AuthMethod
	// Reason is the fixed label of the error the request was answered with
	// (apperr.Error.Reason, or its kind), "" when it succeeded.
	Reason string
	// Retries counts the retries of Databricks calls made for the request.
	Retries int
	// Auth is the request's authentication decision, nil until one is made
	// (only API operations make one).
	Auth *AuthDecision
	// ScopeCheck is what the scope check found, nil until it ran. It is
	// logged on the request's auth_event line.
	ScopeCheck *ScopeCheck
}

// ScopeCheck holds facts about the token whose scopes were checked: never the
// token, nor any part of it.
type ScopeCheck struct {
	TokenLength int
	// TokenIsJWT is false for a token whose scopes cannot be read (a personal
	// access token): Databricks decides on those.
	TokenIsJWT bool
	// Scopes are the scopes the token carries; Required, those the operation needs.
	Scopes, Required []string
	// RequiredPresent is whether Scopes satisfy Required.
	RequiredPresent bool
	// Missing are the required scopes the token lacks (none for a token
	// that is not a JWT: Databricks decides on those).
	Missing []string
}

// AuthDecision is the outcome of authenticating one API request: whether its
// credential was accepted and, if not, why, in a fixed vocabulary.
type AuthDecision struct {
	// TokenPresent is whether a user token was presented (the header, or
	// DATABRICKS_USER_TOKEN in local development); false for the
	// service-principal fallback.
	TokenPresent bool
	Success      bool
	// Reason is one of a small fixed set (see auth.FailureReasons); "" on success.
	Reason string
}

type metaKey struct{}

// WithMeta returns a context carrying m.
func WithMeta(ctx context.Context, m *Meta) context.Context {
	return context.WithValue(ctx, metaKey{}, m)
}

// MetaFrom returns the request's Meta. Outside a request it returns a
// throwaway Meta, so callers never need a nil check.
func MetaFrom(ctx context.Context) *Meta {
	if m, ok := LookupMeta(ctx); ok {
		return m
	}
	return &Meta{}
}

// LookupMeta returns the request's Meta, and false outside a request (the
// app's own work, such as a Lakebase credential for a new pooled
// connection).
func LookupMeta(ctx context.Context) (*Meta, bool) {
	m, ok := ctx.Value(metaKey{}).(*Meta)
	return m, ok
}

// CorrelationID returns the request's correlation id, or "".
func CorrelationID(ctx context.Context) string {
	return MetaFrom(ctx).CorrelationID
}
