package auth

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
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
