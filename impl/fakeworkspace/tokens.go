package fakeworkspace

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The OAuth scopes of Databricks Apps user tokens, as the app's user
// authorization configures them.
const (
	ScopeCurrentUser   = "iam.current-user:read"
	ScopeAccessControl = "iam.access-control:read"
	ScopeServing       = "serving.serving-endpoints"
	ScopeCatalogs      = "catalog.catalogs:read"
	ScopeSchemas       = "catalog.schemas:read"
	ScopeTables        = "catalog.tables:read"
	ScopeSQL           = "sql"
	ScopeGenie         = "dashboards.genie"
	// ScopeAllAPIs is what OAuth M2M asks for; it satisfies every scope.
	ScopeAllAPIs = "all-apis"
)

// DefaultScopes are the scopes Databricks Apps always grants a user token,
// whatever the app asked for. Do not modify.
var DefaultScopes = []string{ScopeCurrentUser, ScopeAccessControl}

// AllScopes is every scope the onbehalf app asks for. Do not modify.
var AllScopes = []string{
	ScopeCurrentUser, ScopeAccessControl, ScopeServing,
	ScopeCatalogs, ScopeSchemas, ScopeTables, ScopeSQL, ScopeGenie,
}

// scopeAliases are older names the platform still accepts for a scope.
func scopeAliases(scope string) []string {
	if scope == ScopeServing {
		return []string{"model-serving", "serving"}
	}
	return nil
}

// tokenInfo is what a bearer token stands for.
type tokenInfo struct {
	// principal is the user name, or the service principal's client id.
	principal        string
	servicePrincipal bool
	// jwt tokens are scope-checked; opaque ones (PATs, the service
	// principal's) are not, as on the platform.
	jwt    bool
	scopes []string
}

// allows reports whether the token may call a path that needs scope ("" for
// none).
func (t tokenInfo) allows(scope string) bool {
	if scope == "" || !t.jwt || t.servicePrincipal || slices.Contains(t.scopes, ScopeAllAPIs) {
		return true
	}
	if slices.Contains(t.scopes, scope) {
		return true
	}
	for _, alias := range scopeAliases(scope) {
		if slices.Contains(t.scopes, alias) {
			return true
		}
	}
	return false
}

// IssueToken returns a new JWT-shaped OAuth token of the user with the
// scopes, like the one the Databricks Apps proxy forwards in
// X-Forwarded-Access-Token. It is not signed (the signature part is random);
// the fake knows its tokens by value. Each call returns a different token
// (the jti claim is unique). Pass DefaultScopes plus what the test needs, or
// AllScopes. The token is accepted while its user is in the workspace; a
// token of a user never added answers 401, like a token from elsewhere.
func (w *Workspace) IssueToken(userName string, scopes ...string) string {
	now := time.Now()
	clientID, _ := w.ServicePrincipal()
	claims, _ := json.Marshal(map[string]any{
		"sub":       userName,
		"iss":       tokenIssuer,
		"aud":       clientID,
		"client_id": clientID,
		"iat":       now.Unix(),
		"exp":       now.Add(time.Hour).Unix(),
		"jti":       randomUUID(),
		"scp":       append([]string{}, scopes...), // [] rather than null
		"scope":     strings.Join(scopes, " "),
	})
	tok := jwtShaped(claims)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tokens[tok] = tokenInfo{principal: userName, jwt: true, scopes: slices.Clone(scopes)}
	return tok
}

// IssuePAT returns a new opaque personal access token of the user. The fake
// does not check scopes on such tokens, as the platform does not.
func (w *Workspace) IssuePAT(userName string) string {
	tok := "dapi" + randomHex(16)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tokens[tok] = tokenInfo{principal: userName}
	return tok
}

// RevokeToken makes a token unknown: requests with it get 401 from then on.
func (w *Workspace) RevokeToken(token string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	delete(w.tokens, token)
}

// issueServicePrincipalToken returns a new opaque token of the service
// principal, as the OAuth token endpoint hands out.
func (w *Workspace) issueServicePrincipalToken(scopes []string) string {
	tok := "dosp" + randomHex(24)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.tokens[tok] = tokenInfo{principal: w.sp.ClientID, servicePrincipal: true, scopes: scopes}
	return tok
}

// lookupToken returns what a token stands for. A user token whose user is
// no longer in the workspace is unknown. The caller holds mu.
func (w *Workspace) lookupToken(token string) (tokenInfo, bool) {
	info, ok := w.tokens[token]
	if !ok || token == "" {
		return tokenInfo{}, false
	}
	if !info.servicePrincipal && w.usersByName[info.principal] == nil {
		return tokenInfo{}, false
	}
	return info, true
}

// tokenIssuer is the iss claim of the fake's JWT-shaped tokens.
const tokenIssuer = "https://fake-workspace.cloud.databricks.com/oidc"

// jwtShaped returns header.claims.signature, each part base64url without
// padding, the way a JWT looks; the signature is random bytes.
func jwtShaped(claims []byte) string {
	enc := base64.RawURLEncoding.EncodeToString
	header := `{"alg":"RS256","kid":"fakeworkspace","typ":"at+jwt"}`
	return enc([]byte(header)) + "." + enc(claims) + "." + enc([]byte(randomHex(32)))
}
