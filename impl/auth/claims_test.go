package auth

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// referenceClaims is scanClaims done by encoding/json: validity by
// json.Unmarshal into a struct (what TokenScopes did before scanClaims), and
// the members by json.Decoder.
func referenceClaims(payload []byte) (members [][2]string, ok bool) {
	var anyStruct struct{}
	if json.Unmarshal(payload, &anyStruct) != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(payload))
	if tok, _ := dec.Token(); tok != json.Delim('{') {
		return nil, true // null
	}
	for dec.More() {
		name, _ := dec.Token()
		var value json.RawMessage
		if err := dec.Decode(&value); err != nil {
			panic(err) // valid JSON, checked above
		}
		members = append(members, [2]string{name.(string), string(value)})
	}
	return members, true
}

// referenceScopes is payloadScopes done by encoding/json, as TokenScopes was
// before scanClaims (with claim names compared exactly).
func referenceScopes(payload []byte) ([]string, bool) {
	members, ok := referenceClaims(payload)
	if !ok {
		return nil, false
	}
	var scope, scp []string
	for _, m := range members {
		claim := &scope
		switch m[0] {
		case "scope":
		case "scp":
			claim = &scp
		default:
			continue
		}
		var text string
		var list []string
		if m[1][0] == '"' && json.Unmarshal([]byte(m[1]), &text) == nil {
			*claim = strings.Fields(text)
		} else if m[1][0] == '[' && json.Unmarshal([]byte(m[1]), &list) == nil {
			*claim = nil
			for _, item := range list {
				*claim = append(*claim, strings.Fields(item)...)
			}
		}
	}
	scopes := append(scope, scp...)
	slices.Sort(scopes)
	return slices.Compact(scopes), true
}

func scannedClaims(payload []byte) (members [][2]string, ok bool) {
	ok = scanClaims(payload, func(name, value []byte) {
		members = append(members, [2]string{string(name), string(value)})
	})
	if !ok {
		return nil, false
	}
	return members, true
}

// compareClaims fails t when scanClaims and encoding/json disagree on payload.
func compareClaims(t *testing.T, payload []byte) {
	t.Helper()
	want, wantOK := referenceClaims(payload)
	got, ok := scannedClaims(payload)
	if ok != wantOK {
		t.Fatalf("%q: valid = %v, encoding/json says %v", payload, ok, wantOK)
	}
	// json.RawMessage keeps the value as written, so compare as written.
	if !slices.Equal(got, want) {
		t.Fatalf("%q: members %q, encoding/json reads %q", payload, got, want)
	}
	wantScopes, _ := referenceScopes(payload)
	if gotScopes, _ := payloadScopes(payload); !slices.Equal(gotScopes, wantScopes) {
		t.Fatalf("%q: scopes %q, encoding/json reads %q", payload, gotScopes, wantScopes)
	}
}

func TestScanClaimsAgreesWithEncodingJSON(t *testing.T) {
	for _, payload := range []string{
		`{"scope":"sql","scp":["a","b"]}`, `null`, ` { } `, `{}x`, `[]`, `"s"`, `1`, `true`, ``, ` `,
		`{"a":{"b":[1,-2.5e+3,0,true,false,null,"x\"y\\z\/\b\f\n\r\t\u00e9"]},"scope":"q"}`,
		`{"sc\u006fpe":"escaped name"}`, `{"scope":"a","scope":"b"}`, `{"a":01}`, `{"a":1.}`, `{"a":.5}`,
		`{"a":-}`, `{"a":1e}`, `{"a":tru}`, `{"a":nul}`, `{"a":"\x"}`, `{"a":"\u12"}`, "{\"a\":\"\x01\"}",
		`{"a":1,}`, `{"a" 1}`, `{a:1}`, `{"a":[1,]}`, `{"a":[1 2]}`, `{"a":"unterminated}`, "{\"a\":\"\xff\"}",
		`{"a":1}}`, `{"a":1`, "\ufeff{}", `{"SCOPE":"upper"}`,
		`{"scope":"a b","scope":1}`, `{"scope":"a b","scope":null}`, `{"scp":["a",null," b c "]}`, `{"scp":["a",1]}`,
		`{"scp":"x y"}`, `{"scope":["p q"]}`, `{"scope":"\u0073ql\tx"}`, "{\"scope\":\"a\xffb c\"}", `{"scp":[]}`,
		`{"scope":{"a":"b"}}`, `{"scp":[["a"]]}`,
		// Items that are their own text and items that are not, in one array;
		// the second unescapes to as many bytes as it is written with.
		"{\"scp\":[\"sql\",\"\\\"\\\"\xff\",\"a\\u0020b\",\"c\"]}",
		strings.Repeat("[", 10000) + strings.Repeat("]", 10000),
	} {
		compareClaims(t, []byte(payload))
	}
	// Depth: encoding/json allows 10,000 levels and refuses 10,001.
	for _, depth := range []int{maxDepth - 1, maxDepth} {
		nested := `{"a":` + strings.Repeat("[", depth) + strings.Repeat("]", depth) + `}`
		compareClaims(t, []byte(nested))
	}
}

// FuzzScanClaims: on any payload, scanClaims and encoding/json agree on
// whether it is readable, on its top-level members, and on its scopes.
func FuzzScanClaims(f *testing.F) {
	for _, seed := range []string{
		`{"scope":"sql iam.current-user:read","scp":["sql"],"exp":1767225600,"nested":{"a":[1,2.5e-3,null]}}`,
		`null`, `[]`, `{"sc\u006fpe":"x"}`, `{"scp":["a b",null,"c"],"scope":"d\u0020e"}`, `{"a":"\ud800"}`, `{"a":-0.0E+1}`, `{"a":1,"a":true}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, payload []byte) {
		compareClaims(t, payload) // members and scopes
	})
}

// databricksToken is a token shaped like those of the Databricks Apps proxy:
// a kilobyte, with the scopes in both claims.
func databricksToken() string {
	enc := base64.RawURLEncoding.EncodeToString
	claims := fmt.Sprintf(`{"client_id":"6f2a4b9e-1c3d-4e5f-8a7b-9c0d1e2f3a4b","scope":"offline_access sql iam.current-user:read iam.access-control:read catalog.catalogs:read catalog.schemas:read catalog.tables:read serving.serving-endpoints dashboards.genie","sub":"4528312395632148","iss":"https://adb-1234567890123456.7.azuredatabricks.net/oidc","aud":"6f2a4b9e-1c3d-4e5f-8a7b-9c0d1e2f3a4b","iat":1767222000,"exp":1767225600,"jti":"%s","scp":["offline_access","sql","iam.current-user:read","iam.access-control:read","catalog.catalogs:read","catalog.schemas:read","catalog.tables:read","serving.serving-endpoints","dashboards.genie"]}`, strings.Repeat("f", 36))
	return enc([]byte(`{"alg":"RS256","kid":"a1b2c3","typ":"at+jwt"}`)) + "." + enc([]byte(claims)) + "." + strings.Repeat("s", 342)
}

func BenchmarkTokenScopes(b *testing.B) {
	tok := databricksToken()
	if scopes, ok := TokenScopes(tok); !ok || len(scopes) != 9 {
		b.Fatalf("TokenScopes = %q, %v", scopes, ok)
	}
	b.ReportAllocs()
	for b.Loop() {
		TokenScopes(tok)
	}
}
