package auth

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// FuzzTokenScopes: any header value, however malformed, is read without a
// panic; what comes back is a sorted set of non-empty scopes without
// whitespace, and only a three-part token can be a JWT.
func FuzzTokenScopes(f *testing.F) {
	enc := base64.RawURLEncoding.EncodeToString
	for _, seed := range []string{
		"", "dapi0123", "a.b.c", "eyJhbGciOiJub25lIn0.eyJzY29wZSI6InNxbCJ9.", "a..c", "..", "a.b.c.d",
		"eyJhbGciOiJSUzI1NiJ9." + enc([]byte(`{"scope":"sql iam.current-user:read"}`)) + ".sig",
		"h." + enc([]byte(`{"scp":["serving.serving-endpoints","sql"]}`)) + ".s",
		"h." + enc([]byte(`{"scp":"a b","scope":["c d"]}`)) + ".s",
		"h." + enc([]byte(`{"scope":1,"scp":{"x":1}}`)) + ".s",
		"h." + enc([]byte(`{"scope":"\u00a0sql\t\n"}`)) + "==.s",
		"h." + enc([]byte(`[]`)) + ".s", "h." + enc([]byte(`null`)) + ".s",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, token string) {
		scopes, ok := TokenScopes(token)
		if !ok {
			if scopes != nil {
				t.Fatalf("not a JWT, yet scopes %q", scopes)
			}
			return
		}
		if strings.Count(token, ".") != 2 {
			t.Fatalf("%q read as a JWT", token)
		}
		if !slices.IsSorted(scopes) || len(slices.Compact(slices.Clone(scopes))) != len(scopes) {
			t.Fatalf("scopes %q are not a sorted set", scopes)
		}
		for _, s := range scopes {
			if s == "" || strings.ContainsFunc(s, isSpace) {
				t.Fatalf("scope %q is empty or holds whitespace", s)
			}
		}
	})
}

// FuzzScopeClaims: whatever scope text a token carries, in the `scope`
// string or the `scp` array, reading it back gives its words.
func FuzzScopeClaims(f *testing.F) {
	f.Add("sql iam.current-user:read", false)
	f.Add("serving.serving-endpoints  dashboards.genie", true)
	f.Add("", true)
	f.Add(" \t\u2003x", false)
	f.Fuzz(func(t *testing.T, text string, asArray bool) {
		claims := map[string]any{"scope": text}
		if asArray {
			claims = map[string]any{"scp": []string{text}}
		}
		payload, err := json.Marshal(claims)
		if err != nil {
			t.Skip()
		}
		var back map[string]any
		if json.Unmarshal(payload, &back) != nil {
			t.Skip()
		}
		token := "h." + base64.RawURLEncoding.EncodeToString(payload) + ".s"
		got, ok := TokenScopes(token)
		if !ok {
			t.Fatalf("a token with claims %s is not read", payload)
		}
		// encoding/json replaces invalid UTF-8 with U+FFFD; compare with what
		// the token really says.
		said := back["scope"]
		if asArray {
			said = back["scp"].([]any)[0]
		}
		want := strings.Fields(said.(string))
		slices.Sort(want)
		want = slices.Compact(want)
		if len(want) == 0 {
			want = nil
		}
		if !slices.Equal(got, want) {
			t.Fatalf("scopes %q, want %q", got, want)
		}
	})
}

// FuzzMissingScopes: the missing scopes are always among the needed ones;
// nothing is missing when every needed scope was granted as is, or when
// all-apis was granted; a needed scope granted as is is never missing.
func FuzzMissingScopes(f *testing.F) {
	f.Add("sql serving", "sql.statement-execution model-serving")
	f.Add("all-apis", "anything at:all")
	f.Add("", "iam.current-user:read")
	f.Add("catalog", "catalog.catalogs:read catalogx")
	f.Fuzz(func(t *testing.T, grantedText, neededText string) {
		granted, needed := strings.Fields(grantedText), strings.Fields(neededText)
		missing := MissingScopes(granted, needed)
		for _, m := range missing {
			if !slices.Contains(needed, m) {
				t.Fatalf("missing %q was not needed", m)
			}
			if slices.Contains(granted, m) {
				t.Fatalf("%q is reported missing but was granted", m)
			}
		}
		if slices.Contains(granted, "all-apis") && len(missing) > 0 {
			t.Fatalf("all-apis granted, yet %q missing", missing)
		}
		if len(MissingScopes(append(slices.Clone(granted), needed...), needed)) != 0 {
			t.Fatal("granting every needed scope leaves one missing")
		}
	})
}

func isSpace(r rune) bool { return strings.TrimSpace(string(r)) == "" }
