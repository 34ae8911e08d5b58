package fakeworkspace

import (
	"net/http"
	"net/url"
	"strings"
	"time"
)

// hostMetadata answers the SDK's host discovery, which it fetches once per
// config when it resolves it (config.HostMetadata). host_type must be
// "workspace": the SDK normalises lower-case names and treats anything else
// (WORKSPACE_HOST included) as unknown.
func (w *Workspace) hostMetadata(rw http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	writeJSON(rw, http.StatusOK, map[string]any{
		"oidc_endpoint": base + "/oidc",
		"workspace_id":  DefaultWorkspaceID,
		"cloud":         "aws",
		"host_type":     "workspace",
		"token_federation_default_oidc_audiences": []string{base + "/oidc/v1/token"},
	})
}

// oidcDiscovery is the OAuth authorization server metadata (RFC 8414). The
// SDK reads authorization_endpoint and token_endpoint.
func (w *Workspace) oidcDiscovery(rw http.ResponseWriter, r *http.Request) {
	base := baseURL(r)
	writeJSON(rw, http.StatusOK, map[string]any{
		"issuer":                                base + "/oidc",
		"authorization_endpoint":                base + "/oidc/v1/authorize",
		"token_endpoint":                        base + "/oidc/v1/token",
		"jwks_uri":                              base + "/oidc/jwks.json",
		"grant_types_supported":                 []string{"client_credentials", "authorization_code", "refresh_token"},
		"response_types_supported":              []string{"code"},
		"token_endpoint_auth_methods_supported": []string{"client_secret_basic", "client_secret_post"},
		"code_challenge_methods_supported":      []string{"S256"},
		"scopes_supported":                      []string{ScopeAllAPIs, "offline_access"},
	})
}

// tokenPath is the token endpoint's path.
const tokenPath = "/oidc/v1/token"

// oauthToken is the token endpoint, for the client credentials grant of the
// service principal (what the SDK's oauth-m2m auth does). Errors follow
// RFC 6749 ({"error": ...}), not the Databricks error shape.
func (w *Workspace) oauthToken(rw http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeOAuthError(rw, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		writeOAuthError(rw, http.StatusBadRequest, "unsupported_grant_type", "grant_type "+gt+" is not supported")
		return
	}
	id, secret, ok := r.BasicAuth()
	if ok {
		// golang.org/x/oauth2 URL-encodes both before basic auth, as
		// RFC 6749 section 2.3.1 says.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
	} else {
		id, secret = r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	}
	sp := w.ServicePrincipalInfo()
	wantID, wantSecret := sp.ClientID, sp.ClientSecret
	if id == "" || id != wantID || secret != wantSecret {
		writeOAuthError(rw, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	scope := r.PostForm.Get("scope")
	if scope == "" {
		scope = ScopeAllAPIs
	}
	token := w.issueServicePrincipalToken(strings.Fields(scope))
	lifetime := sp.TokenLifetime
	if lifetime <= 0 {
		lifetime = time.Hour
	}
	writeJSON(rw, http.StatusOK, map[string]any{
		"access_token": token,
		"token_type":   "Bearer",
		"expires_in":   int(lifetime / time.Second),
		"scope":        scope,
	})
}

// writeOAuthError answers with an OAuth error body (RFC 6749 section 5.2),
// the token endpoint's shape.
func writeOAuthError(rw http.ResponseWriter, status int, code, description string) {
	writeJSON(rw, status, map[string]string{"error": code, "error_description": description})
}

// oauthErrorCodeFor is the RFC 6749 error code a token endpoint answers
// with a status. RFC 6749 has none for 429 or an outage of the token
// endpoint itself; temporarily_unavailable is its authorization endpoint's.
func oauthErrorCodeFor(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "invalid_client"
	case status == http.StatusTooManyRequests, status == http.StatusServiceUnavailable:
		return "temporarily_unavailable"
	case status >= 500:
		return "server_error"
	}
	return "invalid_request"
}
