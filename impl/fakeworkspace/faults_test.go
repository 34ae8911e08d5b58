package fakeworkspace_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/databricks/databricks-sdk-go/service/catalog"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

const mePath = "/api/2.0/preview/scim/v2/Me"

func TestFaultStatusCountAndRetryAfter(t *testing.T) {
	ws, host := newDemo(t)
	tok := ws.IssuePAT(fakeworkspace.Alice)
	ws.InjectFault(fakeworkspace.Fault{Path: mePath, Status: 429, RetryAfter: "3", Count: 2})
	for i, want := range []int{429, 429, 200, 200} {
		a := call(t, "GET", host+mePath, tok, nil)
		if a.status != want {
			t.Fatalf("request %d: %d, want %d", i, a.status, want)
		}
		if want == 429 {
			a.wantError(t, 429, "REQUEST_LIMIT_EXCEEDED", "")
			if a.header.Get("Retry-After") != "3" {
				t.Errorf("Retry-After %q", a.header.Get("Retry-After"))
			}
		}
	}
	if n := len(ws.RequestsTo(mePath)); n != 4 {
		t.Errorf("%d requests logged, want 4 (faulted ones too)", n)
	}
}

func TestFaultMatching(t *testing.T) {
	ws, host := newDemo(t)
	alice, bob := ws.IssuePAT(fakeworkspace.Alice), ws.IssuePAT(fakeworkspace.Bob)
	catalogs := host + "/api/2.1/unity-catalog/catalogs"
	for _, tc := range []struct {
		name   string
		faults []fakeworkspace.Fault
		// each request and the status it must get
		steps []struct {
			method, url, token string
			status             int
		}
	}{
		{
			name:   "until cleared",
			faults: []fakeworkspace.Fault{{Path: mePath, Status: 503}},
			steps: []struct {
				method, url, token string
				status             int
			}{{"GET", host + mePath, alice, 503}, {"GET", host + mePath, alice, 503}, {"GET", catalogs, alice, 200}},
		},
		{
			name:   "only this token",
			faults: []fakeworkspace.Fault{{Path: "*", Token: bob, Status: 500}},
			steps: []struct {
				method, url, token string
				status             int
			}{{"GET", host + mePath, alice, 200}, {"GET", host + mePath, bob, 500}, {"GET", catalogs, bob, 500}},
		},
		{
			name:   "only this method",
			faults: []fakeworkspace.Fault{{Method: "POST", Path: mePath, Status: 500}},
			steps: []struct {
				method, url, token string
				status             int
			}{{"GET", host + mePath, alice, 200}},
		},
		{
			name: "prefix, first match wins",
			faults: []fakeworkspace.Fault{
				{Path: "/api/2.1/unity-catalog/*", Status: 503, Count: 1},
				{Path: "/api/2.1/unity-catalog/catalogs", Status: 500, Count: 1},
			},
			steps: []struct {
				method, url, token string
				status             int
			}{{"GET", catalogs, alice, 503}, {"GET", catalogs, alice, 500}, {"GET", catalogs, alice, 200}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ws.ClearFaults()
			for _, f := range tc.faults {
				ws.InjectFault(f)
			}
			for i, s := range tc.steps {
				if a := call(t, s.method, s.url, s.token, nil); a.status != s.status {
					t.Errorf("step %d: %s %s got %d, want %d", i, s.method, s.url, a.status, s.status)
				}
			}
		})
	}
	ws.ClearFaults()
	if a := call(t, "GET", host+mePath, bob, nil); a.status != 200 {
		t.Errorf("after ClearFaults: %d", a.status)
	}
}

func TestFaultCustomError(t *testing.T) {
	ws, host := newDemo(t)
	ws.InjectFault(fakeworkspace.Fault{Path: mePath, Status: 403, ErrorCode: "PERMISSION_DENIED", Message: "Invalid scope"})
	call(t, "GET", host+mePath, ws.IssuePAT(fakeworkspace.Alice), nil).wantError(t, 403, "PERMISSION_DENIED", "Invalid scope")
}

func TestFaultDelayThenServe(t *testing.T) {
	ws, host := newDemo(t)
	const delay = 300 * time.Millisecond
	ws.InjectFault(fakeworkspace.Fault{Path: mePath, Delay: delay, Count: 1})
	begin := time.Now()
	a := call(t, "GET", host+mePath, ws.IssuePAT(fakeworkspace.Alice), nil)
	if took := time.Since(begin); a.status != 200 || took < delay {
		t.Errorf("%d after %v, want 200 after at least %v", a.status, took, delay)
	}
}

func TestFaultDelayStopsWhenTheClientGivesUp(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	ws.InjectFault(fakeworkspace.Fault{Path: mePath, Delay: time.Minute})

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+mePath, nil)
	req.Header.Set("Authorization", "Bearer "+ws.IssuePAT(fakeworkspace.Alice))
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want the client's deadline", err)
	}
	// httptest.Server.Close waits for handlers in flight: it returns at
	// once only if the delayed handler stopped waiting.
	begin := time.Now()
	srv.Close()
	if took := time.Since(begin); took > 5*time.Second {
		t.Errorf("the delayed handler ran on for %v after the client left", took)
	}
}

