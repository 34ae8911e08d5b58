package fakeworkspace_test

// These tests talk to the fake with the real Databricks Go SDK, unmodified:
// they are the proof that the fake speaks the real wire format.

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/databricks/databricks-sdk-go/apierr"
	"github.com/databricks/databricks-sdk-go/service/catalog"
	"github.com/databricks/databricks-sdk-go/service/database"
	"github.com/databricks/databricks-sdk-go/service/postgres"
	"github.com/databricks/databricks-sdk-go/service/serving"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func TestSDKCurrentUserIsTheTokensUser(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	for _, tc := range []struct {
		userName, displayName string
		token                 string
	}{
		{fakeworkspace.Alice, "Alice Analyst", ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...)},
		{fakeworkspace.Bob, "Bob Builder", ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...)},
		{fakeworkspace.Alice, "Alice Analyst", ws.IssuePAT(fakeworkspace.Alice)},
	} {
		w := patClient(t, host, tc.token)
		me, err := w.CurrentUser.Me(ctx)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := ws.LookupUser(tc.userName)
		if me.UserName != tc.userName || me.DisplayName != tc.displayName || me.Id != want.ID || !me.Active {
			t.Errorf("Me = %+v, want %s (%s, id %s)", me, tc.userName, tc.displayName, want.ID)
		}
		if len(me.Emails) != 1 || me.Emails[0].Value != tc.userName || !me.Emails[0].Primary || me.Emails[0].Type != "work" {
			t.Errorf("emails = %+v", me.Emails)
		}
		id, err := w.CurrentWorkspaceID(ctx)
		if err != nil || id != 1234567890123456 {
			t.Errorf("CurrentWorkspaceID = %d, %v", id, err)
		}
	}
}

func TestSDKResolvesHostMetadata(t *testing.T) {
	ws, host := newDemo(t)
	w := patClient(t, host, ws.IssuePAT(fakeworkspace.Alice))
	// NewWorkspaceClient resolved the config, which fetches the metadata.
	if got := ws.RequestsTo("/.well-known/databricks-config"); len(got) != 1 {
		t.Fatalf("%d metadata requests, want 1", len(got))
	}
	if w.Config.WorkspaceID != fakeworkspace.DefaultWorkspaceID || w.Config.DiscoveryURL != host+"/oidc/.well-known/oauth-authorization-server" {
		t.Errorf("resolved workspace id %q, discovery URL %q", w.Config.WorkspaceID, w.Config.DiscoveryURL)
	}
	if w.Config.Cloud != "AWS" {
		t.Errorf("cloud %q", w.Config.Cloud)
	}
}

