package observe

import (
	"context"
	"log/slog"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// OnRetry returns the observer of Databricks retries (databricks.Options.OnRetry):
// it logs each retry with the request's correlation id, counts it on the
// request's Meta (the auth_event line reports it) and in auth_retry_total.
// A retry made outside any request (the app's own work, such as the
// service principal's Lakebase credential for a new pooled connection) is
// logged without a request's identity and counted under its operation.
// m may be nil. The cause is logged by its kind and reason only: its text
// comes from upstream and is not ours to vouch for.
func OnRetry(log *slog.Logger, m *Metrics) func(ctx context.Context, operation string, attempt int, cause error) {
	return func(ctx context.Context, operation string, attempt int, cause error) {
		if meta, ok := reqctx.LookupMeta(ctx); ok {
			meta.Retries++
		}
		attrs := []slog.Attr{
			slog.String("operation", operation),
			slog.Int("retry_attempt", attempt),
			slog.String("cause", apperr.KindOf(cause).String()),
		}
		if e := apperr.As(cause); e != nil && e.Reason != "" {
			attrs = append(attrs, slog.String("reason", e.Reason))
		}
		log.LogAttrs(ctx, slog.LevelWarn, "retrying Databricks call", attrs...)
		if m != nil {
			m.ObserveRetry(ctx, operation, attempt)
		}
	}
}
