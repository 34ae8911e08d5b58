package auth

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
)

// TokenScopes returns the OAuth scopes of a JWT-shaped token, read from its
// payload's `scope` (space-separated) or `scp` (array) claim, and whether the
// token is a JWT at all. The signature is not checked: the Databricks Apps
// proxy issued the token, and Databricks checks it on every call; the scopes
// are read only to fail early with a helpful message. A token that is not a
// JWT (a personal access token in local development) reports ok=false.
func TokenScopes(token string) (scopes []string, ok bool) {
	first := strings.IndexByte(token, '.')
	if first <= 0 {
		return nil, false
	}
	rest := token[first+1:]
	second := strings.IndexByte(rest, '.')
	if second <= 0 || strings.IndexByte(rest[second+1:], '.') >= 0 {
		return nil, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(rest[:second], "="))
	if err != nil {
		return nil, false
	}
	var claims struct {
		Scope json.RawMessage `json:"scope"`
		Scp   json.RawMessage `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, false
	}
	scopes = append(parseScopeClaim(claims.Scope), parseScopeClaim(claims.Scp)...)
	slices.Sort(scopes)
	return slices.Compact(scopes), true
}

// parseScopeClaim accepts both shapes seen in the wild: a space-separated
// string and an array of strings.
func parseScopeClaim(raw json.RawMessage) []string {
	if len(raw) == 0 {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.Fields(s)
	}
	var list []string
	if json.Unmarshal(raw, &list) == nil {
		var out []string
		for _, item := range list {
			out = append(out, strings.Fields(item)...)
		}
		return out
	}
	return nil
}

// aliases groups the names Databricks uses for the same scope.
var aliases = [][]string{
	{"serving.serving-endpoints", "model-serving", "serving"},
	{"dashboards.genie", "genie"},
}

// satisfies reports whether the granted scope grants the needed one: the
// same scope, a known alias of it, or a parent of it (`sql` grants
// `sql.statement-execution`; `all-apis` grants everything).
func satisfies(granted, needed string) bool {
	if granted == needed || granted == "all-apis" {
		return true
	}
	if strings.HasPrefix(needed, granted+".") || strings.HasPrefix(needed, granted+":") {
		return true
	}
	for _, group := range aliases {
		if slices.Contains(group, granted) && slices.Contains(group, needed) {
			return true
		}
	}
	return false
}

// MissingScopes returns the needed scopes that nothing in granted satisfies.
func MissingScopes(granted, needed []string) []string {
	var missing []string
	for _, n := range needed {
		if !slices.ContainsFunc(granted, func(g string) bool { return satisfies(g, n) }) {
			missing = append(missing, n)
		}
	}
	return missing
}
