package fakeworkspace_test

import (
	"encoding/json"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func TestControlEndpoints(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.HandlerWithControl())
	t.Cleanup(srv.Close)
	host := srv.URL

	// Tokens: a JWT with the scopes asked for, or an opaque one.
	noServing := call(t, "POST", host+"/_fake/tokens", "", map[string]any{"user_name": fakeworkspace.Alice, "scopes": fakeworkspace.DefaultScopes})
	tok, _ := noServing.body["token"].(string)
	if noServing.status != 200 || strings.Count(tok, ".") != 2 {
		t.Fatalf("%d %s", noServing.status, noServing.raw)
	}
	call(t, "GET", host+"/api/2.0/serving-endpoints", tok, nil).wantError(t, 403, "PERMISSION_DENIED", "Invalid scope")
	pat := call(t, "POST", host+"/_fake/tokens", "", map[string]any{"user_name": fakeworkspace.Bob, "opaque": true}).body["token"].(string)
	if me := call(t, "GET", host+mePath, pat, nil); me.body["userName"] != fakeworkspace.Bob {
		t.Errorf("Me with the opaque token: %s", me.raw)
	}
	call(t, "POST", host+"/_fake/tokens", "", map[string]any{"user_name": "carol@example.com"}).wantError(t, 404, "RESOURCE_DOES_NOT_EXIST", "")
	call(t, "POST", host+"/_fake/tokens", "", map[string]any{}).wantError(t, 400, "INVALID_PARAMETER_VALUE", "")
	if a := call(t, "POST", host+"/_fake/tokens/revoke", "", map[string]any{"token": pat}); a.status != 204 {
		t.Errorf("revoke: %d", a.status)
	}
	call(t, "GET", host+mePath, pat, nil).wantError(t, 401, "UNAUTHENTICATED", "")

	// Faults, with the delay in milliseconds.
	if a := call(t, "POST", host+"/_fake/faults", "", map[string]any{"path": mePath, "status": 503, "count": 1, "delay_ms": 50}); a.status != 204 {
		t.Fatalf("inject: %d %s", a.status, a.raw)
	}
	begin := time.Now()
	call(t, "GET", host+mePath, tok, nil).wantError(t, 503, "TEMPORARILY_UNAVAILABLE", "")
	if took := time.Since(begin); took < 50*time.Millisecond {
		t.Errorf("answered after %v, want the 50ms delay", took)
	}
	call(t, "POST", host+"/_fake/faults", "", map[string]any{"path": mePath, "status": 500})
	call(t, "DELETE", host+"/_fake/faults", "", nil)
	if a := call(t, "GET", host+mePath, tok, nil); a.status != 200 {
		t.Errorf("after DELETE /_fake/faults: %d", a.status)
	}
	call(t, "POST", host+"/_fake/faults", "", map[string]any{"status": 500}).wantError(t, 400, "INVALID_PARAMETER_VALUE", "")

	// The log holds the workspace requests only, tokens included.
	a := call(t, "GET", host+"/_fake/requests", "", nil)
	var logged []fakeworkspace.Request
	if err := json.Unmarshal(a.raw, &logged); err != nil {
		t.Fatal(err)
	}
	if len(logged) != 5 {
		t.Fatalf("%d requests logged, want the 5 workspace requests", len(logged))
	}
	if r := logged[len(logged)-1]; r.Path != mePath || r.Token != tok || r.UserName != fakeworkspace.Alice || r.Method != "GET" {
		t.Errorf("last request %+v", r)
	}
	if a := call(t, "DELETE", host+"/_fake/requests", "", nil); a.status != 204 || len(ws.Requests()) != 0 {
		t.Errorf("DELETE /_fake/requests: %d, %d left", a.status, len(ws.Requests()))
	}

	if a := call(t, "GET", host+"/_fake/database-credentials", "", nil); a.status != 200 || string(a.raw) != "[]\n" {
		t.Errorf("credentials %d %s", a.status, a.raw)
	}
	call(t, "GET", host+"/_fake/faults", "", nil).wantError(t, 404, "ENDPOINT_NOT_FOUND", "")
	call(t, "GET", host+"/_fake/nothing", "", nil).wantError(t, 404, "ENDPOINT_NOT_FOUND", "")
}

func TestJSONRoundTrips(t *testing.T) {
	f := fakeworkspace.Fault{Method: "GET", Path: "/api/*", Token: "t", Status: 429, ErrorCode: "X", Message: "m",
		RetryAfter: "2", Delay: 1500 * time.Millisecond, Count: 3, Reset: true}
	b, err := json.Marshal(f)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"delay_ms":1500`) {
		t.Errorf("fault JSON %s", b)
	}
	var back fakeworkspace.Fault
	if err := json.Unmarshal(b, &back); err != nil || back != f {
		t.Errorf("fault round trip %+v, %v", back, err)
	}

	r := fakeworkspace.Request{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Method: "POST", Path: "/p", RawQuery: "a=1",
		Token: "t", UserName: "u", Body: []byte(`{"x":1}`), Header: map[string][]string{"Authorization": {"Bearer t"}}}
	b, err = json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"body":"{\"x\":1}"`) {
		t.Errorf("request JSON %s", b)
	}
	var rback fakeworkspace.Request
	if err := json.Unmarshal(b, &rback); err != nil || !reflect.DeepEqual(rback, r) {
		t.Errorf("request round trip %+v, %v", rback, err)
	}
}

func TestStartupInfo(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv, err := ws.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	info := ws.StartupInfo(srv.URL)
	if info.URL != srv.URL || info.WorkspaceID != fakeworkspace.DefaultWorkspaceID ||
		info.ServicePrincipal.ClientID != fakeworkspace.DemoClientID || info.ServicePrincipal.ClientSecret != fakeworkspace.DemoClientSecret {
		t.Errorf("info %+v", info)
	}
	if len(info.Users) != 2 || info.Users[0].UserName != fakeworkspace.Alice || info.Users[1].DisplayName != "Bob Builder" {
		t.Fatalf("users %+v", info.Users)
	}
	for _, u := range info.Users {
		for _, tok := range []string{u.Token, u.PAT} {
			if a := call(t, "GET", srv.URL+"/api/2.0/serving-endpoints", tok, nil); a.status != 200 {
				t.Errorf("%s's token: %d %s", u.UserName, a.status, a.raw)
			}
		}
	}
}
