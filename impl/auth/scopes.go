package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
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
	var claims struct {
		Scope scopeClaim `json:"scope"`
		Scp   scopeClaim `json:"scp"`
	}
	if err := json.Unmarshal(payload, &claims); err != nil {
		return nil, false
	}
	scopes = append(claims.Scope, claims.Scp...)
	slices.Sort(scopes)
	return slices.Compact(scopes), true
}

// scopeClaim is the words of a scope claim in either shape seen in the wild:
// a space-separated string or an array of strings. It is decoded in one pass,
// by the claim's first byte, so that the payload is parsed once. A claim of
// any other shape holds no scopes (and does not make the token unreadable).
type scopeClaim []string

func (c *scopeClaim) UnmarshalJSON(raw []byte) error {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			*c = strings.Fields(s)
		}
	case '[':
		// Room for the usual handful of scopes, so decoding does not grow it.
		list := make([]string, 0, 16)
		if json.Unmarshal(raw, &list) == nil {
			*c = words(list)
		}
	}
	return nil
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