func TestSDKListsCatalogsSchemasTablesPageByPage(t *testing.T) {
	for _, emptyPages := range []bool{false, true} {
		t.Run(map[bool]string{false: "pages", true: "with empty pages"}[emptyPages], func(t *testing.T) {
			ws, host := newDemo(t)
			ws.SetPaging(2, emptyPages)
			ctx := context.Background()
			alice := patClient(t, host, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...))

			ws.ResetRequests()
			cats, err := alice.Catalogs.ListAll(ctx, catalog.ListCatalogsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got := catalogNames(cats); !slices.Equal(got, []string{"main", "sales", "samples"}) {
				t.Errorf("catalogs %v", got)
			}
			if c := cats[1]; c.FullName != "sales" || c.Owner != "sales-admins" || c.Comment != "Sales analytics" ||
				c.CatalogType != catalog.CatalogTypeManagedCatalog || c.CreatedAt != 1705311000000 {
				t.Errorf("sales = %+v", c)
			}
			// 3 catalogs in pages of 2: two pages, or four with the empty
			// page after each.
			reqs := ws.RequestsTo("/api/2.1/unity-catalog/catalogs")
			if want := map[bool]int{false: 2, true: 4}[emptyPages]; len(reqs) != want {
				t.Errorf("%d page requests, want %d", len(reqs), want)
			}
			// The SDK's List asks for max_results=0 (ForceSendFields) but its
			// query encoder drops zero values, so nothing is sent: the fake
			// pages then too.
			if q, _ := url.ParseQuery(reqs[0].RawQuery); q.Has("max_results") || q.Has("page_token") {
				t.Errorf("first page query %q", reqs[0].RawQuery)
			}
			if q, _ := url.ParseQuery(reqs[1].RawQuery); q.Get("page_token") == "" {
				t.Errorf("second page query %q, want a page_token", reqs[1].RawQuery)
			}

			schemas, err := alice.Schemas.ListAll(ctx, catalog.ListSchemasRequest{CatalogName: "sales"})
			if err != nil {
				t.Fatal(err)
			}
			if got := schemaNames(schemas); !slices.Equal(got, []string{"customers", "forecast", "orders"}) {
				t.Errorf("schemas %v", got)
			}
			if s := schemas[2]; s.FullName != "sales.orders" || s.CatalogName != "sales" || s.Owner != "sales-admins" {
				t.Errorf("schema = %+v", s)
			}

			tables, err := alice.Tables.ListAll(ctx, catalog.ListTablesRequest{CatalogName: "samples", SchemaName: "tpch"})
			if err != nil {
				t.Fatal(err)
			}
			if got := tableNames(tables); !slices.Equal(got, []string{"customer", "lineitem", "nation", "orders", "region"}) {
				t.Errorf("tables %v", got)
			}
			if tb := tables[2]; tb.FullName != "samples.tpch.nation" || tb.TableType != catalog.TableTypeExternal ||
				tb.DataSourceFormat != catalog.DataSourceFormatDelta || tb.SchemaName != "tpch" || tb.CatalogName != "samples" {
				t.Errorf("table = %+v", tb)
			}
			views, err := alice.Tables.ListAll(ctx, catalog.ListTablesRequest{CatalogName: "main", SchemaName: "reference"})
			if err != nil {
				t.Fatal(err)
			}
			if v := views[2]; v.Name != "calendar" || v.TableType != catalog.TableTypeView || v.DataSourceFormat != "" {
				t.Errorf("view = %+v", v)
			}
		})
	}
}

func TestSDKSmallerMaxResultsMakesSmallerPages(t *testing.T) {
	ws, host := newDemo(t)
	ws.SetPaging(100, false)
	alice := patClient(t, host, ws.IssuePAT(fakeworkspace.Alice))
	tables, err := alice.Tables.ListAll(context.Background(), catalog.ListTablesRequest{CatalogName: "samples", SchemaName: "tpch", MaxResults: 2})
	if err != nil || len(tables) != 5 {
		t.Fatalf("%d tables, %v", len(tables), err)
	}
	if n := len(ws.RequestsTo("/api/2.1/unity-catalog/tables")); n != 3 {
		t.Errorf("%d pages, want 3", n)
	}
}

func TestSDKUsersSeeOnlyWhatTheyAreGranted(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	for _, tc := range []struct {
		user      string
		catalogs  []string
		endpoints []string
		denied    string // a catalog that exists but is not granted
	}{
		{fakeworkspace.Alice, []string{"main", "sales", "samples"}, []string{"agent-chat", "sales-forecast"}, "hr"},
		{fakeworkspace.Bob, []string{"hr", "main"}, []string{"agent-chat", "hr-assistant"}, "sales"},
	} {
		t.Run(tc.user, func(t *testing.T) {
			w := patClient(t, host, ws.IssueToken(tc.user, fakeworkspace.AllScopes...))
			cats, err := w.Catalogs.ListAll(ctx, catalog.ListCatalogsRequest{})
			if err != nil {
				t.Fatal(err)
			}
			if got := catalogNames(cats); !slices.Equal(got, tc.catalogs) {
				t.Errorf("catalogs %v, want %v", got, tc.catalogs)
			}
			eps, err := w.ServingEndpoints.ListAll(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, e := range eps {
				names = append(names, e.Name)
			}
			if !slices.Equal(names, tc.endpoints) {
				t.Errorf("endpoints %v, want %v", names, tc.endpoints)
			}

			_, err = w.Schemas.ListAll(ctx, catalog.ListSchemasRequest{CatalogName: tc.denied})
			wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED",
				"User does not have USE CATALOG on Catalog '"+tc.denied+"'.")
			_, err = w.Tables.ListAll(ctx, catalog.ListTablesRequest{CatalogName: tc.denied, SchemaName: "x"})
			wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "")
			_, err = w.Schemas.ListAll(ctx, catalog.ListSchemasRequest{CatalogName: "nope"})
			wantAPIError(t, err, apierr.ErrNotFound, 404, "CATALOG_DOES_NOT_EXIST", "Catalog 'nope' does not exist.")
			_, err = w.Tables.ListAll(ctx, catalog.ListTablesRequest{CatalogName: "main", SchemaName: "nope"})
			wantAPIError(t, err, apierr.ErrNotFound, 404, "SCHEMA_DOES_NOT_EXIST", "Schema 'main.nope' does not exist.")
		})
	}
}

