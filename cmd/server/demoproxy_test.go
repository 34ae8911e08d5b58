package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func do(t *testing.T, method, url, cookie, body string) (int, string, []*http.Cookie) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if cookie != "" {
		req.AddCookie(&http.Cookie{Name: demoCookie, Value: cookie})
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Cookies()
}

// TestDemoProxyOnlyInDemoMode: the demo sign-in acts for a browser in demo
// mode, and does not exist when a workspace is configured: the same cookie
// then gets a 401, and /_demo/ is an unknown path.
func TestDemoProxyOnlyInDemoMode(t *testing.T) {
	t.Run("demo mode", func(t *testing.T) {
		base, _ := started(t, map[string]string{})
		if status, body, _ := do(t, "GET", base+"/_demo/users", "", ""); status != 200 || !strings.Contains(body, `"alice-no-serving"`) {
			t.Fatalf("GET /_demo/users: %d %s", status, body)
		}
		status, body, cookies := do(t, "POST", base+"/_demo/sign-in", "", `{"user":"bob"}`)
		if status != 204 || len(cookies) != 1 || cookies[0].Name != demoCookie || cookies[0].Value != "bob" || !cookies[0].HttpOnly {
			t.Fatalf("sign-in: %d %s %v", status, body, cookies)
		}
		if status, body, _ := do(t, "GET", base+"/api/user/me", "bob", ""); status != 200 || !strings.Contains(body, fakeworkspace.Bob) {
			t.Fatalf("signed in as bob, /api/user/me: %d %s", status, body)
		}
		if status, body, _ := do(t, "GET", base+"/api/model-serving/endpoints", "alice-no-serving", ""); status != 403 || !strings.Contains(body, "serving.serving-endpoints") {
			t.Fatalf("alice without the serving scope: %d %s", status, body)
		}
		if status, _, _ := do(t, "GET", base+"/api/user/me", "", ""); status != 401 {
			t.Fatalf("not signed in, /api/user/me: %d, want 401", status)
		}
		if status, _, _ := do(t, "POST", base+"/_demo/sign-in", "", `{"user":"mallory"}`); status != 400 {
			t.Fatalf("sign-in as an unknown user: %d, want 400", status)
		}
	})
	t.Run("workspace configured", func(t *testing.T) {
		ws := fakeworkspace.Demo()
		fake := httptest.NewServer(ws.Handler())
		t.Cleanup(fake.Close)
		id, secret := ws.ServicePrincipal()
		base, _ := started(t, map[string]string{"DATABRICKS_HOST": fake.URL, "DATABRICKS_CLIENT_ID": id, "DATABRICKS_CLIENT_SECRET": secret})
		for _, path := range []string{"/_demo/users", "/_demo/sign-in"} {
			if status, body, cookies := do(t, "POST", base+path, "", `{"user":"alice"}`); status != 404 || len(cookies) != 0 || !strings.Contains(body, "no_such_path") {
				t.Fatalf("POST %s outside demo mode: %d %s %v, want a 404 problem", path, status, body, cookies)
			}
		}
		if status, body, _ := do(t, "GET", base+"/_demo/users", "", ""); status == 200 || strings.Contains(body, "alice") {
			t.Fatalf("GET /_demo/users outside demo mode: %d %s", status, body)
		}
		if status, body, _ := do(t, "GET", base+"/api/user/me", "alice", ""); status != 401 {
			t.Fatalf("demo cookie outside demo mode, /api/user/me: %d %s, want 401", status, body)
		}
	})
}

// TestDemoProxyKeepsTheHeader: a request that already carries a token (as
// from the real proxy, or a test setting it) is passed on untouched.
func TestDemoProxyKeepsTheHeader(t *testing.T) {
	var got string
	p := newDemoProxy(fakeworkspace.Demo(), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { got = r.Header.Get(forwardedAuth) }))
	req := httptest.NewRequest("GET", "/api/user/me", nil)
	req.Header.Set(forwardedAuth, "given")
	req.AddCookie(&http.Cookie{Name: demoCookie, Value: "alice"})
	p.ServeHTTP(httptest.NewRecorder(), req)
	if got != "given" {
		t.Fatalf("header %q, want the request's own", got)
	}
	req = httptest.NewRequest("GET", "/api/user/me", nil)
	req.AddCookie(&http.Cookie{Name: demoCookie, Value: "alice"})
	p.ServeHTTP(httptest.NewRecorder(), req)
	if strings.Count(got, ".") != 2 {
		t.Fatalf("signed-in request got header %q, want the demo user's JWT", got)
	}
}
