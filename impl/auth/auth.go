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
// is no token, Forbidden (with MissingScopes) when scopes are missing.
func (a *Authenticator) Authenticate(ctx context.Context, r *http.Request, required []string) (context.Context, error) {
	cred, err := a.credential(ctx, r)
	if err != nil {
		a.log.WarnContext(ctx, "auth_event", "event", "authentication", "token_present", false,
			"auth_method", "none", "reason", "missing_token")
		return ctx, err
	}
	meta := reqctx.MetaFrom(ctx)
	meta.AuthMethod = cred.Method
	if cred.Method == reqctx.ServicePrincipal {
		a.log.WarnContext(ctx, "request served with the app's service principal, not a user: local development fallback (APP_SP_FALLBACK=true)",
			"auth_method", cred.Method)
	}
	if err := a.checkScopes(ctx, cred, required); err != nil {
		return ctx, err
	}
	return reqctx.WithCredential(ctx, cred), nil
}

func (a *Authenticator) credential(ctx context.Context, r *http.Request) (reqctx.Credential, error) {
	if tok := strings.TrimSpace(r.Header.Get(TokenHeader)); tok != "" {
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
		Reason: "missing_token",
	}
}

// checkScopes refuses a JWT that lacks a required scope, before any call to
// Databricks is made. Tokens that are not JWTs (personal access tokens) are
// passed on unchecked: Databricks itself will decide.
func (a *Authenticator) checkScopes(ctx context.Context, cred reqctx.Credential, required []string) error {
	granted, isJWT := TokenScopes(cred.Token)
	missing := []string(nil)
	if isJWT {
		missing = MissingScopes(granted, required)
	}
	// The token itself is never logged, nor any part of it: only facts about it.
	a.log.InfoContext(ctx, "auth_event", "event", "scope_check", "token_present", true, "token_length", len(cred.Token),
		"token_is_jwt", isJWT, "auth_method", cred.Method, "scopes", granted, "required_scopes", required,
		"required_present", len(missing) == 0)
	if len(missing) == 0 {
		return nil
	}
	return &apperr.Error{
		Kind:          apperr.Forbidden,
		Detail:        "Your access token lacks the OAuth scopes this operation needs: " + strings.Join(missing, ", ") + ".",
		MissingScopes: missing,
		Reason:        "missing_scope",
	}
}

// RemediationSteps is what a user whose token lacks a scope must do, in order.
func RemediationSteps() []string {
	return []string{
		"An app administrator adds the missing scopes under the app's User Authorization settings in Databricks (user_api_scopes in databricks.yml).",
		"The administrator restarts (redeploys) the app so that the new scopes take effect.",
		"The user signs out and opens the app again to re-consent; a private browser window forces the consent screen. Tokens issued before the change keep their old scopes.",
	}
}