func TestFaultReset(t *testing.T) {
	ws, host := newDemo(t)
	tok := ws.IssuePAT(fakeworkspace.Alice)
	ws.InjectFault(fakeworkspace.Fault{Path: mePath, Reset: true, Count: 1})
	// A fresh client so the connection is new: net/http silently retries
	// some requests that fail on a reused connection.
	client := &http.Client{Transport: &http.Transport{}}
	req, _ := http.NewRequest("GET", host+mePath, nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	if resp, err := client.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("got %d, want a broken connection", resp.StatusCode)
	} else {
		t.Logf("the client saw: %v", err)
	}
	if a := call(t, "GET", host+mePath, tok, nil); a.status != 200 {
		t.Errorf("after the reset: %d", a.status)
	}
}

// The SDK retries 429, 503 and connection resets on its own; each attempt
// is a request in the log.
func TestSDKRetriesFaults(t *testing.T) {
	for _, f := range []fakeworkspace.Fault{
		{Path: "/api/2.1/unity-catalog/catalogs", Status: 503, Count: 1},
		{Path: "/api/2.1/unity-catalog/catalogs", Status: 429, RetryAfter: "1", Count: 1},
		{Path: "/api/2.1/unity-catalog/catalogs", Reset: true, Count: 1},
	} {
		t.Run(map[bool]string{true: "reset", false: http.StatusText(f.Status)}[f.Reset], func(t *testing.T) {
			t.Parallel()
			ws, host := newDemo(t)
			w := patClient(t, host, ws.IssuePAT(fakeworkspace.Bob))
			ws.InjectFault(f)
			cats, err := w.Catalogs.ListAll(context.Background(), catalog.ListCatalogsRequest{})
			if err != nil || len(cats) != 2 {
				t.Fatalf("%d catalogs, %v", len(cats), err)
			}
			// Bob's 2 catalogs fit one page: one faulted attempt, one retry.
			if n := len(ws.RequestsTo("/api/2.1/unity-catalog/catalogs")); n != 2 {
				t.Errorf("%d attempts, want 2", n)
			}
		})
	}
}

func TestSDKDoesNotRetryPermanentErrors(t *testing.T) {
	ws, host := newDemo(t)
	w := patClient(t, host, ws.IssuePAT(fakeworkspace.Bob))
	ws.InjectFault(fakeworkspace.Fault{Path: mePath, Status: 500, Count: 1})
	if _, err := w.CurrentUser.Me(context.Background()); err == nil {
		t.Fatal("no error")
	}
	if n := len(ws.RequestsTo(mePath)); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

// TestTokenEndpointFaultsAreOAuthErrors: a fault on the OAuth token endpoint
// answers in the endpoint's own shape (RFC 6749 section 5.2), which is what
// golang.org/x/oauth2 reads, and the grant then works again. The tokens'
// lifetime is the service principal's TokenLifetime.
func TestTokenEndpointFaultsAreOAuthErrors(t *testing.T) {
	ws, host := newDemo(t)
	sp := ws.ServicePrincipalInfo()
	sp.TokenLifetime = 90 * time.Second
	ws.SetServicePrincipal(sp)
	grant := func() answer {
		t.Helper()
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {sp.ClientID}, "client_secret": {sp.ClientSecret}}
		resp, err := http.PostForm(host+"/oidc/v1/token", form)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		a := answer{status: resp.StatusCode, header: resp.Header}
		_ = json.NewDecoder(resp.Body).Decode(&a.body)
		return a
	}
	for _, tc := range []struct {
		fault      fakeworkspace.Fault
		code, desc string
	}{
		{fakeworkspace.Fault{Status: 503}, "temporarily_unavailable", "Injected fault: Service Unavailable"},
		{fakeworkspace.Fault{Status: 500}, "server_error", "Injected fault: Internal Server Error"},
		{fakeworkspace.Fault{Status: 401}, "invalid_client", "Injected fault: Unauthorized"},
		{fakeworkspace.Fault{Status: 400, ErrorCode: "invalid_scope", Message: "no such scope"}, "invalid_scope", "no such scope"},
	} {
		f := tc.fault
		f.Path, f.Count = "/oidc/v1/token", 1
		ws.InjectFault(f)
		a := grant()
		if a.status != f.Status || a.body["error"] != tc.code || a.body["error_description"] != tc.desc || a.body["error_code"] != nil {
			t.Errorf("fault %d: %d %v, want %d {error: %s, error_description: %s}", f.Status, a.status, a.body, f.Status, tc.code, tc.desc)
		}
	}
	if a := grant(); a.status != 200 || a.body["access_token"] == nil || a.body["expires_in"] != float64(90) {
		t.Errorf("after the faults: %d %v, want a token that expires in 90 s", a.status, a.body)
	}
}
