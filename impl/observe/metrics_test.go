package observe

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// TestNewMetricsOwnsItsNames: building the metrics twice in one registry
// fails rather than silently sharing (or shadowing) series.
func TestNewMetricsOwnsItsNames(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := NewMetrics(reg, MetricsOptions{PerUser: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := NewMetrics(reg, MetricsOptions{PerUser: true}); err == nil {
		t.Fatal("a second NewMetrics in the same registry succeeded")
	}
}

// TestOnRetryCountsOnTheRequest: each retry adds to the request's Meta (what
// its auth_event reports) and to auth_retry_total under the operation.
func TestOnRetryCountsOnTheRequest(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry(), MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	meta := &reqctx.Meta{Operation: "listCatalogs"}
	ctx := reqctx.WithMeta(context.Background(), meta)
	observe := OnRetry(slog.New(slog.NewJSONHandler(io.Discard, nil)), m)
	observe(ctx, "uc.catalogs", 2, errors.New("503"))
	observe(ctx, "uc.catalogs", 3, errors.New("503"))
	if meta.Retries != 2 {
		t.Errorf("Meta.Retries %d, want 2", meta.Retries)
	}
	var got dto.Metric
	if err := m.authRetry.WithLabelValues("listCatalogs", "3").Write(&got); err != nil || got.GetCounter().GetValue() != 1 {
		t.Errorf("auth_retry_total{listCatalogs,3} = %v (%v), want 1", got.GetCounter().GetValue(), err)
	}
	OnRetry(slog.New(slog.NewJSONHandler(io.Discard, nil)), nil)(ctx, "uc.catalogs", 2, errors.New("503")) // nil metrics: logs only
}

// TestOnRetryOutsideARequestCountsUnderTheOperation: a retry of the app's
// own work (no request in its context) is counted in auth_retry_total under
// its operation, not as an unmatched request.
func TestOnRetryOutsideARequestCountsUnderTheOperation(t *testing.T) {
	m, err := NewMetrics(prometheus.NewRegistry(), MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	OnRetry(slog.New(slog.NewJSONHandler(io.Discard, nil)), m)(context.Background(), "database.credentials.generate", 2, errors.New("503"))
	var got dto.Metric
	if err := m.authRetry.WithLabelValues("database.credentials.generate", "2").Write(&got); err != nil || got.GetCounter().GetValue() != 1 {
		t.Errorf("auth_retry_total{database.credentials.generate,2} = %v (%v), want 1", got.GetCounter().GetValue(), err)
	}
}

// BenchmarkObserveRequest is the metrics' cost per API request.
func BenchmarkObserveRequest(b *testing.B) {
	m, err := NewMetrics(prometheus.NewRegistry(), MetricsOptions{PerUser: true})
	if err != nil {
		b.Fatal(err)
	}
	meta := &reqctx.Meta{Route: "GET /api/user/me", Operation: "getCurrentUser", UserID: "alice@example.com",
		AuthMethod: reqctx.OBO, Auth: &reqctx.AuthDecision{TokenPresent: true, Success: true}}
	b.ReportAllocs()
	for b.Loop() {
		m.ObserveRequest("GET", meta, 200, 3*time.Millisecond)
	}
}
