// Package auth decides, for each API request, which credential it uses
// towards Databricks, and refuses it early when it cannot work: no token
// (401) or a token without the scopes the operation needs (403, with the
// steps to re-consent).
package auth

import (
	"context"
	"log/slog"
	"net/http"
	"strings"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// TokenHeader is where the Databricks Apps proxy puts the user's token.
const TokenHeader = "X-Forwarded-Access-Token"

// Config is how requests without the header are treated.
type Config struct {
	// LocalUserToken, in local development only, stands in for a missing
	// header (DATABRICKS_USER_TOKEN, as printed by `databricks auth token`).
	LocalUserToken string
	// ServicePrincipalToken, in local development only with
	// APP_SP_FALLBACK=true, gives the app's own token for a request without
	// a user token. nil means no fallback, which is the rule on Databricks Apps.
	ServicePrincipalToken func(ctx context.Context) (string, error)
}

// Authenticator resolves the credential of each request.
type Authenticator struct {
	cfg Config
	log *slog.Logger
}

// New returns an Authenticator.
func New(cfg Config, log *slog.Logger) *Authenticator {
	return &Authenticator{cfg: cfg, log: log}
}

// Authenticate returns ctx carrying the request's credential, after checking
// that its token has the required scopes. Errors: Unauthenticated when there
// is no token or it is malformed, Forbidden (with MissingScopes) when scopes
// are missing. A refusal is the request's authentication decision, recorded
// here; once the credential passes, the caller makes the decision with
// Decide when the operation ends.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, required []string) (context.Context, error) {
	meta := reqctx.MetaFrom(ctx)
	cred, err := a.credential(ctx, r)
	if err != nil {
		reason, failed := failureReason(err)
		if !failed {
			reason = ReasonOther
		}
		// A header of only spaces is no token, as credential has it.
		meta.Auth = &reqctx.AuthDecision{TokenPresent: strings.TrimSpace(r.Header.Get(TokenHeader)) != "", Reason: reason}
		return ctx, err
	}
	meta.AuthMethod = cred.Method
	if cred.Method == reqctx.ServicePrincipal {
		a.log.WarnContext(ctx, "request served with the app's service principal, not a user: local development fallback (APP_SP_FALLBACK=true)",
			"auth_method", cred.Method)
	}
	if missing := a.missingScopes(ctx, cred, required); len(missing) > 0 {
		meta.Auth = &reqctx.AuthDecision{TokenPresent: true, Reason: ReasonMissingScope}
		return ctx, &apperr.Error{
			Kind:          apperr.Forbidden,
			Detail:        "Your access token lacks the OAuth scopes this operation needs: " + strings.Join(missing, ", ") + ".",
			MissingScopes: missing,
			Reason:        ReasonMissingScope,
		}
	}
	return reqctx.WithCredential(ctx, cred), nil
}

func (a *Authenticator) credential(ctx context.Context, r *http.Request) (reqctx.Credential, error) {
	if tok := strings.TrimSpace(r.Header.Get(TokenHeader)); tok != "" {
		if !wellFormedToken(tok) {
			// The detail never echoes the token, not even a part of it.
			return reqctx.Credential{}, &apperr.Error{
				Kind:   apperr.Unauthenticated,
				Detail: "The " + TokenHeader + " header does not hold a well-formed token (it must be the bare token, without a \"Bearer\" prefix, spaces or control characters).",
				Reason: ReasonInvalidToken,
			}
		}
		return reqctx.Credential{Token: tok, Method: reqctx.OBO}, nil
	}
	if a.cfg.LocalUserToken != "" {
		return reqctx.Credential{Token: a.cfg.LocalUserToken, Method: reqctx.OBO}, nil
	}
	if a.cfg.ServicePrincipalToken != nil {
		tok, err := a.cfg.ServicePrincipalToken(ctx)
		if err != nil {
			return reqctx.Credential{}, err
		}
		return reqctx.Credential{Token: tok, Method: reqctx.ServicePrincipal}, nil
	}
	return reqctx.Credential{}, &apperr.Error{
		Kind:   apperr.Unauthenticated,
		Detail: "The " + TokenHeader + " header is missing. Databricks Apps sets it for signed-in users; in local development set DATABRICKS_USER_TOKEN (see the README).",
		Reason: ReasonMissingToken,
	}
}

// wellFormedToken reports whether tok can be a bearer token at all (RFC 6750's
// b64token characters): anything else would be rejected by Databricks, or
// could not even be sent in an Authorization header.
func wellFormedToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if !tokenChars[tok[i]] {
			return false
		}
	}
	return true
}

// tokenChars marks the bytes of RFC 6750's b64token; a byte of a multi-byte
// UTF-8 character is never one.
var tokenChars = func() (set [256]bool) {
	for _, c := range "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=" {
		set[c] = true
	}
	return set
}()

// missingScopes returns the required scopes a JWT lacks, before any call to
// Databricks is made. Tokens that are not JWTs (personal access tokens) are
// passed on unchecked: Databricks itself will decide. Every check leaves
// facts about the token (its length, the scopes found, whether the required
// ones are present and which are missing), never the token or any part of
// it, on the request's Meta; the request's one auth_event line logs them
// with the decision (observe.Requests), so that a request writes one line
// about its authentication, not two.
func (a *Authenticator) missingScopes(ctx context.Context, cred reqctx.Credential, required []string) []string {
	granted, isJWT := TokenScopes(cred.Token)
	var missing []string
	if isJWT {
		missing = MissingScopes(granted, required)
	}
	reqctx.MetaFrom(ctx).ScopeCheck = &reqctx.ScopeCheck{
		TokenLength: len(cred.Token), TokenIsJWT: isJWT, Scopes: granted, Required: required,
		RequiredPresent: len(missing) == 0, Missing: missing,
	}
	return missing
}

// RemediationSteps is what a user whose token lacks a scope must do, in order.
func RemediationSteps() []string {
	return []string{
		"An app administrator adds the missing scopes under the app's User Authorization settings in Databricks (user_api_scopes in databricks.yml).",
		"The administrator restarts (redeploys) the app so that the new scopes take effect.",
		"The user signs out and opens the app again to re-consent; a private browser window forces the consent screen. Tokens issued before the change keep their old scopes.",
	}
}
