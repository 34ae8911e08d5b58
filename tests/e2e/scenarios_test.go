package e2e

import (
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// stack is a fake workspace process and a server process pointed at it.
type stack struct {
	fake   *fakeProc
	server *serverProc
}

// startStack starts the demo fake workspace (with fakeArgs) and a server in
// production mode against it; extraEnv adds server variables.
func startStack(t *testing.T, fakeArgs []string, extraEnv ...string) stack {
	t.Helper()
	return startStackOn(t, startFake(t, fakeArgs...), extraEnv...)
}

// startStackOn is startStack with a fake already started.
func startStackOn(t *testing.T, f *fakeProc, extraEnv ...string) stack {
	t.Helper()
	s := startServer(t, serverEnv(f.URL, f.ServicePrincipal.ClientID, f.ServicePrincipal.ClientSecret, extraEnv...))
	// Whatever the scenario did, no credential may appear in the server's
	// output (its logs).
	t.Cleanup(func() {
		out := s.stdout()
		for _, secret := range f.secrets() {
			if secret != "" && strings.Contains(out, secret) {
				t.Errorf("a credential the fake issued appears in the server's output")
				return
			}
		}
	})
	return stack{fake: f, server: s}
}

// apiRequests returns the requests the fake received on the Databricks API
// (not discovery or OAuth).
func apiRequests(t *testing.T, f *fakeProc) []fakeworkspace.Request {
	var out []fakeworkspace.Request
	for _, r := range f.requests(t) {
		if strings.HasPrefix(r.Path, "/api/") || strings.HasPrefix(r.Path, "/serving-endpoints/") {
			out = append(out, r)
		}
	}
	return out
}

// Scenario 1 (T036): /api/user/me answers the user of the header's token,
// with auth_method "obo", and the user's own token is what reached
// Databricks, not the service principal's.
func TestScenario1BasicOBO(t *testing.T) {
	st := startStack(t, nil)
	alice := st.fake.userToken(t, fakeworkspace.Alice)

	a := st.server.get(t, "/api/user/me", alice)
	if a.Status != 200 {
		t.Fatalf("status %d: %s", a.Status, a.Raw)
	}
	if a.JSON["auth_method"] != "obo" || a.JSON["user_id"] != fakeworkspace.Alice || a.JSON["display_name"] != "Alice Analyst" {
		t.Fatalf("answer %s, want alice with auth_method obo", a.Raw)
	}
	if a.JSON["user_id"] == st.fake.ServicePrincipal.ClientID {
		t.Fatalf("answered as the service principal")
	}
	reqs := apiRequests(t, st.fake)
	if len(reqs) != 1 || reqs[0].Path != "/api/2.0/preview/scim/v2/Me" {
		t.Fatalf("fake received %d API requests, want exactly one SCIM Me: %+v", len(reqs), reqs)
	}
	if reqs[0].Token != alice || reqs[0].UserName != fakeworkspace.Alice {
		t.Fatalf("SCIM Me carried the token of %q, want alice's own token", reqs[0].UserName)
	}
	if got := st.fake.requestsTo(t, "/oidc/v1/token"); len(got) != 0 {
		t.Fatalf("the server fetched a service principal token %d times serving a user request", len(got))
	}
}

// Scenario 2 (T037): two users see their own catalogs, schemas and tables.
func TestScenario2CatalogIsolation(t *testing.T) {
	st := startStack(t, nil)
	alice, bob := st.fake.userToken(t, fakeworkspace.Alice), st.fake.userToken(t, fakeworkspace.Bob)

	cases := []struct {
		token, path string
		want        []string
		status      int
	}{
		{alice, "/api/unity-catalog/catalogs", []string{"main", "sales", "samples"}, 200},
		{bob, "/api/unity-catalog/catalogs", []string{"main", "hr"}, 200},
		{alice, "/api/unity-catalog/catalogs/sales/schemas", []string{"customers", "forecast", "orders"}, 200},
		{bob, "/api/unity-catalog/catalogs/hr/schemas", []string{"payroll", "people"}, 200},
		{bob, "/api/unity-catalog/catalogs/sales/schemas", nil, 403},
		{alice, "/api/unity-catalog/catalogs/hr/schemas/payroll/tables", nil, 403},
		{bob, "/api/unity-catalog/catalogs/hr/schemas/payroll/tables", []string{"salaries", "bonuses", "cost_by_team"}, 200},
	}
	for _, c := range cases {
		a := st.server.get(t, c.path, c.token)
		if c.status != 200 {
			wantProblem(t, a, c.status, "")
			continue
		}
		if a.Status != 200 {
			t.Fatalf("%s: status %d: %s", c.path, a.Status, a.Raw)
		}
		got := itemNames(a)
		slices.Sort(got)
		want := slices.Clone(c.want)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: items %v, want %v", c.path, got, want)
		}
	}
	for _, r := range apiRequests(t, st.fake) {
		if r.Token != alice && r.Token != bob {
			t.Errorf("%s carried a token that is neither user's (user %q)", r.Path, r.UserName)
		}
	}
}