func TestSDKServingEndpoints(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	bob := patClient(t, host, ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...))

	eps, err := bob.ServingEndpoints.ListAll(ctx)
	if err != nil {
		t.Fatal(err)
	}
	hr := eps[1]
	if hr.Name != "hr-assistant" || hr.Task != "agent/v1/responses" || hr.Creator != fakeworkspace.Bob || len(hr.Id) != 32 ||
		hr.State.Ready != serving.EndpointStateReadyNotReady || hr.State.ConfigUpdate != serving.EndpointStateConfigUpdateInProgress ||
		hr.CreationTimestamp != 1705311000000 {
		t.Errorf("hr-assistant = %+v, state %+v", hr, hr.State)
	}

	got, err := bob.ServingEndpoints.Get(ctx, serving.GetServingEndpointRequest{Name: "agent-chat"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "agent-chat" || got.State.Ready != serving.EndpointStateReadyReady || got.PermissionLevel != "CAN_QUERY" {
		t.Errorf("agent-chat = %+v", got)
	}
	_, err = bob.ServingEndpoints.Get(ctx, serving.GetServingEndpointRequest{Name: "sales-forecast"})
	wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "")
	_, err = bob.ServingEndpoints.Get(ctx, serving.GetServingEndpointRequest{Name: "nope"})
	wantAPIError(t, err, apierr.ErrResourceDoesNotExist, 404, "RESOURCE_DOES_NOT_EXIST", "")
}

func TestSDKScopesAreEnforcedOnUserTokensOnly(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	noServing := patClient(t, host, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...))
	_, err := noServing.ServingEndpoints.ListAll(ctx)
	wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "Invalid scope")
	_, err = noServing.Catalogs.ListAll(ctx, catalog.ListCatalogsRequest{})
	wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "Invalid scope")

	noIdentity := patClient(t, host, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.ScopeCatalogs))
	_, err = noIdentity.CurrentUser.Me(ctx)
	wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "Invalid scope")
	if _, err := noIdentity.Catalogs.ListAll(ctx, catalog.ListCatalogsRequest{}); err != nil {
		t.Errorf("catalogs with the catalogs scope: %v", err)
	}
	// Schemas need their own scope.
	_, err = noIdentity.Schemas.ListAll(ctx, catalog.ListSchemasRequest{CatalogName: "main"})
	wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "Invalid scope")

	// The older names of the serving scope work.
	for _, alias := range []string{"model-serving", "serving"} {
		w := patClient(t, host, ws.IssueToken(fakeworkspace.Alice, alias))
		if _, err := w.ServingEndpoints.ListAll(ctx); err != nil {
			t.Errorf("serving with scope %q: %v", alias, err)
		}
	}
	// Personal access tokens are not scope-checked.
	pat := patClient(t, host, ws.IssuePAT(fakeworkspace.Alice))
	if _, err := pat.ServingEndpoints.ListAll(ctx); err != nil {
		t.Errorf("serving with a PAT: %v", err)
	}
}

