package auth

import (
	"context"
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

// TestAHeaderOfSpacesIsNoToken: a token header holding only whitespace is a
// missing token, and its decision says no token was present (not a token
// present and missing at once).
func TestAHeaderOfSpacesIsNoToken(t *testing.T) {
	a := New(Config{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	r := httptest.NewRequest("GET", "/api/user/me", nil)
	r.Header.Set(TokenHeader, "   ")
	meta := &reqctx.Meta{}
	_, err := a.Authenticate(reqctx.WithMeta(context.Background(), meta), r, nil)
	if e := apperr.As(err); e == nil || e.Reason != ReasonMissingToken {
		t.Fatalf("error %v, want missing_token", err)
	}
	if meta.Auth == nil || meta.Auth.TokenPresent || meta.Auth.Reason != ReasonMissingToken {
		t.Errorf("decision %+v, want no token present, missing_token", meta.Auth)
	}
}

// TestScopeCheckRecordsFactsAboutTheTokenOnly: each request's scope check
// leaves on the request's Meta, for its auth_event line, the token's length,
// the scopes found, those required, whether they are present and which are
// missing; the refusal is the request's decision. ScopeCheck has no field
// that could hold the token.
func TestScopeCheckRecordsFactsAboutTheTokenOnly(t *testing.T) {
	required := []string{"iam.current-user:read"}
	for _, c := range []struct {
		name        string
		token       string
		wantJWT     bool
		wantPresent bool
		wantScopes  []string
		wantMissing []string
	}{
		{"JWT with the scope", jwt(t, map[string]any{"scope": "sql iam.current-user:read"}), true, true, []string{"iam.current-user:read", "sql"}, nil},
		{"JWT without it", jwt(t, map[string]any{"scp": []string{"sql"}}), true, false, []string{"sql"}, required},
		{"personal access token", "dapi0123456789abcdef", false, true, nil, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := New(Config{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			r := httptest.NewRequest("GET", "/api/user/me", nil)
			r.Header.Set(TokenHeader, c.token)
			meta := &reqctx.Meta{}
			_, err := a.Authenticate(reqctx.WithMeta(context.Background(), meta), r, required)
			sc := meta.ScopeCheck
			if sc == nil {
				t.Fatal("no scope check recorded")
			}
			if sc.TokenLength != len(c.token) || sc.TokenIsJWT != c.wantJWT || sc.RequiredPresent != c.wantPresent ||
				!slices.Equal(sc.Scopes, c.wantScopes) || !slices.Equal(sc.Required, required) || !slices.Equal(sc.Missing, c.wantMissing) {
				t.Errorf("scope check %+v", sc)
			}
			if c.wantPresent {
				if err != nil || meta.Auth != nil {
					t.Errorf("refused (%v) or decided (%+v) before the operation ran", err, meta.Auth)
				}
				return
			}
			if meta.Auth == nil || meta.Auth.Success || meta.Auth.Reason != ReasonMissingScope || !meta.Auth.TokenPresent {
				t.Errorf("decision %+v, want a missing_scope failure", meta.Auth)
			}
		})
	}
}
