// Package observe is how onbehalf reports on itself: JSON logs through
// log/slog with the request's correlation id on every line, the request log,
// and correlation ids.
package observe

import (
	"context"
	"io"
	"log/slog"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// NewLogger returns a JSON logger writing to w. Every line logged with a
// request's context carries that request's correlation_id (and user_id once
// known), so one id follows a request through every line, retries included.
func NewLogger(w io.Writer, level slog.Level) *slog.Logger {
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level})
	return slog.New(contextHandler{h})
}

// contextHandler adds the request's identity fields to each record.
type contextHandler struct{ slog.Handler }

func (h contextHandler) Handle(ctx context.Context, r slog.Record) error {
	m := reqctx.MetaFrom(ctx)
	if m.CorrelationID != "" {
		r.AddAttrs(slog.String("correlation_id", m.CorrelationID))
	}
	if m.UserID != "" && !hasAttr(r, "user_id") {
		r.AddAttrs(slog.String("user_id", m.UserID))
	}
	return h.Handler.Handle(ctx, r)
}

func (h contextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return contextHandler{h.Handler.WithAttrs(attrs)}
}

func (h contextHandler) WithGroup(name string) slog.Handler {
	return contextHandler{h.Handler.WithGroup(name)}
}

// hasAttr reports whether the record already has a top-level key, so that a
// line that states it itself (the auth_event line) does not get it twice.
func hasAttr(r slog.Record, key string) bool {
	found := false
	r.Attrs(func(a slog.Attr) bool {
		found = a.Key == key
		return !found
	})
	return found
}
