package observe

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// Unmatched is the endpoint and route label of a request that matched no
// route, so that whatever paths clients send, label values stay bounded.
const Unmatched = "unmatched"

// unknownUser is the user_id label of a request whose user was not identified.
const unknownUser = "unknown"

// durationBuckets are fine below 10 ms, where most requests of a healthy
// server fall, so that P95 and P99 can be read there, and reach the 30 s of a
// slow upstream attempt.
func durationBuckets() []float64 {
	return []float64{
		0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05,
		0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
	}
}

// MetricsOptions choose the optional metrics.
type MetricsOptions struct {
	// PerUser enables auth_requests_by_user, whose series grow with the
	// number of users (APP_METRICS_PER_USER=off disables it).
	PerUser bool
}

// Metrics are the server's Prometheus metrics. They live in the registry
// given to NewMetrics, never in the global default one.
type Metrics struct {
	reg prometheus.Gatherer

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec
	httpInFlight prometheus.Gauge

	authSuccess  *prometheus.CounterVec
	authFailure  *prometheus.CounterVec
	authRetry    *prometheus.CounterVec
	authDuration *prometheus.HistogramVec
	authByUser   *prometheus.CounterVec
}

// NewMetrics creates the server's metrics in reg, with the Go runtime and
// process collectors. It fails when reg already holds a metric of the same name.
func NewMetrics(reg *prometheus.Registry, opts MetricsOptions) (*Metrics, error) {
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total", Help: "HTTP requests served, by method, route pattern and status.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "http_request_duration_seconds", Help: "Time to serve an HTTP request, by method and route pattern.",
			Buckets: durationBuckets(),
		}, []string{"method", "route"}),
		httpInFlight: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "http_requests_in_flight", Help: "HTTP requests being served.",
		}),
		authSuccess: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_success_total", Help: "API requests whose credential was accepted, by operation and auth method.",
		}, []string{"endpoint", "auth_method"}),
		authFailure: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_failure_total", Help: "API requests whose credential was refused or could not be checked, by operation, auth method and reason.",
		}, []string{"endpoint", "auth_method", "reason"}),
		authRetry: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_retry_total", Help: "Retries of Databricks calls, by operation and attempt number (2 is the first retry).",
		}, []string{"endpoint", "attempt_number"}),
		authDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "auth_request_duration_seconds", Help: "Time to serve an API request that made an authentication decision, by operation and auth method.",
			Buckets: durationBuckets(),
		}, []string{"endpoint", "auth_method"}),
	}
	cs := []prometheus.Collector{m.httpRequests, m.httpDuration, m.httpInFlight,
		m.authSuccess, m.authFailure, m.authRetry, m.authDuration,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})}
	if opts.PerUser {
		m.authByUser = prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "auth_requests_by_user", Help: "API requests by user id and operation; one series per user and operation.",
		}, []string{"user_id", "endpoint"})
		cs = append(cs, m.authByUser)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Handler serves the registry's metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Track counts next's requests in flight. It wraps the whole server, so it
// sees every request, including the scrapes.
func (m *Metrics) Track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.httpInFlight.Inc()
		defer m.httpInFlight.Dec()
		next.ServeHTTP(w, r)
	})
}

// ObserveRequest counts a finished request in the HTTP metrics and, when it
// made an authentication decision, in the auth metrics.
func (m *Metrics) ObserveRequest(method string, meta *reqctx.Meta, status int, elapsed time.Duration) {
	route := routeLabel(meta)
	method = methodLabel(method)
	m.httpRequests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(method, route).Observe(elapsed.Seconds())
	if meta.Auth == nil {
		return
	}
	endpoint, authMethod := EndpointLabel(meta), authMethodLabel(meta.AuthMethod)
	if meta.Auth.Success {
		m.authSuccess.WithLabelValues(endpoint, authMethod).Inc()
	} else {
		m.authFailure.WithLabelValues(endpoint, authMethod, meta.Auth.Reason).Inc()
	}
	m.authDuration.WithLabelValues(endpoint, authMethod).Observe(elapsed.Seconds())
	if m.authByUser != nil {
		user := meta.UserID
		if user == "" {
			user = unknownUser
		}
		m.authByUser.WithLabelValues(user, endpoint).Inc()
	}
}

// ObserveRetry counts one retry of a Databricks call (operation) made for
// the request of ctx, under the request's endpoint, or under operation when
// ctx is no request's (the app's own work); attempt 2 is the first retry.
func (m *Metrics) ObserveRetry(ctx context.Context, operation string, attempt int) {
	endpoint := operation
	if meta, ok := reqctx.LookupMeta(ctx); ok {
		endpoint = EndpointLabel(meta)
	}
	m.authRetry.WithLabelValues(endpoint, strconv.Itoa(min(attempt, 10))).Inc()
}

// EndpointLabel is the endpoint of a request in metrics: its contract
// operation id, else its route pattern, else Unmatched; never a raw path.
func EndpointLabel(meta *reqctx.Meta) string {
	if meta.Operation != "" {
		return meta.Operation
	}
	return routeLabel(meta)
}

func routeLabel(meta *reqctx.Meta) string {
	if meta.Route == "" {
		return Unmatched
	}
	return meta.Route
}

func authMethodLabel(m reqctx.AuthMethod) string {
	switch m {
	case reqctx.OBO, reqctx.ServicePrincipal:
		return string(m)
	}
	return "none"
}

// methodLabel keeps the method label bounded: clients may send any token as
// a method.
func methodLabel(method string) string {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return method
	}
	return "other"
}
