package main

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/config"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// TestLakebaseCredentialsComeFromTheServicePrincipalForEachNewConnection
// wires the store as on Databricks Apps (PG* variables, no DATABASE_URL)
// against the fake workspace: only the service principal's token asks for
// database credentials, never a user's, and a new connection (after the
// database went away and came back) gets a new credential.
func TestLakebaseCredentialsComeFromTheServicePrincipalForEachNewConnection(t *testing.T) {
	ws, proxy, h, alice := lakebaseAsOnDatabricksApps(t)
	spID, _ := ws.ServicePrincipal()
	put := func() {
		t.Helper()
		if code, body := call(h, "PUT", "/api/preferences/theme", alice, `{"value":"dark"}`); code != http.StatusOK {
			t.Fatalf("PUT as alice: %d %s", code, body)
		}
	}

	put()
	before := ws.DatabaseCredentials()
	if len(before) == 0 {
		t.Fatal("no database credential was asked for")
	}
	proxy.Cut() // every open connection is lost
	if code, _ := call(h, "GET", "/api/preferences/theme", alice, ""); code != http.StatusServiceUnavailable {
		t.Fatalf("GET while the database is away: %d, want 503", code)
	}
	if n := len(ws.DatabaseCredentials()) - len(before); n > 1 {
		t.Errorf("one request while the database is away asked for %d credentials, want at most 1", n)
	}
	before = ws.DatabaseCredentials()
	proxy.Restore()
	put()
	after := ws.DatabaseCredentials()
	if len(after) <= len(before) {
		t.Fatalf("%d credentials before the new connection, %d after: a new connection must get a new one", len(before), len(after))
	}
	tokens := map[string]bool{}
	for _, c := range after {
		if c.IssuedTo != spID || !slices.Equal(c.InstanceNames, []string{"onbehalf-test"}) {
			t.Errorf("credential issued to %q for %v, want the service principal %q for onbehalf-test", c.IssuedTo, c.InstanceNames, spID)
		}
		if tokens[c.Token] {
			t.Error("the same credential was issued twice")
		}
		tokens[c.Token] = true
	}
	reqs := ws.RequestsTo("/api/2.0/database/credentials")
	if len(reqs) != len(after) {
		t.Errorf("%d credential requests, %d credentials", len(reqs), len(after))
	}
	for _, r := range reqs {
		if r.UserName != spID || r.Token == alice {
			t.Errorf("a credential was asked for with the token of %q, want only the service principal's", r.UserName)
		}
	}
}

// TestLakebaseCredentialExpiryNeedsNoRestart: Lakebase credentials expire an
// hour after they are issued, and Lakebase checks them when a connection
// logs in. Once every credential the server holds has expired, the open
// connection still serves; a new connection logs in with a new credential,
// never an expired one, without a restart; and what was acknowledged before
// is still there.
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
	var code int
	var body string
	for range 5 { // the first request after the cut may find the pool's dead connection
		if code, body = call(h, "GET", "/api/preferences/theme", alice, ""); code == http.StatusOK {
			break
		}
	}
	if code != http.StatusOK || !strings.Contains(body, `"dark"`) {
		t.Fatalf("GET after the credentials expired and the connection was lost: %d %s, want the value written before", code, body)
	}
	if len(ws.DatabaseCredentials()) <= issued {
		t.Error("the new connection got no new credential")
	}
	if accepted, refused := proxy.Logins(); refused > 0 || accepted <= loginsBefore {
		t.Errorf("logins: %d accepted (%d before the cut), %d refused; want a new login after the cut, and every login with a valid credential", accepted, loginsBefore, refused)
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
		Host: host, Port: port, Database: strings.TrimPrefix(u.Path, "/"), User: lakebasetest.Role, SSLMode: "disable", Instance: "onbehalf-test",
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
