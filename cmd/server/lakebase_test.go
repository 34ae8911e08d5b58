package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/config"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
	"github.com/onbehalf/onbehalf/impl/observe"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// TestLakebaseCredentialIsSharedAndNotAskedForDuringAnOutage wires the
// store as on Databricks Apps (PG* variables, no DATABASE_URL) against the
// fake workspace: only the service principal's token asks for database
// credentials, never a user's; and one credential serves every new
// connection until shortly before it expires. While the database is away
// every request and every /readyz probe tries a new connection, and none of
// them asks the workspace for another credential: an outage or a probe
// must not hammer the credentials API. Once the database is back, the new
// connection logs in with the same credential.
func TestLakebaseCredentialIsSharedAndNotAskedForDuringAnOutage(t *testing.T) {
	ws, proxy, h, alice := lakebaseAsOnDatabricksApps(t)
	spID, _ := ws.ServicePrincipal()
	put := func() {
		t.Helper()
		if code, body := call(h, "PUT", "/api/preferences/theme", alice, `{"value":"dark"}`); code != http.StatusOK {
			t.Fatalf("PUT as alice: %d %s", code, body)
		}
	}

	put()
	if n := len(ws.DatabaseCredentials()); n != 1 {
		t.Fatalf("%d credentials for the migrations and the first request, want 1", n)
	}
	proxy.Cut() // every open connection is lost, and no new one can be made
	for range 20 {
		if code, _ := call(h, "GET", "/api/preferences/theme", alice, ""); code != http.StatusServiceUnavailable {
			t.Fatalf("GET while the database is away: %d, want 503", code)
		}
		if code, _ := call(h, "GET", "/readyz", "", ""); code != http.StatusServiceUnavailable {
			t.Fatalf("/readyz while the database is away: %d, want 503", code)
		}
	}
	if n := len(ws.DatabaseCredentials()); n != 1 {
		t.Errorf("%d credentials after 20 requests and 20 probes while the database was away, want still 1", n)
	}
	loginsBefore, _ := proxy.Logins()
	proxy.Restore()
	put()
	if accepted, refused := proxy.Logins(); accepted <= loginsBefore || refused > 0 {
		t.Errorf("logins: %d accepted (%d before), %d refused; want a new login with the shared credential", accepted, loginsBefore, refused)
	}
	creds := ws.DatabaseCredentials()
	if len(creds) != 1 {
		t.Errorf("%d credentials after the database came back, want still 1", len(creds))
	}
	for _, c := range creds {
		if c.IssuedTo != spID || !slices.Equal(c.InstanceNames, []string{fakeworkspace.DemoDatabaseInstance}) {
			t.Errorf("credential issued to %q for %v, want the service principal %q for %s", c.IssuedTo, c.InstanceNames, spID, fakeworkspace.DemoDatabaseInstance)
		}
	}
	reqs := ws.RequestsTo("/api/2.0/database/credentials")
	if len(reqs) != len(creds) {
		t.Errorf("%d credential requests, %d credentials", len(reqs), len(creds))
	}
	for _, r := range reqs {
		if r.UserName != spID || r.Token == alice {
			t.Errorf("a credential was asked for with the token of %q, want only the service principal's", r.UserName)
		}
	}
}

