package databricks_test

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

func setup(t *testing.T) (*fakeworkspace.Workspace, *databricks.UserClient) {
	t.Helper()
	// The platform always sets these on Databricks Apps; the user client must
	// not read them (that is what fails with "more than one authorization
	// method configured" when it does).
	t.Setenv("DATABRICKS_CLIENT_ID", "env-client-id")
	t.Setenv("DATABRICKS_CLIENT_SECRET", "env-client-secret")
	t.Setenv("DATABRICKS_TOKEN", "env-token")
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	return ws, c.User
}

func as(token string) context.Context {
	return reqctx.WithCredential(context.Background(), reqctx.Credential{Token: token, Method: reqctx.OBO})
}

func TestUserClientSendsEachRequestsOwnTokenAndNothingElse(t *testing.T) {
	ws, c := setup(t)
	alice := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	bob := ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...)
	ws.ResetRequests()
	for i, tok := range []string{alice, bob, alice, bob} {
		u, err := c.CurrentUser(as(tok))
		if err != nil {
			t.Fatal(err)
		}
		want := []string{fakeworkspace.Alice, fakeworkspace.Bob}[i%2]
		if u.UserName != want {
			t.Errorf("call %d answered as %s, want %s", i, u.UserName, want)
		}
	}
	reqs := ws.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d upstream calls for 4 requests, want exactly one each (no metadata or token round trips)", len(reqs))
	}
	for i, r := range reqs {
		if want := []string{alice, bob}[i%2]; r.Token != want {
			t.Errorf("call %d carried the wrong token", i)
		}
	}
}

func TestUserClientRefusesACallWithoutACredential(t *testing.T) {
	ws, c := setup(t)
	ws.ResetRequests()
	if _, err := c.CurrentUser(context.Background()); err == nil {
		t.Fatal("a call without a request credential succeeded")
	}
	if n := len(ws.Requests()); n != 0 {
		t.Errorf("%d calls went out without a user token", n)
	}
}

func TestUserClientRetries503OnTheSchedule(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	ws.ResetRequests()
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Status: 503})
	_, err := c.CurrentUser(as(tok))
	if apperr.KindOf(err) != apperr.Upstream {
		t.Fatalf("err %v, want Upstream", err)
	}
	reqs := ws.Requests()
	if len(reqs) != 4 {
		t.Fatalf("%d attempts, want 4 (the first and 3 retries)", len(reqs))
	}
	for i, want := range []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond} {
		gap := reqs[i+1].Time.Sub(reqs[i].Time)
		if gap < want || gap > want+150*time.Millisecond {
			t.Errorf("wait before retry %d was %v, want about %v", i+1, gap, want)
		}
	}
}

func TestUserClientNeverRetries429(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	ws.ResetRequests()
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Status: 429, RetryAfter: "3"})
	_, err := c.CurrentUser(as(tok))
	e := apperr.As(err)
	if e == nil || e.Kind != apperr.RateLimited || e.RetryAfter != "3" {
		t.Fatalf("err %v, want RateLimited with Retry-After 3", err)
	}
	if n := len(ws.Requests()); n != 1 {
		t.Errorf("%d attempts, want 1", n)
	}
}

func TestUserClientConnectionResetIsRetriedByOurPolicyOnly(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	ws.ResetRequests()
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Reset: true, Count: 2})
	u, err := c.CurrentUser(as(tok))
	if err != nil || u.UserName != fakeworkspace.Alice {
		t.Fatalf("got %v, %v; want alice after two resets", u, err)
	}
	if n := len(ws.Requests()); n != 3 {
		t.Errorf("%d attempts, want 3", n)
	}
}
