package databricks_test

import (
	"context"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// newWithServicePrincipal builds the process's clients the way cmd/server
// does, with the platform's variables set to other values in the environment:
// the clients must use only what they are given.
func newWithServicePrincipal(t *testing.T, secret string) (*fakeworkspace.Workspace, *databricks.Clients) {
	t.Helper()
	t.Setenv("DATABRICKS_CLIENT_ID", "env-client-id")
	t.Setenv("DATABRICKS_CLIENT_SECRET", "env-client-secret")
	t.Setenv("DATABRICKS_TOKEN", "env-token")
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	id, _ := ws.ServicePrincipal()
	c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{ClientID: id, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return ws, c
}

func TestAppClientIsTheServicePrincipalThroughOAuthM2M(t *testing.T) {
	ws, c := newWithServicePrincipal(t, fakeworkspace.DemoClientSecret)
	if c.App == nil {
		t.Fatal("no service-principal client although credentials were given")
	}
	tok, err := c.App.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// The token is the service principal's: Databricks answers as it.
	u, err := c.User.CurrentUser(as(tok))
	if err != nil {
		t.Fatal(err)
	}
	if u.UserName != fakeworkspace.DemoClientID {
		t.Errorf("the app's token acts as %q, want the service principal %q", u.UserName, fakeworkspace.DemoClientID)
	}
	grants := ws.RequestsTo("/oidc/v1/token")
	if len(grants) != 1 {
		t.Fatalf("%d token requests, want 1", len(grants))
	}
	// The service principal's own token is cached until it nears expiry;
	// a second Token call makes no new grant.
	if _, err := c.App.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	if n := len(ws.RequestsTo("/oidc/v1/token")); n != 1 {
		t.Errorf("%d token requests after two Token calls, want 1", n)
	}
}

func TestAppClientWithAWrongSecretFailsWithoutRevealingIt(t *testing.T) {
	const secret = "dose-wrong-secret-0123456789"
	_, c := newWithServicePrincipal(t, secret)
	_, err := c.App.Token(context.Background())
	// The app's own credentials are wrong: a 500, never retried.
	if apperr.KindOf(err) != apperr.Internal {
		t.Fatalf("err %v, want Internal", err)
	}
	e := apperr.As(err)
	if strings.Contains(err.Error(), secret) || strings.Contains(e.Detail, secret) {
		t.Errorf("the error reveals the secret: %v", err)
	}
}

func TestNoServicePrincipalClientWithoutCredentials(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{ClientID: "only-an-id"})
	if err != nil {
		t.Fatal(err)
	}
	if c.App != nil {
		t.Error("a service-principal client was built without a secret")
	}
}