// TestLakebaseCredentialExpiryNeedsNoRestart: Lakebase checks a credential
// when a connection logs in. The server reuses its credential until
// shortly before the expiry Databricks gave it, so a credential that stops
// working sooner (revoked, or, here, every credential issued made to
// expire at once) is found out only when Lakebase refuses a login with it.
// The open connection still serves; once it is lost, the very first
// request succeeds, without a restart: it moves past the pool's dead
// connection, its login with the refused credential is refused once, the
// credential is dropped, and the next login uses a new one; and what was
// acknowledged before is still there. New connections after that share the
// new credential.
func TestLakebaseCredentialExpiryNeedsNoRestart(t *testing.T) {
	ws, proxy, h, alice := lakebaseAsOnDatabricksApps(t)

	if code, body := call(h, "PUT", "/api/preferences/theme", alice, `{"value":"dark"}`); code != http.StatusOK {
		t.Fatalf("PUT as alice: %d %s", code, body)
	}
	ws.ExpireDatabaseCredentials()
	if code, body := call(h, "GET", "/api/preferences/theme", alice, ""); code != http.StatusOK {
		t.Fatalf("GET on the open connection after the credentials expired: %d %s", code, body)
	}
	issued := len(ws.DatabaseCredentials())
	loginsBefore, _ := proxy.Logins()

	proxy.Cut() // every open connection is lost: the next one must log in
	proxy.Restore()
	if code, body := call(h, "GET", "/api/preferences/theme", alice, ""); code != http.StatusOK || !strings.Contains(body, `"dark"`) {
		t.Fatalf("first GET after the credentials expired and the connection was lost: %d %s, want the value written before", code, body)
	}
	if n := len(ws.DatabaseCredentials()) - issued; n != 1 {
		t.Errorf("%d new credentials after the old one was refused, want 1", n)
	}
	accepted, refused := proxy.Logins()
	if refused != 1 || accepted <= loginsBefore {
		t.Errorf("logins: %d accepted (%d before the cut), %d refused; want the expired credential refused once, then a login with a new one", accepted, loginsBefore, refused)
	}

	issued, loginsBefore = len(ws.DatabaseCredentials()), accepted
	proxy.Cut()
	proxy.Restore()
	if code, body := call(h, "GET", "/api/preferences/theme", alice, ""); code != http.StatusOK {
		t.Fatalf("first GET after the next lost connection: %d %s", code, body)
	}
	if accepted, refused := proxy.Logins(); refused != 1 || accepted <= loginsBefore || len(ws.DatabaseCredentials()) != issued {
		t.Errorf("logins: %d accepted (%d before), %d refused, %d new credentials; want a login with the shared new credential", accepted, loginsBefore, refused, len(ws.DatabaseCredentials())-issued)
	}
}

// lakebaseAsOnDatabricksApps wires the store as on Databricks Apps (PG*
// variables, no DATABASE_URL, the service principal's credentials) against
// the fake workspace, through a proxy the test controls that checks every
// login's credential with the fake, as Lakebase does, and returns the
// handler and a token of alice.
func lakebaseAsOnDatabricksApps(t *testing.T) (*fakeworkspace.Workspace, *lakebasetest.Proxy, http.Handler, string) {
	t.Helper()
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	spID, spSecret := ws.ServicePrincipal()
	clients, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{ClientID: spID, ClientSecret: spSecret})
	if err != nil {
		t.Fatal(err)
	}
	dbURL := lakebasetest.NewDatabase(t)
	u, _ := url.Parse(dbURL)
	proxy := lakebasetest.NewProxy(t, u.Host)
	proxy.RequirePassword(ws.ValidDatabaseCredential)
	pu, _ := url.Parse(proxy.Through(t, dbURL))
	host, port, _ := net.SplitHostPort(pu.Host)
	cfg := config.Config{ClientID: spID, Migrate: true, Lakebase: config.Lakebase{
		Host: host, Port: port, Database: strings.TrimPrefix(u.Path, "/"), User: lakebasetest.Role, SSLMode: "disable", Instance: fakeworkspace.DemoDatabaseInstance,
	}}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	store, err := openStore(t.Context(), cfg, false, clients.App, log)
	if err != nil {
		t.Fatal(err)
	}
	if store == nil {
		t.Fatal("no store from the PG* variables")
	}
	t.Cleanup(store.Close)
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return ws, proxy, h, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
}

// call serves one API request as the holder of token and returns the status
// and body.
func call(h http.Handler, method, path, token, body string) (int, string) {
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-Access-Token", token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code, rec.Body.String()
}

func TestOpenStoreChoosesTheConnection(t *testing.T) {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	lakebaseVars := config.Lakebase{Host: "instance-1.database.example.com"}

	// Neither DATABASE_URL nor PGHOST: not configured. The demo ignores
	// PGHOST (its service principal is the fake's).
	for _, tc := range []struct {
		name string
		cfg  config.Config
		demo bool
	}{
		{"nothing set", config.Config{}, false},
		{"demo with PGHOST", config.Config{Lakebase: lakebaseVars}, true},
	} {
		store, err := openStore(t.Context(), tc.cfg, tc.demo, nil, log)
		if store != nil || err != nil {
			t.Errorf("%s: store %v err %v, want not configured", tc.name, store, err)
		}
	}
	if _, err := openStore(t.Context(), config.Config{Lakebase: lakebaseVars}, false, nil, log); err == nil || !strings.Contains(err.Error(), "service principal") {
		t.Errorf("PGHOST without a service principal: err %v", err)
	}
	dbURL := lakebasetest.NewDatabase(t)
	store, err := openStore(t.Context(), config.Config{DatabaseURL: config.Secret(dbURL), Migrate: false}, true, nil, log)
	if err != nil || store == nil {
		t.Fatalf("DATABASE_URL in the demo: store %v err %v", store, err)
	}
	defer store.Close()
	// APP_MIGRATE=off: nothing was migrated.
	if _, err := store.GetPreference(t.Context(), "alice@example.com", "k"); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("an unmigrated database answers %v, want a missing table", err)
	}
}