func TestSDKUnknownAndRevokedTokensAreUnauthenticated(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	_, err := patClient(t, host, "dapi0000").CurrentUser.Me(ctx)
	wantAPIError(t, err, apierr.ErrUnauthenticated, 401, "UNAUTHENTICATED", "Invalid access token.")

	tok := ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...)
	w := patClient(t, host, tok)
	if _, err := w.CurrentUser.Me(ctx); err != nil {
		t.Fatal(err)
	}
	ws.RevokeToken(tok)
	_, err = w.CurrentUser.Me(ctx)
	wantAPIError(t, err, apierr.ErrUnauthenticated, 401, "UNAUTHENTICATED", "Invalid access token.")
}

func TestSDKServicePrincipalWithOAuthM2M(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	id, secret := ws.ServicePrincipal()
	if id != fakeworkspace.DemoClientID || secret != fakeworkspace.DemoClientSecret {
		t.Fatalf("demo service principal %s / %s", id, secret)
	}
	sp := m2mClient(t, host, id, secret)
	me, err := sp.CurrentUser.Me(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if me.UserName != id || me.DisplayName != "onbehalf-app" {
		t.Errorf("Me = %+v", me)
	}

	before := time.Now()
	cred, err := sp.Database.GenerateDatabaseCredential(ctx, database.GenerateDatabaseCredentialRequest{InstanceNames: []string{"onbehalf-db"}})
	if err != nil {
		t.Fatal(err)
	}
	exp, err := time.Parse(time.RFC3339, cred.ExpirationTime)
	if err != nil || cred.Token == "" || exp.Before(before.Add(59*time.Minute)) || exp.After(before.Add(61*time.Minute)) {
		t.Errorf("credential %+v (%v)", cred, err)
	}
	again, err := sp.Database.GenerateDatabaseCredential(ctx, database.GenerateDatabaseCredentialRequest{InstanceNames: []string{"onbehalf-db"}})
	if err != nil || again.Token == cred.Token {
		t.Errorf("second credential %+v, %v: want a fresh one", again, err)
	}
	issued := ws.DatabaseCredentials()
	if len(issued) != 2 || issued[0].Token != cred.Token || issued[0].IssuedTo != id ||
		!slices.Equal(issued[0].InstanceNames, []string{"onbehalf-db"}) || issued[0].RequestID == "" || !issued[0].ExpiresAt.Equal(exp) {
		t.Errorf("issued %+v", issued)
	}

	// The SDK's M2M flow: metadata, then OIDC discovery, then one token for
	// every call after it (the SDK caches it).
	var paths []string
	for _, r := range ws.Requests() {
		paths = append(paths, r.Method+" "+r.Path)
	}
	want := []string{
		"GET /.well-known/databricks-config",
		"GET /oidc/.well-known/oauth-authorization-server",
		"POST /oidc/v1/token",
		"GET /api/2.0/preview/scim/v2/Me",
		"POST /api/2.0/database/credentials",
		"POST /api/2.0/database/credentials",
	}
	if !slices.Equal(paths, want) {
		t.Errorf("requests\n%s\nwant\n%s", strings.Join(paths, "\n"), strings.Join(want, "\n"))
	}
	tokenReq := ws.RequestsTo("/oidc/v1/token")[0]
	if form, _ := url.ParseQuery(string(tokenReq.Body)); form.Get("grant_type") != "client_credentials" || form.Get("scope") != "all-apis" {
		t.Errorf("token request body %q", tokenReq.Body)
	}
	for _, r := range ws.RequestsTo("/api/") {
		if r.UserName != id || !strings.HasPrefix(r.Token, "dosp") {
			t.Errorf("%s sent as %q with %q", r.Path, r.UserName, r.Token)
		}
	}
}

func TestSDKServicePrincipalWithBadSecretFails(t *testing.T) {
	ws, host := newDemo(t)
	id, _ := ws.ServicePrincipal()
	_, err := m2mClient(t, host, id, "wrong").CurrentUser.Me(context.Background())
	if err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Errorf("err = %v, want invalid_client", err)
	}
}

