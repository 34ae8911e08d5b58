package e2e

import (
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

const mePath = "/api/2.0/preview/scim/v2/Me"

// slack is how much later than its scheduled wait a retry may reach the fake:
// process scheduling on a busy machine, not a performance goal.
const slack = 200 * time.Millisecond

// arrivals returns when each request to path reached the fake.
func arrivals(t *testing.T, f *fakeProc, path string) []time.Time {
	var out []time.Time
	for _, r := range f.requestsTo(t, path) {
		if r.Path == path {
			out = append(out, r.Time)
		}
	}
	return out
}

// Scenario 6 (T041): a failing call is retried after 100, 200 and 400 ms,
// measured where the attempts arrive: at the fake workspace. A fourth
// failure is answered 502 with no fifth attempt.
func TestScenario6BackoffSchedule(t *testing.T) {
	st := startStack(t, nil)
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.server.get(t, "/api/user/me", alice) // warm up: host metadata, connections
	st.fake.resetRequests(t)

	st.fake.fault(t, fakeworkspace.Fault{Path: mePath, Status: 503, Count: 3})
	a := st.server.get(t, "/api/user/me", alice)
	if a.Status != 200 {
		t.Fatalf("after 3 failures the 4th attempt should succeed: %d %s", a.Status, a.Raw)
	}
	times := arrivals(t, st.fake, mePath)
	if len(times) != 4 {
		t.Fatalf("fake saw %d attempts, want 4", len(times))
	}
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		gap := times[i+1].Sub(times[i])
		if gap < want || gap > want+slack {
			t.Errorf("retry %d came %v after the attempt before it, want %v (+ up to %v)", i+1, gap, want, slack)
		}
	}
	id := a.Header.Get("X-Request-Id")
	retries := st.server.waitLogs(t, 3, "msg", "retrying Databricks call", "correlation_id", id)
	if len(retries) != 3 {
		t.Errorf("server logged %d retries for the request, want 3", len(retries))
	}

	st.fake.resetRequests(t)
	st.fake.fault(t, fakeworkspace.Fault{Path: mePath, Status: 503, Count: 4})
	wantProblem(t, st.server.get(t, "/api/user/me", alice), 502, "upstream_error")
	if n := len(arrivals(t, st.fake, mePath)); n != 4 {
		t.Errorf("after 4 failures the fake saw %d attempts, want 4 (no retry after the third)", n)
	}
}

// Scenario 6, the cap (NFR-006): with every attempt taking 1.5 s before it
// fails, no retry starts once 5 s have passed since the first attempt.
func TestScenario6BackoffCappedAtFiveSeconds(t *testing.T) {
	st := startStack(t, nil)
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.server.get(t, "/api/user/me", alice)
	st.fake.resetRequests(t)

	st.fake.fault(t, fakeworkspace.Fault{Path: mePath, Status: 503, Delay: 1500 * time.Millisecond})
	start := time.Now()
	wantProblem(t, st.server.get(t, "/api/user/me", alice), 502, "upstream_error")
	took := time.Since(start)
	times := arrivals(t, st.fake, mePath)
	// Attempts start at about 0, 1.6 and 3.3 s; a fourth would start after 5.2 s.
	if len(times) != 3 {
		t.Fatalf("fake saw %d attempts, want 3 (a 4th would start past the 5 s budget)", len(times))
	}
	if last := times[len(times)-1].Sub(times[0]); last > 5*time.Second {
		t.Errorf("an attempt started %v after the first, past the 5 s budget", last)
	}
	if took > 5*time.Second+1500*time.Millisecond+slack {
		t.Errorf("the answer took %v: the budget does not bound the retries", took)
	}
}

// Scenario 9 (T044): a 429 from Databricks is never retried: the client gets
// 429 at once, with Databricks' Retry-After passed on.
func TestScenario9RateLimitNeverRetried(t *testing.T) {
	st := startStack(t, nil)
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.fake.fault(t, fakeworkspace.Fault{Path: "/api/2.1/unity-catalog/catalogs", Status: 429, RetryAfter: "7"})

	a := st.server.get(t, "/api/unity-catalog/catalogs", alice)
	wantProblem(t, a, 429, "rate_limited")
	if got := a.Header.Get("Retry-After"); got != "7" {
		t.Errorf("Retry-After %q, want Databricks' 7", got)
	}
	if n := len(st.fake.requestsTo(t, "/api/2.1/unity-catalog/catalogs")); n != 1 {
		t.Errorf("fake saw %d attempts, want exactly 1 (no retry on 429)", n)
	}
	if got := st.server.logsWhere("msg", "retrying Databricks call"); len(got) != 0 {
		t.Errorf("server logged %d retries after a 429", len(got))
	}
}

// Scenario 10 (T045): five concurrent requests of one user whose first
// attempts all fail: each retries on its own and succeeds, each under its
// own correlation id, which its retry log line carries.
func TestScenario10ConcurrentRetriesIndependent(t *testing.T) {
	st := startStack(t, nil)
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.server.get(t, "/api/user/me", alice)
	st.fake.resetRequests(t)
	// The delay keeps the five first attempts inside the fault's window:
	// a retry comes at least 400 ms after its first attempt arrived.
	st.fake.fault(t, fakeworkspace.Fault{Path: mePath, Status: 503, Count: 5, Delay: 300 * time.Millisecond})

	ids := make([]string, 5)
	var wg sync.WaitGroup
	errs := make(chan error, 5)
	for i := range ids {
		wg.Go(func() {
			a, err := st.server.try(http.MethodGet, "/api/user/me", alice, nil)
			if err == nil && a.Status != 200 {
				err = fmt.Errorf("status %d: %s", a.Status, a.Raw)
			}
			if err != nil {
				errs <- err
				return
			}
			ids[i] = a.Header.Get("X-Request-Id")
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range ids {
		if id == "" || seen[id] {
			t.Fatalf("correlation ids %v are not five distinct ids", ids)
		}
		seen[id] = true
		retries := st.server.waitLogs(t, 1, "msg", "retrying Databricks call", "correlation_id", id)
		if len(retries) != 1 || fmt.Sprint(retries[0]["retry_attempt"]) != "2" {
			t.Errorf("request %s logged %d retries, want exactly one (attempt 2)", id, len(retries))
		}
		if done := st.server.waitLogs(t, 1, "msg", "request", "correlation_id", id, "status", "200"); len(done) != 1 {
			t.Errorf("request %s has %d request log lines with status 200, want 1", id, len(done))
		}
	}
	if n := len(arrivals(t, st.fake, mePath)); n != 10 {
		t.Errorf("fake saw %d attempts, want 10 (5 failed first attempts, 5 retries)", n)
	}
}
