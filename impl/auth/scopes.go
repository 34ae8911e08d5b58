package auth

import (
	"encoding/base64"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
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
	encoded := strings.TrimRight(rest[:second], "=")
	buf := payloadBuffers.Get().(*[]byte)
	defer func() {
		if cap(*buf) <= maxPooledPayload {
			payloadBuffers.Put(buf)
		}
	}()
	payload, err := base64.RawURLEncoding.AppendDecode((*buf)[:0], []byte(encoded))
	*buf = payload
	if err != nil {
		return nil, false
	}
	return payloadScopes(payload)
}

// payloadBuffers are the buffers JWT payloads are decoded into. A payload is
// dropped once its scopes are read (they are copies), so a buffer serves
// one request after another rather than each request allocating its own.
var payloadBuffers = sync.Pool{New: func() any { return new([]byte) }}

// maxPooledPayload is the largest buffer kept for reuse; a larger payload's
// buffer is left to the garbage collector.
const maxPooledPayload = 16 << 10

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
	switch {
	case len(scp) == 0:
		scopes = scope
	case len(scope) == 0:
		scopes = scp
	default:
		scopes = append(scope, scp...)
	}
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
	if !slices.ContainsFunc(list, notOneWord) {
		return list
	}
	out := make([]string, 0, len(list))
	for _, item := range list {
		out = append(out, strings.Fields(item)...)
	}
	return out
}

// notOneWord reports whether item is empty or holds whitespace (as
// strings.Fields has it), looking at ASCII bytes first.
func notOneWord(item string) bool {
	if item == "" {
		return true
	}
	for i := 0; i < len(item); i++ {
		switch c := item[i]; {
		case c >= utf8.RuneSelf:
			return strings.IndexFunc(item[i:], unicode.IsSpace) >= 0
		case c == ' ' || '\t' <= c && c <= '\r':
			return true
		}
	}
	return false
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
