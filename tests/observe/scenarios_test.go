package observe

import (
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// scenario is one request the suite knows how to provoke, and the
// authentication decision it must make. Add a row for every new behaviour
// (Lakebase errors, new operations): the secret check runs them all.
type scenario struct {
	name               string
	method, path, body string
	token              string
	// fallback sends the request to the server with the local
	// service-principal fallback.
	fallback bool
	// lakebase sends the request to the server with a store.
	lakebase bool
	faults   []fakeworkspace.Fault
	// setup, when set, prepares what faults cannot (a database error, say)
	// and may add to e.extraSecrets; it runs before the request.
	setup func(t *testing.T, e *env)
	want  int
	// decision is the auth_event's outcome: "success", a failure reason, or
	// "" when the request makes no authentication decision.
	decision string
	// retries is how many retries the request makes.
	retries int
}

const (
	mePath     = "/api/2.0/preview/scim/v2/Me"
	invokeBody = `{"input":[{"role":"user","content":"hello"}]}`
)

func scenarios(e *env) []scenario {
	return []scenario{
		{name: "me as alice", method: "GET", path: "/api/user/me", token: e.alice, want: 200, decision: "success"},
		{name: "workspace as bob", method: "GET", path: "/api/user/me/workspace", token: e.bob, want: 200, decision: "success"},
		{name: "catalogs as alice", method: "GET", path: "/api/unity-catalog/catalogs", token: e.alice, want: 200, decision: "success"},
		{name: "invoke as alice", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", body: invokeBody, token: e.alice, want: 200, decision: "success"},
		{name: "missing catalog is not an auth failure", method: "GET", path: "/api/unity-catalog/catalogs/nope/schemas", token: e.alice, want: 404, decision: "success"},
		{name: "preferences without Lakebase", method: "GET", path: "/api/preferences", token: e.alice, want: 503, decision: "success"},
		{name: "me without token", method: "GET", path: "/api/user/me", want: 401, decision: "missing_token"},
		{name: "me with a malformed token", method: "GET", path: "/api/user/me", token: e.malformed, want: 401, decision: "invalid_token"},
		{name: "me with a token Databricks rejects", method: "GET", path: "/api/user/me", token: e.unknown, want: 401, decision: "upstream_401"},
		{name: "me without the identity scope", method: "GET", path: "/api/user/me", token: e.aliceNoIDs, want: 403, decision: "missing_scope"},
		{name: "invoke without the serving scope", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", body: invokeBody, token: e.aliceNoServing, want: 403, decision: "missing_scope"},
		{name: "schemas of an ungranted catalog", method: "GET", path: "/api/unity-catalog/catalogs/hr/schemas", token: e.alice, want: 403, decision: "upstream_403"},
		{name: "invoke not granted", method: "POST", path: "/api/model-serving/endpoints/hr-assistant/invocations", body: invokeBody, token: e.alice, want: 403, decision: "upstream_403"},
		{name: "me rate limited", method: "GET", path: "/api/user/me", token: e.alice, want: 429, decision: "rate_limited",
			faults: []fakeworkspace.Fault{{Path: mePath, Status: 429, RetryAfter: "7"}}},
		{name: "me upstream down", method: "GET", path: "/api/user/me", token: e.alice, want: 502, decision: "upstream_error", retries: 3,
			faults: []fakeworkspace.Fault{{Path: mePath, Status: 503}}},
		{name: "me retried once", method: "GET", path: "/api/user/me", token: e.alice, want: 200, decision: "success", retries: 1,
			faults: []fakeworkspace.Fault{{Path: mePath, Status: 503, Count: 1}}},
		// net/http itself resends a GET whose reused connection was reset, so
		// only a reset on every attempt is sure to reach our retry policy.
		{name: "catalogs with connections reset", method: "GET", path: "/api/unity-catalog/catalogs", token: e.bob, want: 502, decision: "upstream_error", retries: 3,
			faults: []fakeworkspace.Fault{{Path: "/api/2.1/unity-catalog/catalogs", Reset: true}}},
		{name: "me upstream too slow", method: "GET", path: "/api/user/me", token: e.alice, want: 504, decision: "timeout",
			faults: []fakeworkspace.Fault{{Path: mePath, Delay: 2 * time.Second}}},
		{name: "catalogs with a bad limit", method: "GET", path: "/api/unity-catalog/catalogs?limit=0", token: e.alice, want: 400},
		{name: "invoke with broken JSON", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", body: `{"input":`, token: e.alice, want: 400},
		{name: "no such API path", method: "GET", path: "/api/no/such/" + randomHex(4), token: e.alice, want: 404},
		{name: "no such path", method: "GET", path: "/no/such/" + randomHex(4), token: e.alice, want: 404},
		{name: "health", method: "GET", path: "/healthz", token: e.alice, want: 200},
		// The service principal's own sign-in failing is the app's
		// misconfiguration, a 500; its token endpoint failing is
		// Databricks', retried and then a 502.
		{name: "fallback token refused", method: "GET", path: "/api/user/me", fallback: true, want: 500, decision: "other",
			faults: []fakeworkspace.Fault{{Path: "/oidc/v1/token", Status: 401, Count: 1}}},
		{name: "fallback token endpoint down", method: "GET", path: "/api/user/me", fallback: true, want: 502, decision: "upstream_error", retries: 3,
			faults: []fakeworkspace.Fault{{Path: "/oidc/v1/token", Status: 503}}},
		{name: "put a preference", method: "PUT", path: "/api/preferences/theme", body: `{"value":{"mode":"dark"}}`, token: e.alice, lakebase: true, want: 200, decision: "success"},
		{name: "get a preference", method: "GET", path: "/api/preferences/theme", token: e.alice, lakebase: true, want: 200, decision: "success"},
		{name: "another user's preference is not found", method: "GET", path: "/api/preferences/theme", token: e.bob, lakebase: true, want: 404, decision: "success"},
		{name: "preference value too large", method: "PUT", path: "/api/preferences/big", body: `{"value":"` + strings.Repeat("x", 70000) + `"}`, token: e.alice, lakebase: true, want: 413, decision: "success"},
		{name: "invoke recorded in the inference log", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", body: invokeBody, token: e.alice, lakebase: true, want: 200, decision: "success"},
		{name: "inference logs", method: "GET", path: "/api/model-serving/inference-logs", token: e.alice, lakebase: true, want: 200, decision: "success"},
		{name: "preferences with the database down", method: "GET", path: "/api/preferences", token: e.alice, lakebase: true, want: 503, decision: "success",
			setup: func(t *testing.T, e *env) { e.db.Cut() }},
		{name: "readiness with the database down", method: "GET", path: "/readyz", lakebase: true, want: 503,
			setup: func(t *testing.T, e *env) { e.db.Cut() }},
		{name: "preferences after the database came back", method: "GET", path: "/api/preferences", token: e.alice, lakebase: true, want: 200, decision: "success",
			setup: func(t *testing.T, e *env) { e.db.Restore() }},
		{name: "fallback me", method: "GET", path: "/api/user/me", fallback: true, want: 200, decision: "success"},
		{name: "fallback catalogs", method: "GET", path: "/api/unity-catalog/catalogs", fallback: true, want: 200, decision: "success"},
	}
}

// run serves the scenario and checks its status.
func (s scenario) run(t *testing.T, e *env) answer {
	t.Helper()
	for _, f := range s.faults {
		e.ws.InjectFault(f)
	}
	if s.setup != nil {
		s.setup(t, e)
	}
	defer e.ws.ClearFaults()
	h := e.strict
	switch {
	case s.fallback:
		h = e.fallback
	case s.lakebase:
		h = e.lakebase
	}
	a := send(h, s.method, s.path, s.body, s.token, nil)
	if a.status != s.want {
		t.Errorf("%s: status %d, want %d (%.300s)", s.name, a.status, s.want, a.body)
	}
	return a
}

// responseText is an answer's headers and body, as a client could see them.
func (a answer) responseText() string {
	var b []byte
	for k, vs := range a.header {
		for _, v := range vs {
			b = append(b, k+": "+v+"\n"...)
		}
	}
	return string(append(b, a.body...))
}