// Scenario 3 (T038): serving endpoints are listed, read and invoked as the
// user: each user sees their own endpoints, and the agent answers the
// user whose token reached it.
func TestScenario3ModelServing(t *testing.T) {
	st := startStack(t, nil)
	alice, bob := st.fake.userToken(t, fakeworkspace.Alice), st.fake.userToken(t, fakeworkspace.Bob)

	for _, c := range []struct {
		token string
		want  []string
	}{{alice, []string{"agent-chat", "sales-forecast"}}, {bob, []string{"agent-chat", "hr-assistant"}}} {
		a := st.server.get(t, "/api/model-serving/endpoints", c.token)
		if got := itemNames(a); a.Status != 200 || !slices.Equal(got, c.want) {
			t.Fatalf("endpoints: status %d items %v, want %v: %s", a.Status, got, c.want, a.Raw)
		}
	}
	wantProblem(t, st.server.get(t, "/api/model-serving/endpoints/hr-assistant", alice), 403, "")
	if a := st.server.get(t, "/api/model-serving/endpoints/hr-assistant", bob); a.Status != 200 || field(a.JSON, "state", "ready") != "NOT_READY" {
		t.Fatalf("bob's hr-assistant: %d %s", a.Status, a.Raw)
	}

	body := []byte(`{"input":[{"role":"user","content":"hello"}]}`)
	a := st.server.do(t, "POST", "/api/model-serving/endpoints/agent-chat/invocations", bob, body)
	if a.Status != 200 || !strings.Contains(a.JSON["output_text"].(string), "Echo for "+fakeworkspace.Bob) {
		t.Fatalf("invocation as bob: %d %s", a.Status, a.Raw)
	}
	inv := st.fake.requestsTo(t, "/serving-endpoints/agent-chat/invocations")
	if len(inv) != 1 || inv[0].Token != bob {
		t.Fatalf("invocation reached the fake %d times, or not with bob's token", len(inv))
	}
}

