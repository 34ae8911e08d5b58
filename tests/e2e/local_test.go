package e2e

import (
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// Scenario 5 (T040), production rules: a request without the header gets a
// 401 problem, and nothing reaches Databricks in its name.
func TestScenario5NoHeaderIs401InProduction(t *testing.T) {
	st := startStack(t, nil)
	wantProblem(t, st.server.get(t, "/api/user/me", ""), 401, "missing_token")
	if reqs := apiRequests(t, st.fake); len(reqs) != 0 {
		t.Fatalf("a request without a token reached Databricks %d times", len(reqs))
	}
	if got := st.fake.requestsTo(t, "/oidc/v1/token"); len(got) != 0 {
		t.Fatalf("the server fell back to its service principal")
	}
}

// Scenario 5, local development: with APP_ENV=local and
// DATABRICKS_USER_TOKEN, a request without the header acts as that token's
// user; a request with the header still uses its own token.
func TestScenario5LocalUserToken(t *testing.T) {
	f := startFake(t)
	alice := f.userToken(t, fakeworkspace.Alice)
	s := startServer(t, serverEnv(f.URL, f.ServicePrincipal.ClientID, f.ServicePrincipal.ClientSecret,
		"APP_ENV=local", "DATABRICKS_USER_TOKEN="+alice))

	if a := s.get(t, "/api/user/me", ""); a.Status != 200 || a.JSON["user_id"] != fakeworkspace.Alice || a.JSON["auth_method"] != "obo" {
		t.Fatalf("without header: %d %s, want alice as obo", a.Status, a.Raw)
	}
	bob := f.userToken(t, fakeworkspace.Bob)
	if a := s.get(t, "/api/user/me", bob); a.Status != 200 || a.JSON["user_id"] != fakeworkspace.Bob {
		t.Fatalf("with bob's header: %d %s, want bob", a.Status, a.Raw)
	}
	if strings.Contains(s.stdout(), alice) || strings.Contains(s.stdout(), bob) {
		t.Fatal("a token appears in the server's output")
	}
}

// Scenario 5, the opt-in fallback: with APP_ENV=local and
// APP_SP_FALLBACK=true, a request without any token is served as the app's
// service principal, says so (auth_method service_principal), and every
// such request logs a warning under its own correlation id.
func TestScenario5LocalServicePrincipalFallbackWarnsEveryRequest(t *testing.T) {
	f := startFake(t)
	s := startServer(t, serverEnv(f.URL, f.ServicePrincipal.ClientID, f.ServicePrincipal.ClientSecret,
		"APP_ENV=local", "APP_SP_FALLBACK=true"))

	ids := map[string]bool{}
	for range 3 {
		a := s.get(t, "/api/user/me", "")
		if a.Status != 200 || a.JSON["auth_method"] != "service_principal" || a.JSON["user_id"] != f.ServicePrincipal.ClientID {
			t.Fatalf("fallback: %d %s, want the service principal", a.Status, a.Raw)
		}
		ids[a.Header.Get("X-Request-Id")] = true
	}
	for id := range ids {
		warn := s.waitLogs(t, 1, "level", "WARN", "auth_method", "service_principal", "correlation_id", id)
		if len(warn) != 1 || !strings.Contains(warn[0]["msg"].(string), "APP_SP_FALLBACK") {
			t.Errorf("request %s: %d fallback warnings, want 1", id, len(warn))
		}
	}
	// A user's header still wins over the fallback.
	alice := f.userToken(t, fakeworkspace.Alice)
	if a := s.get(t, "/api/user/me", alice); a.JSON["auth_method"] != "obo" || a.JSON["user_id"] != fakeworkspace.Alice {
		t.Fatalf("with a header under the fallback: %s", a.Raw)
	}
	if strings.Contains(s.stdout(), f.ServicePrincipal.ClientSecret) {
		t.Fatal("the client secret appears in the server's output")
	}
}

// Scenario 5, safety: the local switches are refused at start-up on
// Databricks Apps (DATABRICKS_APP_NAME set), and the fallback is refused
// outside APP_ENV=local.
func TestScenario5LocalSwitchesRefusedAtStartup(t *testing.T) {
	f := startFake(t)
	env := func(extra ...string) []string {
		return serverEnv(f.URL, f.ServicePrincipal.ClientID, f.ServicePrincipal.ClientSecret, extra...)
	}
	for _, c := range []struct {
		name string
		env  []string
		want string
	}{
		{"local on apps", env("DATABRICKS_APP_NAME=onbehalf", "APP_ENV=local"), "APP_ENV=local is refused on Databricks Apps"},
		{"fallback on apps", env("DATABRICKS_APP_NAME=onbehalf", "APP_ENV=local", "APP_SP_FALLBACK=true"), "APP_SP_FALLBACK is refused on Databricks Apps"},
		{"user token on apps", env("DATABRICKS_APP_NAME=onbehalf", "DATABRICKS_USER_TOKEN=dapi123"), "DATABRICKS_USER_TOKEN is refused on Databricks Apps"},
		{"fallback in production", env("APP_SP_FALLBACK=true"), "only allowed with APP_ENV=local"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if stderr := startupFailure(t, c.env); !strings.Contains(stderr, c.want) {
				t.Fatalf("stderr %q does not say %q", stderr, c.want)
			}
		})
	}
}
