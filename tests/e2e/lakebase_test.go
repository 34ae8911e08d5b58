package e2e

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// Scenario 4 (T039): preferences are per user, kept over the app's service
// principal. The server is configured as on Databricks Apps (the PG*
// variables, no DATABASE_URL): it logs in to Postgres as the role named
// after the service principal's client id, with a password the service
// principal asked the workspace for. Two users writing the same key each
// read back their own value; neither sees, reads or deletes the other's
// keys; every row carries its user's id; and the log lines of each request
// carry that request's user id.
func TestScenario4LakebaseIsolation(t *testing.T) {
	db := testDatabase(t)
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	sp := fakeworkspace.DemoClientID // the fake's service principal, as a process
	allowRole(t, db, sp)
	dbName := strings.TrimPrefix(u.Path, "/")
	fake := startFake(t)
	proxy, env := throughLoginCheck(t, db, fake)
	st := startStackOn(t, fake, env...)
	alice, bob := st.fake.userToken(t, fakeworkspace.Alice), st.fake.userToken(t, fakeworkspace.Bob)

	if a := st.server.do(t, "PUT", "/api/preferences/theme", alice, []byte(`{"value":"dark"}`)); a.Status != 200 {
		t.Fatalf("alice put theme: %d %s", a.Status, a.Raw)
	}
	if a := st.server.do(t, "PUT", "/api/preferences/theme", bob, []byte(`{"value":"light"}`)); a.Status != 200 {
		t.Fatalf("bob put theme: %d %s", a.Status, a.Raw)
	}
	if a := st.server.do(t, "PUT", "/api/preferences/alice-only", alice, []byte(`{"value":{"n":1}}`)); a.Status != 200 {
		t.Fatalf("alice put alice-only: %d %s", a.Status, a.Raw)
	}
	for _, c := range []struct{ token, want string }{{alice, "dark"}, {bob, "light"}} {
		if a := st.server.get(t, "/api/preferences/theme", c.token); a.Status != 200 || a.JSON["value"] != c.want {
			t.Fatalf("theme: %d %s, want %q", a.Status, a.Raw, c.want)
		}
	}
	wantProblem(t, st.server.get(t, "/api/preferences/alice-only", bob), 404, "")
	list := st.server.get(t, "/api/preferences", bob)
	items, _ := list.JSON["items"].([]any)
	for _, it := range items {
		if field(it, "key") == "alice-only" {
			t.Fatalf("bob's list holds alice's key: %s", list.Raw)
		}
	}
	if a := st.server.do(t, "DELETE", "/api/preferences/alice-only", bob, nil); a.Status != 404 {
		t.Fatalf("bob deleting alice's key: %d %s, want 404", a.Status, a.Raw)
	}
	if a := st.server.get(t, "/api/preferences/alice-only", alice); a.Status != 200 {
		t.Fatalf("alice's key after bob's delete: %d %s", a.Status, a.Raw)
	}
	for _, u := range []string{fakeworkspace.Alice, fakeworkspace.Bob} {
		if got := st.server.waitLogs(t, 1, "msg", "request", "route", "GET /api/preferences/{key}", "user_id", u); len(got) == 0 {
			t.Errorf("no request log line carries user_id %s", u)
		}
	}

	// The database session is the service principal's, with credentials it
	// asked for itself; no user token ever went to the credentials API.
	admin := adminOf(t, db)
	ctx := context.Background()
	rows, err := admin.Query(ctx, "SELECT DISTINCT usename FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", dbName)
	if err != nil {
		t.Fatal(err)
	}
	sessions, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(sessions, []string{sp}) {
		t.Errorf("database sessions as %v, want only the service principal %s", sessions, sp)
	}
	var creds []struct {
		IssuedTo      string   `json:"issued_to"`
		InstanceNames []string `json:"instance_names"`
	}
	st.fake.control(t, "GET", "/_fake/database-credentials", nil, &creds)
	if len(creds) == 0 {
		t.Error("no Lakebase credential was asked for")
	}
	for _, c := range creds {
		if c.IssuedTo != sp || !slices.Equal(c.InstanceNames, []string{fakeworkspace.DemoDatabaseInstance}) {
			t.Errorf("credential issued to %s for %v, want the service principal for %s", c.IssuedTo, c.InstanceNames, fakeworkspace.DemoDatabaseInstance)
		}
	}
	for _, r := range st.fake.requestsTo(t, "/api/2.0/database/credentials") {
		if r.UserName != sp {
			t.Errorf("the credentials API was called as %q, want the service principal", r.UserName)
		}
	}
	if accepted, refused := proxy.Logins(); accepted == 0 || refused > 0 {
		t.Errorf("logins to Postgres: %d accepted, %d refused; want each with a credential the fake issued", accepted, refused)
	}

	// Every row carries its user's id (read as the administrator, past RLS).
	rows, err = admin.Query(ctx, "SELECT user_id || ' ' || key FROM user_preferences ORDER BY user_id, key")
	if err != nil {
		t.Fatal(err)
	}
	tagged, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{fakeworkspace.Alice + " alice-only", fakeworkspace.Alice + " theme", fakeworkspace.Bob + " theme"}
	if !slices.Equal(tagged, want) {
		t.Errorf("rows %v, want %v", tagged, want)
	}
}