// Scenario 7 (T042): two tabs of one user are two independent sessions
// (two tokens): both work at the same time, and when one tab's session ends
// (its token revoked) the other carries on untouched.
func TestScenario7TwoTabsIndependent(t *testing.T) {
	st := startStack(t, nil)
	tab1 := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.AllScopes...)
	tab2 := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.AllScopes...)

	var wg sync.WaitGroup
	errs := make(chan string, 40)
	for i := range 20 {
		tok := []string{tab1, tab2}[i%2]
		wg.Go(func() {
			a, err := st.server.try("GET", "/api/unity-catalog/catalogs", tok, nil)
			if err != nil || a.Status != 200 {
				errs <- "concurrent tab request failed: " + string(a.Raw)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}

	st.fake.revoke(t, tab1) // tab 1 closed: its session is gone
	wantProblem(t, st.server.get(t, "/api/user/me", tab1), 401, "upstream_401")
	for range 3 {
		if a := st.server.get(t, "/api/user/me", tab2); a.Status != 200 || a.JSON["user_id"] != fakeworkspace.Alice {
			t.Fatalf("tab 2 after tab 1 closed: %d %s", a.Status, a.Raw)
		}
	}
}

// Scenario 8 (T043): the platform replaces a user's token mid-session. The
// next request carries the new token and the server uses it at once; the
// old token never reaches Databricks again.
func TestScenario8TokenReplacedMidSession(t *testing.T) {
	st := startStack(t, nil)
	old := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.AllScopes...)
	for range 3 {
		if a := st.server.get(t, "/api/unity-catalog/catalogs", old); a.Status != 200 {
			t.Fatalf("old token: %d %s", a.Status, a.Raw)
		}
	}
	st.fake.resetRequests(t)

	fresh := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.AllScopes...)
	st.fake.revoke(t, old) // expired
	for _, path := range []string{"/api/user/me", "/api/unity-catalog/catalogs", "/api/model-serving/endpoints", "/api/user/me/workspace"} {
		if a := st.server.get(t, path, fresh); a.Status != 200 {
			t.Fatalf("%s with the new token: %d %s", path, a.Status, a.Raw)
		}
	}
	reqs := apiRequests(t, st.fake)
	if len(reqs) == 0 {
		t.Fatal("no request reached the fake")
	}
	for _, r := range reqs {
		if r.Token != fresh {
			t.Errorf("%s went out with a token other than the new one (old reused: %v)", r.Path, r.Token == old)
		}
	}
}

// The token-oscillation case (seed token-oscillation-fixed.md): the user's
// requests alternate between a token with the serving scope and one
// without. Each request gets what its own token deserves: 200 with the
// user's endpoints, or a 403 naming the missing scope before any call to
// Databricks. Run concurrently too, so a token leaking across requests
// would show.
func TestTokenOscillationEachRequestGetsItsOwnAnswer(t *testing.T) {
	st := startStack(t, nil)
	good := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.AllScopes...)
	bad := st.fake.token(t, fakeworkspace.Alice, fakeworkspace.DefaultScopes...)

	check := func(tok string, a answer) string {
		if tok == good {
			if a.Status != 200 || !slices.Equal(itemNames(a), []string{"agent-chat", "sales-forecast"}) {
				return "token with the scope: " + string(a.Raw)
			}
			return ""
		}
		missing, _ := a.JSON["missing_scopes"].([]any)
		if a.Status != 403 || a.JSON["type"] != "urn:onbehalf:problem:missing_scope" ||
			len(missing) != 1 || missing[0] != "serving.serving-endpoints" || a.JSON["remediation"] == nil {
			return "token without the scope: " + string(a.Raw)
		}
		return ""
	}
	for i := range 10 { // sequential, alternating
		tok := []string{good, bad}[i%2]
		if msg := check(tok, st.server.get(t, "/api/model-serving/endpoints", tok)); msg != "" {
			t.Fatalf("request %d: %s", i, msg)
		}
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failures []string
	for i := range 60 { // concurrent, interleaved
		tok := []string{good, bad}[i%2]
		wg.Go(func() {
			a, err := st.server.try("GET", "/api/model-serving/endpoints", tok, nil)
			msg := ""
			if err != nil {
				msg = err.Error()
			} else {
				msg = check(tok, a)
			}
			if msg != "" {
				mu.Lock()
				failures = append(failures, msg)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if len(failures) > 0 {
		t.Fatalf("%d of 60 concurrent requests got another token's answer, e.g. %s", len(failures), failures[0])
	}
	serving := st.fake.requestsTo(t, "/api/2.0/serving-endpoints")
	if len(serving) != 35 {
		t.Errorf("fake saw %d serving requests, want 35 (one per request with the scope)", len(serving))
	}
	for _, r := range serving {
		if r.Token != good {
			t.Fatalf("a serving request reached Databricks with the token lacking the scope")
		}
	}
}
