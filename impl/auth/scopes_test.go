package auth

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

// jwt builds a JWT-shaped token with the given claims and a fake signature.
func jwt(t *testing.T, claims map[string]any) string {
	t.Helper()
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256","typ":"JWT"}`)) + "." + enc(payload) + "." + enc([]byte("sig"))
}

func TestTokenScopesReadsScopeAndScpClaims(t *testing.T) {
	tests := []struct {
		name   string
		token  string
		want   []string
		wantOK bool
	}{
		{"scope string", jwt(t, map[string]any{"scope": "sql iam.current-user:read"}), []string{"iam.current-user:read", "sql"}, true},
		{"scp array", jwt(t, map[string]any{"scp": []string{"serving.serving-endpoints", "sql"}}), []string{"serving.serving-endpoints", "sql"}, true},
		{"both merged", jwt(t, map[string]any{"scope": "sql", "scp": []string{"genie"}}), []string{"genie", "sql"}, true},
		{"no scope claim", jwt(t, map[string]any{"sub": "alice"}), nil, true},
		{"personal access token", "dapi0123456789abcdef", nil, false},
		{"two parts", "aaa.bbb", nil, false},
		{"four parts", "a.b.c.d", nil, false},
		{"payload not base64", "aaa.!!!.ccc", nil, false},
		{"payload not JSON", "aaa." + base64.RawURLEncoding.EncodeToString([]byte("nope")) + ".ccc", nil, false},
		{"empty", "", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := TokenScopes(tt.token)
			if ok != tt.wantOK || !slices.Equal(got, tt.want) {
				t.Errorf("TokenScopes = %v, %v; want %v, %v", got, ok, tt.want, tt.wantOK)
			}
		})
	}
}

func TestMissingScopesAcceptsAliasesAndParents(t *testing.T) {
	tests := []struct {
		name    string
		granted []string
		needed  []string
		want    []string
	}{
		{"exact", []string{"serving.serving-endpoints"}, []string{"serving.serving-endpoints"}, nil},
		{"alias model-serving", []string{"model-serving"}, []string{"serving.serving-endpoints"}, nil},
		{"alias serving", []string{"serving"}, []string{"serving.serving-endpoints"}, nil},
		{"genie alias", []string{"genie"}, []string{"dashboards.genie"}, nil},
		{"parent sql", []string{"sql"}, []string{"sql.statement-execution"}, nil},
		{"all-apis", []string{"all-apis"}, []string{"catalog.tables:read"}, nil},
		{"missing", []string{"offline_access", "email"}, []string{"serving.serving-endpoints"}, []string{"serving.serving-endpoints"}},
		{"child does not grant parent", []string{"sql.statement-execution"}, []string{"sql"}, []string{"sql"}},
		{"prefix is not a parent", []string{"serv"}, []string{"serving.serving-endpoints"}, []string{"serving.serving-endpoints"}},
		{"some missing", []string{"sql"}, []string{"sql", "dashboards.genie"}, []string{"dashboards.genie"}},
		{"nothing needed", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := MissingScopes(tt.granted, tt.needed); !slices.Equal(got, tt.want) {
				t.Errorf("MissingScopes(%v, %v) = %v, want %v", tt.granted, tt.needed, got, tt.want)
			}
		})
	}
}

// The payload is decoded into a buffer that the next token reuses: the
// scopes read from one token must not change when another is read.
func TestScopesOutliveTheDecodedPayload(t *testing.T) {
	first, ok := TokenScopes(jwt(t, map[string]any{"scope": "sql genie", "scp": []string{"catalog.catalogs:read", "sql"}}))
	if !ok {
		t.Fatal("first token not read")
	}
	want := slices.Clone(first)
	for range 100 {
		TokenScopes(jwt(t, map[string]any{"scope": "qqq wwwww"})) // a shorter payload, in the same buffer
	}
	if !slices.Equal(first, want) || !slices.Equal(want, []string{"catalog.catalogs:read", "genie", "sql"}) {
		t.Fatalf("scopes of the first token became %q, were %q", first, want)
	}
}

func TestNotOneWordAsStringsFields(t *testing.T) {
	for _, item := range []string{"", "sql", "a b", "a\tb", "\v", "x\f", "\r", "a\u00a0b", "a\u0085", "\u2003", "é", "scope:read", "a\x00b"} {
		if got, want := notOneWord(item), len(strings.Fields(item)) != 1 || strings.Fields(item)[0] != item; got != want {
			t.Errorf("notOneWord(%q) = %v, want %v", item, got, want)
		}
	}
}
