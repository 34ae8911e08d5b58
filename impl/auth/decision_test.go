package auth

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// TestDecideMapsTheFinalErrorToAFixedReason: the operation's final error
// decides the outcome; reasons outside the fixed set never reach it.
func TestDecideMapsTheFinalErrorToAFixedReason(t *testing.T) {
	for _, c := range []struct {
		name        string
		err         error
		wantSuccess bool
		wantReason  string
	}{
		{"no error", nil, true, ""},
		{"upstream 401", &apperr.Error{Kind: apperr.Unauthenticated, Reason: "upstream_401"}, false, ReasonUpstream401},
		{"upstream 403", &apperr.Error{Kind: apperr.Forbidden, Reason: "upstream_403"}, false, ReasonUpstream403},
		{"rate limited", &apperr.Error{Kind: apperr.RateLimited, Reason: "rate_limited"}, false, ReasonRateLimited},
		{"upstream failure", &apperr.Error{Kind: apperr.Upstream, Reason: "upstream_error"}, false, ReasonUpstreamError},
		{"upstream failure without a reason", apperr.Wrap(apperr.Upstream, "x", errors.New("boom")), false, ReasonUpstreamError},
		{"timeout without a reason", apperr.Wrap(apperr.Timeout, "x", context.DeadlineExceeded), false, ReasonTimeout},
		{"not found", &apperr.Error{Kind: apperr.NotFound, Reason: "upstream_404"}, true, ""},
		{"Lakebase down", &apperr.Error{Kind: apperr.Unavailable, Reason: "lakebase_not_configured"}, true, ""},
		{"a bug", errors.New("nil pointer"), true, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := New(Config{}, slog.New(slog.NewJSONHandler(io.Discard, nil)))
			meta := &reqctx.Meta{Operation: "getCurrentUser", AuthMethod: reqctx.OBO, Retries: 2}
			ctx := reqctx.WithCredential(reqctx.WithMeta(context.Background(), meta), reqctx.Credential{Token: "tok", Method: reqctx.OBO})
			a.Decide(ctx, c.err)
			if meta.Auth == nil || meta.Auth.Success != c.wantSuccess || meta.Auth.Reason != c.wantReason || !meta.Auth.TokenPresent {
				t.Fatalf("decision %+v, want success=%v reason=%q", meta.Auth, c.wantSuccess, c.wantReason)
			}
		})
	}
}
