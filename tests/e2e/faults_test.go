package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

const catalogsPath = "/api/2.1/unity-catalog/catalogs"

// Upstream faults, each with the answer the contract promises, and recovery
// without a restart: once the fault is gone the same server answers 200.
func TestFaultsAnsweredAsPromisedAndRecovered(t *testing.T) {
	st := startStack(t, nil, "APP_UPSTREAM_TIMEOUT=300ms")
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.server.get(t, "/api/user/me", alice)

	recovered := func(t *testing.T) {
		t.Helper()
		st.fake.clearFaults(t)
		if a := st.server.get(t, "/api/unity-catalog/catalogs", alice); a.Status != 200 {
			t.Fatalf("after the fault cleared: %d %s", a.Status, a.Raw)
		}
	}
	attempts := func(t *testing.T) int {
		return len(arrivals(t, st.fake, catalogsPath))
	}

	t.Run("slow past the attempt timeout is 504, not retried", func(t *testing.T) {
		st.fake.resetRequests(t)
		st.fake.fault(t, fakeworkspace.Fault{Path: catalogsPath, Delay: 2 * time.Second})
		start := time.Now()
		wantProblem(t, st.server.get(t, "/api/unity-catalog/catalogs", alice), 504, "")
		if took := time.Since(start); took > 1500*time.Millisecond {
			t.Errorf("the 504 took %v; the attempt timeout is 300ms", took)
		}
		if n := attempts(t); n != 1 {
			t.Errorf("%d attempts, want 1 (a timeout spends the budget; it is not retried)", n)
		}
		recovered(t)
	})
	t.Run("connection resets are retried", func(t *testing.T) {
		st.fake.resetRequests(t)
		st.fake.fault(t, fakeworkspace.Fault{Path: catalogsPath, Reset: true, Count: 2})
		if a := st.server.get(t, "/api/unity-catalog/catalogs", alice); a.Status != 200 {
			t.Fatalf("two resets then success: %d %s", a.Status, a.Raw)
		}
		// 3, or 4 when net/http's transport replayed the GET itself after a
		// reset on a reused keep-alive connection (see below).
		if n := attempts(t); n != 3 && n != 4 {
			t.Errorf("%d attempts, want 3 (or 4 with the transport's replay)", n)
		}
	})
	t.Run("resets on every attempt are 502", func(t *testing.T) {
		st.fake.resetRequests(t)
		st.fake.fault(t, fakeworkspace.Fault{Path: catalogsPath, Reset: true})
		a := st.server.get(t, "/api/unity-catalog/catalogs", alice)
		wantProblem(t, a, 502, "upstream_error")
		// The retry policy made its 4 attempts (3 retries logged). net/http's
		// transport may add one replay of its own: it resends an idempotent
		// request once when a reused keep-alive connection dies before any
		// answer, below any retry policy, so the fake may see a 5th.
		retries := st.server.waitLogs(t, 3, "msg", "retrying Databricks call", "correlation_id", a.Header.Get("X-Request-Id"))
		if len(retries) != 3 {
			t.Errorf("%d retries logged, want 3", len(retries))
		}
		if n := attempts(t); n != 4 && n != 5 {
			t.Errorf("%d attempts, want 4 (or 5 with the transport's replay)", n)
		}
		recovered(t)
	})
	t.Run("a lasting outage is 502", func(t *testing.T) {
		st.fake.fault(t, fakeworkspace.Fault{Path: catalogsPath, Status: 500})
		wantProblem(t, st.server.get(t, "/api/unity-catalog/catalogs", alice), 502, "upstream_error")
		recovered(t)
	})
	t.Run("a revoked token is 401, the next token works", func(t *testing.T) {
		tok := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.AllScopes...)
		st.fake.revoke(t, tok)
		wantProblem(t, st.server.get(t, "/api/unity-catalog/catalogs", tok), 401, "upstream_401")
		recovered(t)
	})
	if bad := st.server.logsWhere("level", "ERROR"); len(bad) > 0 {
		t.Errorf("faults logged as internal errors: %v", bad[0])
	}
	for _, line := range []string{alice, st.fake.ServicePrincipal.ClientSecret} {
		if strings.Contains(st.server.stdout(), line) {
			t.Fatal("a secret appears in the server's output")
		}
	}
}
