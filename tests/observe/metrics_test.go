package observe

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestMetricsHaveTheirTypesAndLabels: /metrics parses with the Prometheus
// text parser and holds the metrics of the issue with their types and label
// names, the standard HTTP metrics, and the Go and process collectors.
func TestMetricsHaveTheirTypesAndLabels(t *testing.T) {
	e := newEnv(t, true)
	send(e.strict, "GET", "/api/user/me", "", e.alice, nil)
	send(e.strict, "GET", "/api/user/me", "", "", nil)
	e.ws.InjectFault(fakeworkspace.Fault{Path: mePath, Status: 503, Count: 1})
	send(e.strict, "GET", "/api/user/me", "", e.alice, nil)
	fams, _ := scrape(t, e.strict)

	want := []struct {
		name   string
		typ    dto.MetricType
		labels []string
	}{
		{"auth_success_total", dto.MetricType_COUNTER, []string{"auth_method", "endpoint"}},
		{"auth_failure_total", dto.MetricType_COUNTER, []string{"auth_method", "endpoint", "reason"}},
		{"auth_retry_total", dto.MetricType_COUNTER, []string{"attempt_number", "endpoint"}},
		{"auth_request_duration_seconds", dto.MetricType_HISTOGRAM, []string{"auth_method", "endpoint"}},
		{"auth_requests_by_user", dto.MetricType_COUNTER, []string{"endpoint", "user_id"}},
		{"http_requests_total", dto.MetricType_COUNTER, []string{"method", "route", "status"}},
		{"http_request_duration_seconds", dto.MetricType_HISTOGRAM, []string{"method", "route"}},
		{"http_requests_in_flight", dto.MetricType_GAUGE, nil},
		{"go_goroutines", dto.MetricType_GAUGE, nil},
		{"process_resident_memory_bytes", dto.MetricType_GAUGE, nil},
	}
	for _, w := range want {
		f := fams[w.name]
		if f == nil {
			t.Errorf("%s is missing", w.name)
			continue
		}
		if f.GetType() != w.typ {
			t.Errorf("%s is a %v, want %v", w.name, f.GetType(), w.typ)
		}
		got := labelNames(f)
		slices.Sort(got)
		if !slices.Equal(got, w.labels) {
			t.Errorf("%s has labels %v, want %v", w.name, got, w.labels)
		}
	}
}

// TestDurationBucketsReadBelowTenMilliseconds: the duration histograms have
// enough buckets under 10 ms to read a P95 and a P99 there.
func TestDurationBucketsReadBelowTenMilliseconds(t *testing.T) {
	e := newEnv(t, true)
	send(e.strict, "GET", "/api/user/me", "", e.alice, nil)
	fams, _ := scrape(t, e.strict)
	for _, name := range []string{"auth_request_duration_seconds", "http_request_duration_seconds"} {
		f := fams[name]
		if f == nil || len(f.GetMetric()) == 0 {
			t.Fatalf("%s has no series", name)
		}
		fine := 0
		for _, b := range f.GetMetric()[0].GetHistogram().GetBucket() {
			if b.GetUpperBound() <= 0.010 {
				fine++
			}
		}
		if fine < 6 {
			t.Errorf("%s has %d buckets up to 10 ms, want at least 6", name, fine)
		}
	}
}