func TestSDKUserTokenCannotGetDatabaseCredentials(t *testing.T) {
	ws, host := newDemo(t)
	for _, tok := range []string{ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...), ws.IssuePAT(fakeworkspace.Alice)} {
		_, err := patClient(t, host, tok).Database.GenerateDatabaseCredential(context.Background(),
			database.GenerateDatabaseCredentialRequest{InstanceNames: []string{"onbehalf-db"}})
		wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "")
	}
	if n := len(ws.DatabaseCredentials()); n != 0 {
		t.Errorf("%d credentials issued to users", n)
	}
}

// TestSDKListsDatabaseInstancesWithTheirDNSNames: the instances are listed
// page by page with the host each is reached at (what Databricks Apps
// injects as PGHOST), and credentials are issued only for an instance that
// exists.
func TestSDKListsDatabaseInstancesWithTheirDNSNames(t *testing.T) {
	ws, host := newDemo(t)
	ws.SetPaging(1, true)
	other := ws.AddDatabaseInstance(fakeworkspace.DatabaseInstance{Name: "analytics", ReadOnlyDNS: "instance-ro-1.database.cloud.databricks.com"})
	if !strings.HasPrefix(other.ReadWriteDNS, "instance-"+other.UID+".") {
		t.Errorf("instance %+v: want a read-write DNS name made from its UID", other)
	}
	ctx := context.Background()
	id, secret := ws.ServicePrincipal()
	sp := m2mClient(t, host, id, secret)
	got, err := sp.Database.ListDatabaseInstancesAll(ctx, database.ListDatabaseInstancesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	want := []database.DatabaseInstance{
		{Name: "analytics", Uid: other.UID, ReadWriteDns: other.ReadWriteDNS, ReadOnlyDns: "instance-ro-1.database.cloud.databricks.com"},
		{Name: fakeworkspace.DemoDatabaseInstance, Uid: "3f6b1c2a-8d4e-4f0a-9b7c-5e2d1a0c9f41", ReadWriteDns: fakeworkspace.DemoDatabaseHost},
	}
	if len(got) != len(want) {
		t.Fatalf("instances %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].Uid != want[i].Uid || got[i].ReadWriteDns != want[i].ReadWriteDns || got[i].ReadOnlyDns != want[i].ReadOnlyDns {
			t.Errorf("instance %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := len(ws.RequestsTo("/api/2.0/database/instances")); n < 3 {
		t.Errorf("%d listing requests: want one page per instance (page size 1)", n)
	}

	_, err = sp.Database.GenerateDatabaseCredential(ctx, database.GenerateDatabaseCredentialRequest{InstanceNames: []string{"instance-3f6b1c2a-8d4e-4f0a-9b7c-5e2d1a0c9f41"}})
	wantAPIError(t, err, apierr.ErrResourceDoesNotExist, 404, "RESOURCE_DOES_NOT_EXIST", "")
	if n := len(ws.DatabaseCredentials()); n != 0 {
		t.Errorf("%d credentials issued for an instance that does not exist", n)
	}
}

// TestSDKGeneratesPostgresCredentialsForAnEndpoint: Lakebase Autoscaling
// credentials (POST /api/2.0/postgres/credentials, as the SDK's postgres
// service sends it) are issued to the service principal for an endpoint
// the workspace has, with an expire_time an hour ahead, and kept with the
// instances' credentials, so Lakebase's login check (ValidDatabaseCredential)
// accepts them alike. An endpoint it does not have is a 404 in Databricks'
// error shape, and a user's token is refused; neither is issued anything.
func TestSDKGeneratesPostgresCredentialsForAnEndpoint(t *testing.T) {
	ws, host := newDemo(t)
	ctx := context.Background()
	id, secret := ws.ServicePrincipal()
	sp := m2mClient(t, host, id, secret)

	before := time.Now()
	cred, err := sp.Postgres.GenerateDatabaseCredential(ctx, postgres.GenerateDatabaseCredentialRequest{Endpoint: fakeworkspace.DemoPostgresEndpoint})
	if err != nil {
		t.Fatal(err)
	}
	exp := cred.ExpireTime.AsTime()
	if cred.Token == "" || exp.Before(before.Add(59*time.Minute)) || exp.After(before.Add(61*time.Minute)) {
		t.Errorf("credential expiring %v, token set %v: want a token valid for an hour", exp, cred.Token != "")
	}
	issued := ws.DatabaseCredentials()
	if len(issued) != 1 || issued[0].Token != cred.Token || issued[0].IssuedTo != id ||
		issued[0].Endpoint != fakeworkspace.DemoPostgresEndpoint || len(issued[0].InstanceNames) != 0 || !issued[0].ExpiresAt.Equal(exp) {
		t.Errorf("issued %+v", issued)
	}
	if !ws.ValidDatabaseCredential(cred.Token) {
		t.Error("the endpoint's credential is not valid for a login")
	}
	ws.ExpireDatabaseCredentials()
	if ws.ValidDatabaseCredential(cred.Token) {
		t.Error("the endpoint's credential is still valid after every credential expired")
	}

	const unknown = "projects/onbehalf/branches/production/endpoints/elsewhere"
	_, err = sp.Postgres.GenerateDatabaseCredential(ctx, postgres.GenerateDatabaseCredentialRequest{Endpoint: unknown})
	wantAPIError(t, err, apierr.ErrResourceDoesNotExist, 404, "RESOURCE_DOES_NOT_EXIST", "Endpoint '"+unknown+"' does not exist.")
	_, err = patClient(t, host, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)).Postgres.GenerateDatabaseCredential(ctx,
		postgres.GenerateDatabaseCredentialRequest{Endpoint: fakeworkspace.DemoPostgresEndpoint})
	wantAPIError(t, err, apierr.ErrPermissionDenied, 403, "PERMISSION_DENIED", "")
	if n := len(ws.DatabaseCredentials()); n != 1 {
		t.Errorf("%d credentials, want only the service principal's for the endpoint", n)
	}
	if n := len(ws.RequestsTo("/api/2.0/postgres/credentials")); n != 3 {
		t.Errorf("%d requests to /api/2.0/postgres/credentials, want 3", n)
	}
}

// TestSDKIgnoresEnvironment shows that a config with its own loader does not
// read DATABRICKS_* variables, which Databricks Apps always sets (and which
// make the SDK refuse "more than one authorization method" if read).
func TestSDKIgnoresEnvironment(t *testing.T) {
	t.Setenv("DATABRICKS_HOST", "https://elsewhere.cloud.databricks.com")
	t.Setenv("DATABRICKS_CLIENT_ID", "env-client-id")
	t.Setenv("DATABRICKS_CLIENT_SECRET", "env-client-secret")
	t.Setenv("DATABRICKS_TOKEN", "env-token")
	ws, host := newDemo(t)
	me, err := patClient(t, host, ws.IssuePAT(fakeworkspace.Bob)).CurrentUser.Me(context.Background())
	if err != nil || me.UserName != fakeworkspace.Bob {
		t.Errorf("Me = %v, %v", me, err)
	}
}

func wantAPIError(t *testing.T, err, kind error, status int, code, message string) {
	t.Helper()
	var apiErr *apierr.APIError
	if !errors.As(err, &apiErr) {
		t.Errorf("err = %v, want an API error %s", err, code)
		return
	}
	if !errors.Is(err, kind) || apiErr.StatusCode != status || apiErr.ErrorCode != code || (message != "" && apiErr.Message != message) {
		t.Errorf("err = %d %s %q, want %d %s %q", apiErr.StatusCode, apiErr.ErrorCode, apiErr.Message, status, code, message)
	}
}

func catalogNames(cs []catalog.CatalogInfo) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name)
	}
	return out
}

func schemaNames(ss []catalog.SchemaInfo) []string {
	var out []string
	for _, s := range ss {
		out = append(out, s.Name)
	}
	return out
}

func tableNames(ts []catalog.TableInfo) []string {
	var out []string
	for _, tb := range ts {
		out = append(out, tb.Name)
	}
	return out
}