// Lakebase faults on the real binary, with each login's credential checked
// as Lakebase checks it: the database going away is a 503 (and /readyz
// says so), and asks the workspace for no new credential; while it is away
// every credential the server holds expires; once it is back the very
// first request succeeds on the same server: its login with the expired
// credential is refused once, and it logs in with a new one; and it reads
// back what it acknowledged before.
func TestLakebaseFaultsAnsweredAsPromisedAndRecovered(t *testing.T) {
	db := testDatabase(t)
	allowRole(t, db, fakeworkspace.DemoClientID)
	fake := startFake(t)
	proxy, env := throughLoginCheck(t, db, fake)
	st := startStackOn(t, fake, env...)
	alice := st.fake.userToken(t, fakeworkspace.Alice)

	if a := st.server.do(t, "PUT", "/api/preferences/theme", alice, []byte(`{"value":"dark"}`)); a.Status != 200 {
		t.Fatalf("put theme: %d %s", a.Status, a.Raw)
	}
	credentialCalls := len(st.fake.requestsTo(t, "/api/2.0/database/credentials"))
	proxy.Cut()
	for range 5 {
		wantProblem(t, st.server.get(t, "/api/preferences/theme", alice), 503, "")
		wantProblem(t, st.server.get(t, "/readyz", ""), 503, "")
	}
	if n := len(st.fake.requestsTo(t, "/api/2.0/database/credentials")) - credentialCalls; n != 0 {
		t.Errorf("%d credential requests while the database was away, want none", n)
	}
	st.fake.control(t, "POST", "/_fake/database-credentials/expire", nil, nil)
	proxy.Restore()

	if a := st.server.get(t, "/api/preferences/theme", alice); a.Status != 200 || a.JSON["value"] != "dark" {
		t.Fatalf("first request after recovery: %d %s, want the value written before the fault", a.Status, a.Raw)
	}
	if a := st.server.get(t, "/readyz", ""); a.Status != 200 {
		t.Errorf("/readyz after recovery: %d %s", a.Status, a.Raw)
	}
	if _, refused := proxy.Logins(); refused != 1 {
		t.Errorf("%d logins refused, want 1: the expired credential once, then a new one", refused)
	}
}

// throughLoginCheck puts a proxy between the server and the database db
// that checks each login's password with fake, as Lakebase checks its
// credentials (the shared Postgres trusts every local login). It returns
// the proxy and the server's environment to reach db through it as on
// Databricks Apps: the PG* variables and the Lakebase instance.
func throughLoginCheck(t *testing.T, db string, fake *fakeProc) (*lakebasetest.Proxy, []string) {
	t.Helper()
	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	proxy := lakebasetest.NewProxy(t, u.Host)
	proxy.RequirePassword(fake.validDatabaseCredential)
	pu, err := url.Parse(proxy.Through(t, db))
	if err != nil {
		t.Fatal(err)
	}
	return proxy, []string{"PGHOST=" + pu.Hostname(), "PGPORT=" + pu.Port(), "PGDATABASE=" + strings.TrimPrefix(u.Path, "/"),
		"PGSSLMODE=disable", "LAKEBASE_INSTANCE_NAME=" + fakeworkspace.DemoDatabaseInstance}
}
