package databricks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestPostgresCredentialIsTheEndpointsAsTheServicePrincipal: a Lakebase
// Autoscaling credential is asked for at /api/2.0/postgres/credentials for
// the endpoint's resource path, as the service principal; it is one the
// workspace issued for that endpoint (what Lakebase accepts at login),
// with the expiry Databricks gave; a 503 is retried under its own
// operation name.
func TestPostgresCredentialIsTheEndpointsAsTheServicePrincipal(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	var (
		mu      sync.Mutex
		retried []string
	)
	onRetry := func(_ context.Context, operation string, _ int, _ error) {
		mu.Lock()
		defer mu.Unlock()
		retried = append(retried, operation)
	}
	id, secret := ws.ServicePrincipal()
	c, err := databricks.New(databricks.Options{Host: srv.URL, OnRetry: onRetry}, databricks.ServicePrincipal{ClientID: id, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/postgres/credentials", Status: http.StatusServiceUnavailable, Count: 1})

	before := time.Now()
	cred, err := c.App.PostgresCredential(context.Background(), fakeworkspace.DemoPostgresEndpoint)
	if err != nil {
		t.Fatal(err)
	}
	if !ws.ValidDatabaseCredential(cred.Token) {
		t.Error("the credential is not one the workspace issued")
	}
	issued := ws.DatabaseCredentials()
	if len(issued) != 1 || issued[0].Endpoint != fakeworkspace.DemoPostgresEndpoint || issued[0].IssuedTo != id || !cred.ExpiresAt.Equal(issued[0].ExpiresAt) {
		t.Errorf("issued %+v; got a credential expiring %v", issued, cred.ExpiresAt)
	}
	if cred.ExpiresAt.Before(before.Add(59*time.Minute)) || cred.ExpiresAt.After(before.Add(61*time.Minute)) {
		t.Errorf("expires %v, want in an hour", cred.ExpiresAt)
	}
	if strings.Contains(cred.String(), cred.Token) {
		t.Error("the credential prints its token")
	}
	reqs := ws.RequestsTo("/api/2.0/postgres/credentials")
	if len(reqs) != 2 {
		t.Fatalf("%d requests, want the 503 and its retry", len(reqs))
	}
	for _, r := range reqs {
		var body struct {
			Endpoint string `json:"endpoint"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Endpoint != fakeworkspace.DemoPostgresEndpoint || r.UserName != id || r.Method != http.MethodPost {
			t.Errorf("%s %s as %q with body %s, want a POST of the endpoint as the service principal", r.Method, r.Path, r.UserName, r.Body)
		}
	}
	if n := len(ws.RequestsTo("/api/2.0/database/")); n != 0 {
		t.Errorf("%d calls to the Provisioned API (/api/2.0/database/), want none", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(retried) != 1 || retried[0] != "postgres.credentials.generate" {
		t.Errorf("retries %v, want one of postgres.credentials.generate", retried)
	}
}

// TestPostgresCredentialErrorsAreOurKinds: an endpoint the workspace does
// not have is Internal (a 404 to a call that carries nothing of a client's
// is a misconfiguration of ours), a refusal Forbidden, an answer without a token
// Upstream; none issues a credential, and no error carries the service
// principal's secret.
func TestPostgresCredentialErrorsAreOurKinds(t *testing.T) {
	ws, c := newWithServicePrincipal(t, fakeworkspace.DemoClientSecret)
	ctx := context.Background()
	check := func(name string, err error, want apperr.Kind) {
		t.Helper()
		if apperr.KindOf(err) != want {
			t.Errorf("%s: %v, want %v", name, err, want)
		}
		if err != nil && strings.Contains(err.Error(), fakeworkspace.DemoClientSecret) {
			t.Errorf("%s: the error carries the service principal's secret", name)
		}
	}

	_, err := c.App.PostgresCredential(ctx, "projects/onbehalf/branches/production/endpoints/elsewhere")
	check("unknown endpoint", err, apperr.Internal)

	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/postgres/credentials", Status: http.StatusForbidden, Count: 1})
	_, err = c.App.PostgresCredential(ctx, fakeworkspace.DemoPostgresEndpoint)
	check("refused", err, apperr.Forbidden)

	// A 200 without a token: the fault answers {"error_code", "message"}.
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/postgres/credentials", Status: http.StatusOK, Count: 1})
	cred, err := c.App.PostgresCredential(ctx, fakeworkspace.DemoPostgresEndpoint)
	check("no token", err, apperr.Upstream)
	if cred.Token != "" {
		t.Errorf("a credential %v from an answer without a token", cred)
	}
	if n := len(ws.DatabaseCredentials()); n != 0 {
		t.Errorf("%d credentials issued, want none", n)
	}
}