// TestACredentialRetryForANewConnectionLeavesTheRequestAlone: pgxpool opens a
// new connection in a goroutine of its own, keeping the values of the
// request whose query asked for it but not its cancellation, so the
// service principal's credential call can be retried after that request
// has answered and been logged. The retry is the app's own work: it must
// not touch the request's Meta (run under -race, the write races with the
// request's own read of it), and it is logged without the request's
// correlation id and counted in auth_retry_total under its operation.
func TestACredentialRetryForANewConnectionLeavesTheRequestAlone(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	out := &output{}
	log := observe.NewLogger(out, slog.LevelInfo)
	metrics, err := observe.NewMetrics(prometheus.NewRegistry(), observe.MetricsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	spID, spSecret := ws.ServicePrincipal()
	clients, err := databricks.New(databricks.Options{Host: srv.URL, OnRetry: observe.OnRetry(log, metrics)},
		databricks.ServicePrincipal{ClientID: spID, ClientSecret: spSecret})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(lakebasetest.NewDatabase(t))
	host, port, _ := net.SplitHostPort(u.Host)
	cfg := config.Config{ClientID: spID, Migrate: false, Lakebase: config.Lakebase{
		Host: host, Port: port, Database: strings.TrimPrefix(u.Path, "/"), User: lakebasetest.Role, SSLMode: "disable", Instance: fakeworkspace.DemoDatabaseInstance,
	}}
	store, err := openStore(t.Context(), cfg, false, clients.App, log) // no migration: the pool holds no connection yet
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	// The credentials API answers its first call with a 503, late: the
	// request gives up first, and the retry comes after it has ended.
	const delay = 500 * time.Millisecond
	ws.InjectFault(fakeworkspace.Fault{Method: "POST", Path: "/api/2.0/database/credentials", Status: http.StatusServiceUnavailable, Delay: delay, Count: 1})

	const id = "request-credential-retry"
	meta := &reqctx.Meta{CorrelationID: id, Operation: "getPreference"}
	ctx, cancel := context.WithTimeout(reqctx.WithMeta(t.Context(), meta), 100*time.Millisecond)
	defer cancel()
	if _, err := store.GetPreference(ctx, "alice@example.com", "theme"); err == nil {
		t.Fatal("the request got a connection before its credential")
	}
	cancel()
	// The request ends: its auth_event line reads its retries.
	if meta.Retries != 0 {
		t.Fatalf("the request counted %d retries before it ended, want 0", meta.Retries)
	}

	// Nothing here synchronises with the pool's goroutine until the retry
	// has had time to happen, so that the race detector sees a write to the
	// request's Meta for what it is.
	time.Sleep(2 * delay)
	deadline := time.Now().Add(10 * time.Second)
	for len(ws.DatabaseCredentials()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if len(ws.DatabaseCredentials()) == 0 {
		t.Fatal("the new connection's credential was never issued after the retry")
	}

	if meta.Retries != 0 {
		t.Errorf("the finished request's Meta counts %d retries, want 0: the credential is the app's work", meta.Retries)
	}
	var retryLines []string
	for _, l := range out.lines() {
		if strings.Contains(l, `"retrying Databricks call"`) {
			retryLines = append(retryLines, l)
		}
	}
	if len(retryLines) != 1 || !strings.Contains(retryLines[0], `"operation":"database.credentials.generate"`) {
		t.Fatalf("retry lines %q, want one for database.credentials.generate", retryLines)
	}
	if strings.Contains(retryLines[0], id) {
		t.Errorf("the credential's retry is logged as the request's: %s", retryLines[0])
	}
	rec := httptest.NewRecorder()
	metrics.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if want := `auth_retry_total{attempt_number="2",endpoint="database.credentials.generate"} 1`; !strings.Contains(rec.Body.String(), want) {
		t.Errorf("/metrics lacks %s; retries:\n%s", want, grepLines(rec.Body.String(), "auth_retry_total"))
	}
}

// TestTheLakebaseInstanceIsTheOneAtPGHOST: Databricks Apps injects PGHOST,
// the instance's DNS name (instance-<uid>.database.cloud.databricks.com),
// and not the instance's name, which the credentials are asked for. Without
// LAKEBASE_INSTANCE_NAME the server finds the name once, at start-up, in
// the instances' listing as the service principal, and every credential is
// asked for that name. When no instance is at PGHOST, or the listing is
// refused, the server does not start, and says to set
// LAKEBASE_INSTANCE_NAME; it never guesses a name. LAKEBASE_INSTANCE_NAME,
// when set, is used as given.
func TestTheLakebaseInstanceIsTheOneAtPGHOST(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	ws.SetPaging(1, false) // the demo's instance on the last of three pages
	ws.AddDatabaseInstance(fakeworkspace.DatabaseInstance{Name: "analytics"})
	ws.AddDatabaseInstance(fakeworkspace.DatabaseInstance{Name: "billing"})
	spID, spSecret := ws.ServicePrincipal()
	clients, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{ClientID: spID, ClientSecret: spSecret})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	asOnDatabricksApps := func(host, instance string) config.Config {
		return config.Config{ClientID: spID, Migrate: false, Lakebase: config.Lakebase{Host: host, SSLMode: "disable", Instance: instance}}
	}

	store, err := openStore(t.Context(), asOnDatabricksApps(fakeworkspace.DemoDatabaseHost, ""), false, clients.App, log)
	if err != nil {
		t.Fatalf("PGHOST %s: %v", fakeworkspace.DemoDatabaseHost, err)
	}
	defer store.Close()
	// A connection asks for its credential before it dials (the host does
	// not resolve here, so the ping itself fails); the credential is the
	// instance's, and the listing is not made again.
	for range 2 {
		_ = store.Ping(t.Context())
	}
	creds := ws.DatabaseCredentials()
	if len(creds) == 0 || !slices.Equal(creds[0].InstanceNames, []string{fakeworkspace.DemoDatabaseInstance}) {
		t.Errorf("credentials %+v, want one for %s", creds, fakeworkspace.DemoDatabaseInstance)
	}
	listings := ws.RequestsTo("/api/2.0/database/instances")
	if len(listings) != 3 {
		t.Errorf("%d listing requests, want the 3 pages once, at start-up", len(listings))
	}
	for _, r := range listings {
		if r.UserName != spID {
			t.Errorf("the instances were listed as %q, want the service principal", r.UserName)
		}
	}

	ws.ResetRequests()
	store, err = openStore(t.Context(), asOnDatabricksApps(fakeworkspace.DemoDatabaseHost, "onbehalf-other"), false, clients.App, log)
	if err != nil {
		t.Fatalf("LAKEBASE_INSTANCE_NAME set: %v", err)
	}
	store.Close()
	if n := len(ws.RequestsTo("/api/2.0/database/instances")); n != 0 {
		t.Errorf("LAKEBASE_INSTANCE_NAME set, yet the instances were listed %d times", n)
	}

	noInstance := "instance-00000000-0000-4000-8000-000000000000.database.cloud.databricks.com"
	if _, err := openStore(t.Context(), asOnDatabricksApps(noInstance, ""), false, clients.App, log); err == nil ||
		!strings.Contains(err.Error(), "LAKEBASE_INSTANCE_NAME") || !strings.Contains(err.Error(), "LAKEBASE_ENDPOINT") || !strings.Contains(err.Error(), noInstance) {
		t.Errorf("no instance at PGHOST: %v, want an error that says to set LAKEBASE_INSTANCE_NAME, or LAKEBASE_ENDPOINT for Autoscaling", err)
	}
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/database/instances", Status: http.StatusForbidden})
	_, err = openStore(t.Context(), asOnDatabricksApps(fakeworkspace.DemoDatabaseHost, ""), false, clients.App, log)
	if err == nil || !strings.Contains(err.Error(), "LAKEBASE_INSTANCE_NAME") {
		t.Errorf("listing refused: %v, want an error that says to set LAKEBASE_INSTANCE_NAME", err)
	}
	if err != nil && strings.Contains(err.Error(), spSecret) {
		t.Error("the error holds the service principal's secret")
	}
}

// TestTheLakebaseEndpointIsUsedForAutoscaling: with Lakebase Autoscaling,
// Databricks Apps injects the PG* variables and app.yaml adds
// LAKEBASE_ENDPOINT, the endpoint's resource path, from the app's postgres
// resource. The server, started with that environment, logs in to Postgres
// (here through a proxy that accepts only a credential the fake workspace
// issued and that has not expired, as Lakebase checks it) with a
// credential asked for at /api/2.0/postgres/credentials for that endpoint,
// by the service principal; it never lists instances nor asks the
// Provisioned API; a preference written is read back; and the start-up log
// says which database it uses, without any credential or secret.
func TestTheLakebaseEndpointIsUsedForAutoscaling(t *testing.T) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	spID, spSecret := ws.ServicePrincipal()
	dbURL := lakebasetest.NewDatabase(t)
	u, _ := url.Parse(dbURL)
	proxy := lakebasetest.NewProxy(t, u.Host)
	proxy.RequirePassword(ws.ValidDatabaseCredential)
	pu, _ := url.Parse(proxy.Through(t, dbURL))
	base, out := started(t, map[string]string{
		"DATABRICKS_APP_NAME": "onbehalf", "DATABRICKS_HOST": srv.URL,
		"DATABRICKS_CLIENT_ID": spID, "DATABRICKS_CLIENT_SECRET": spSecret,
		"PGHOST": pu.Hostname(), "PGPORT": pu.Port(), "PGDATABASE": strings.TrimPrefix(u.Path, "/"),
		"PGUSER": lakebasetest.Role, "PGSSLMODE": "disable",
		"LAKEBASE_ENDPOINT": fakeworkspace.DemoPostgresEndpoint,
	})
	alice := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)

	if code, body := send(t, "PUT", base+"/api/preferences/theme", alice, `{"value":"dark"}`); code != http.StatusOK {
		t.Fatalf("PUT as alice: %d %s", code, body)
	}
	if code, body := send(t, "GET", base+"/api/preferences/theme", alice, ""); code != http.StatusOK || !strings.Contains(body, `"dark"`) {
		t.Fatalf("GET as alice: %d %s, want the value written", code, body)
	}

	if accepted, refused := proxy.Logins(); accepted == 0 || refused != 0 {
		t.Errorf("logins: %d accepted, %d refused; want each with a credential the workspace issued", accepted, refused)
	}
	creds := ws.DatabaseCredentials()
	if len(creds) == 0 {
		t.Fatal("no Lakebase credential was issued")
	}
	for _, c := range creds {
		if c.Endpoint != fakeworkspace.DemoPostgresEndpoint || len(c.InstanceNames) != 0 || c.IssuedTo != spID {
			t.Errorf("credential for endpoint %q, instances %v, issued to %q; want the endpoint's, to the service principal", c.Endpoint, c.InstanceNames, c.IssuedTo)
		}
	}
	reqs := ws.RequestsTo("/api/2.0/postgres/credentials")
	if len(reqs) != len(creds) {
		t.Errorf("%d credential requests, %d credentials", len(reqs), len(creds))
	}
	for _, r := range reqs {
		var body struct {
			Endpoint string `json:"endpoint"`
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || body.Endpoint != fakeworkspace.DemoPostgresEndpoint || r.UserName != spID {
			t.Errorf("a credential was asked for with %s as %q, want the endpoint as the service principal", r.Body, r.UserName)
		}
	}
	if n := len(ws.RequestsTo("/api/2.0/database/")); n != 0 {
		t.Errorf("%d calls to the Provisioned API (instance listing or credentials), want none", n)
	}

	var logged bool
	for _, l := range out.lines() {
		var rec struct{ Msg, Endpoint, Host, User string }
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "Lakebase: using the endpoint as the service principal" {
			logged = rec.Endpoint == fakeworkspace.DemoPostgresEndpoint && rec.Host == pu.Hostname() && rec.User == lakebasetest.Role
		}
	}
	if !logged {
		t.Errorf("no start-up line names the endpoint, host and user:\n%s", grepLines(strings.Join(out.lines(), "\n"), "Lakebase"))
	}
	all := strings.Join(out.lines(), "\n")
	for _, c := range creds {
		if strings.Contains(all, c.Token) {
			t.Error("the output holds a Lakebase credential")
		}
	}
	if strings.Contains(all, spSecret) {
		t.Error("the output holds the service principal's secret")
	}
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var b strings.Builder
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}
