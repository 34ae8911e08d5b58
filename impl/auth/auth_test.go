package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// TestAuthenticateRefusesMalformedTokens: a header value that cannot be a
// bearer token is a 401 invalid_token whose detail does not echo it, and a
// failure decision; bare tokens pass.
func TestAuthenticateRefusesMalformedTokens(t *testing.T) {
	a := New(Config{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	for _, c := range []struct {
		token string
		ok    bool
	}{
		{"dapi0123456789abcdef", true},
		{"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln-_", true},
		{"AZaz09-._~+/=", true},
		{"Bearer dapi0123456789abcdef", false},
		{"dapi0123 456789abcdef", false},
		{"dapi0123456789abcdef\x01", false},
		{"dapi0123456789abcdéf", false},
	} {
		r := httptest.NewRequest("GET", "/api/user/me", nil)
		r.Header.Set(TokenHeader, c.token)
		meta := &reqctx.Meta{}
		_, err := a.Authenticate(reqctx.WithMeta(context.Background(), meta), r, nil)
		if c.ok {
			if err != nil {
				t.Errorf("%q refused: %v", c.token, err)
			}
			continue
		}
		e := apperr.As(err)
		if e == nil || e.Kind != apperr.Unauthenticated || e.Reason != ReasonInvalidToken {
			t.Errorf("%q: error %v, want Unauthenticated invalid_token", c.token, err)
			continue
		}
		if strings.Contains(e.Error(), "0123456789") {
			t.Errorf("%q: the error echoes the token: %s", c.token, e.Error())
		}
		if meta.Auth == nil || meta.Auth.Success || meta.Auth.Reason != ReasonInvalidToken || !meta.Auth.TokenPresent {
			t.Errorf("%q: decision %+v", c.token, meta.Auth)
		}
	}
}

// TestScopeCheckIsLoggedWithFactsAboutTheTokenOnly: each request's scope
// check logs the token's presence and length, the scopes found and whether
// the required ones are present, and never the token.
func TestScopeCheckIsLoggedWithFactsAboutTheTokenOnly(t *testing.T) {
	for _, c := range []struct {
		name        string
		token       string
		wantJWT     bool
		wantPresent bool
		wantScopes  []any
	}{
		{"JWT with the scope", jwt(t, map[string]any{"scope": "sql iam.current-user:read"}), true, true, []any{"iam.current-user:read", "sql"}},
		{"JWT without it", jwt(t, map[string]any{"scp": []string{"sql"}}), true, false, []any{"sql"}},
		{"personal access token", "dapi0123456789abcdef", false, true, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			a := New(Config{}, slog.New(slog.NewJSONHandler(&logs, nil)))
			r := httptest.NewRequest("GET", "/api/user/me", nil)
			r.Header.Set(TokenHeader, c.token)
			ctx, err := a.Authenticate(reqctx.WithMeta(context.Background(), &reqctx.Meta{}), r, []string{"iam.current-user:read"})
			if err == nil {
				a.Decide(ctx, nil) // as the middleware does when the operation ends
			}
			var check map[string]any
			events := 0
			for _, l := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
				var line map[string]any
				if err := json.Unmarshal(l, &line); err != nil {
					t.Fatalf("log line is not JSON: %s", l)
				}
				if line["msg"] == "auth_event" {
					check = line
					events++
				}
			}
			if events != 1 {
				t.Fatalf("%d auth_event lines, want exactly one per request, in %s", events, logs.String())
			}
			scopes, _ := check["scopes"].([]any)
			required, _ := check["required_scopes"].([]any)
			if check["token_present"] != true || check["token_length"] != float64(len(c.token)) || check["token_is_jwt"] != c.wantJWT ||
				check["required_present"] != c.wantPresent || !slices.Equal(scopes, c.wantScopes) ||
				!slices.Equal(required, []any{"iam.current-user:read"}) || check["auth_method"] != "obo" {
				t.Errorf("auth_event %v", check)
			}
			if strings.Contains(logs.String(), c.token[len(c.token)-12:]) {
				t.Errorf("the log holds part of the token: %s", logs.String())
			}
		})
	}
}
