package auth

import (
	"encoding/base64"
	"slices"
	"strings"
	"unicode"
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
	return payloadScopes(payload)
}

// payloadScopes returns the scopes of a JWT's decoded payload, and whether
// the payload can be read at all.
func payloadScopes(payload []byte) (scopes []string, ok bool) {
	var scope, scp scopeClaim
	if !scanClaims(payload, func(name, value []byte) {
		switch string(name) {
		case "scope":
			scope.decode(value)
		case "scp":
			scp.decode(value)
		}
	}) {
		return nil, false
	}
	scopes = append(scope, scp...)
	slices.Sort(scopes)
	return slices.Compact(scopes), true
}

// scopeClaim is the words of a scope claim in either shape seen in the wild:
// a space-separated string or an array of strings. A claim of any other
// shape holds no scopes (and does not make the token unreadable).
type scopeClaim []string

// decode reads the claim from its JSON value, by the value's first byte. A
// value that is neither a string nor an array leaves the claim as it was,
// as encoding/json leaves a field when a later duplicate key fails.
func (c *scopeClaim) decode(raw []byte) {
	if len(raw) == 0 {
		return
	}
	switch raw[0] {
	case '"':
		*c = strings.Fields(string(stringText(raw)))
	case '[':
		if list, ok := stringArray(raw); ok {
			*c = words(list)
		}
	}
}

// words splits each item of list at whitespace, dropping empty ones. The
// usual list holds one scope per item, and is returned as it is.
func words(list []string) []string {
	if !slices.ContainsFunc(list, func(item string) bool { return item == "" || strings.IndexFunc(item, unicode.IsSpace) >= 0 }) {
		return list
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, strings.Fields(item)...)
	}
	return out
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