// TestMetricsMoveWithRequests: the counters move by exactly what requests
// that succeed, fail and retry do.
func TestMetricsMoveWithRequests(t *testing.T) {
	e := newEnv(t, true)
	before, _ := scrape(t, e.strict)

	send(e.strict, "GET", "/api/user/me", "", e.alice, nil)                     // success
	send(e.strict, "GET", "/api/user/me", "", "", nil)                          // missing token
	send(e.strict, "GET", "/api/unity-catalog/catalogs", "", e.aliceNoIDs, nil) // success (has the catalogs scope)
	send(e.strict, "GET", "/api/user/me", "", e.aliceNoIDs, nil)                // missing scope
	e.ws.InjectFault(fakeworkspace.Fault{Path: mePath, Status: 503, Count: 1})
	if a := send(e.strict, "GET", "/api/user/me", "", e.alice, nil); a.status != http.StatusOK { // retried once, then success
		t.Fatalf("retried request: %d", a.status)
	}
	e.ws.InjectFault(fakeworkspace.Fault{Path: mePath, Status: 429})
	send(e.strict, "GET", "/api/user/me", "", e.alice, nil) // rate limited, never retried
	e.ws.ClearFaults()

	after, _ := scrape(t, e.strict)
	me := map[string]string{"endpoint": "getCurrentUser"}
	with := func(extra map[string]string) map[string]string {
		m := map[string]string{"endpoint": "getCurrentUser"}
		for k, v := range extra {
			m[k] = v
		}
		return m
	}
	checks := []struct {
		name   string
		labels map[string]string
		delta  float64
	}{
		{"auth_success_total", with(map[string]string{"auth_method": "obo"}), 2},
		{"auth_success_total", map[string]string{"endpoint": "listCatalogs", "auth_method": "obo"}, 1},
		{"auth_failure_total", with(map[string]string{"auth_method": "none", "reason": auth.ReasonMissingToken}), 1},
		{"auth_failure_total", with(map[string]string{"auth_method": "obo", "reason": auth.ReasonMissingScope}), 1},
		{"auth_failure_total", with(map[string]string{"auth_method": "obo", "reason": auth.ReasonRateLimited}), 1},
		{"auth_retry_total", with(map[string]string{"attempt_number": "2"}), 1},
		{"auth_retry_total", me, 1},
		{"auth_request_duration_seconds", me, 5},
		{"auth_requests_by_user", with(map[string]string{"user_id": fakeworkspace.Alice}), 2},
		// No token, a missing scope, and the 429 to the user's own lookup:
		// the user was never identified.
		{"auth_requests_by_user", with(map[string]string{"user_id": "unknown"}), 3},
		{"http_requests_total", map[string]string{"method": "GET", "route": "GET /api/user/me", "status": "200"}, 2},
		{"http_requests_total", map[string]string{"method": "GET", "route": "GET /api/user/me", "status": "401"}, 1},
		{"http_requests_total", map[string]string{"method": "GET", "route": "GET /api/user/me", "status": "429"}, 1},
		{"http_request_duration_seconds", map[string]string{"method": "GET", "route": "GET /api/user/me"}, 5},
	}
	for _, c := range checks {
		if got := value(after, c.name, c.labels) - value(before, c.name, c.labels); got != c.delta {
			t.Errorf("%s%v moved by %v, want %v", c.name, c.labels, got, c.delta)
		}
	}
	// Every request above has ended: the scrape is the one in flight.
	if got := value(after, "http_requests_in_flight", map[string]string{}); got != 1 {
		t.Errorf("http_requests_in_flight is %v after the requests ended, want 1 (the scrape)", got)
	}
}

// TestLabelValuesStayBounded: whatever paths and methods clients send, the
// route and endpoint labels are route patterns, operation ids or
// "unmatched", and the reason label is one of the fixed set.
func TestLabelValuesStayBounded(t *testing.T) {
	e := newEnv(t, true)
	marker := randomHex(6)
	for _, p := range []string{"/api/" + marker, "/" + marker, "/api/user/" + marker, "/api/unity-catalog/catalogs/" + marker + "/x/y"} {
		send(e.strict, "GET", p, "", e.alice, nil)
	}
	send(e.strict, "BREW"+strings.ToUpper(marker), "/api/user/me", "", e.alice, nil)
	send(e.strict, "GET", "/api/unity-catalog/catalogs?limit="+marker, "", e.alice, nil)
	send(e.strict, "GET", "/api/user/me", "", e.unknown, nil)
	for _, s := range scenarios(e) {
		s.run(t, e)
	}
	fams, raw := scrape(t, e.strict)
	if strings.Contains(string(raw), marker) || strings.Contains(string(raw), strings.ToUpper(marker)) {
		t.Errorf("a client-chosen path or method reached /metrics")
	}
	reasons := auth.FailureReasons()
	for _, m := range fams["auth_failure_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "reason" && !slices.Contains(reasons, l.GetValue()) {
				t.Errorf("reason %q is not in the fixed set", l.GetValue())
			}
		}
	}
	for _, m := range fams["http_requests_total"].GetMetric() {
		for _, l := range m.GetLabel() {
			if l.GetName() == "route" && l.GetValue() != "unmatched" && !strings.Contains(l.GetValue(), " /") {
				t.Errorf("route label %q is neither a pattern nor unmatched", l.GetValue())
			}
		}
	}
	if value(fams, "http_requests_total", map[string]string{"route": "unmatched"}) < 3 {
		t.Errorf("unmatched paths are not counted under route=unmatched")
	}
	if value(fams, "http_requests_total", map[string]string{"route": "GET /api/unity-catalog/catalogs", "status": "400"}) < 1 {
		t.Errorf("an invalid request is not counted under its route pattern")
	}
}

// TestPerUserMetricCanBeTurnedOff: with the per-user metric off (what
// APP_METRICS_PER_USER=off does), /metrics names no user at all.
func TestPerUserMetricCanBeTurnedOff(t *testing.T) {
	e := newEnv(t, false)
	if a := send(e.strict, "GET", "/api/user/me", "", e.alice, nil); a.status != http.StatusOK {
		t.Fatalf("status %d", a.status)
	}
	fams, raw := scrape(t, e.strict)
	if fams["auth_requests_by_user"] != nil {
		t.Error("auth_requests_by_user is exported while off")
	}
	if fams["auth_success_total"] == nil {
		t.Error("the other auth metrics went with it")
	}
	if strings.Contains(string(raw), fakeworkspace.Alice) {
		t.Error("/metrics names a user while the per-user metric is off")
	}
}
