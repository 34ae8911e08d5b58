package contract

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// fixture is a fake workspace and tokens of its demo users.
type fixture struct {
	ws                            *fakeworkspace.Workspace
	alice, bob, aliceNoServing    string
	aliceNoIdentity, unknownToken string
	// dbURL is the real server's database, as the app's role ("" when the
	// cases run against the empty server).
	dbURL string
}

// preferencesTableGone renames the preferences table away until the test
// ends: a database that no longer matches the server's migrations, the
// kind of failure only a bug or an operator's mistake causes (a 500).
func (f *fixture) preferencesTableGone(t *testing.T) {
	if f.dbURL == "" {
		return
	}
	exec := func(sql string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, f.dbURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}
	exec("ALTER TABLE user_preferences RENAME TO user_preferences_away")
	t.Cleanup(func() { exec("ALTER TABLE user_preferences_away RENAME TO user_preferences") })
}

func newFixture(t *testing.T) (*fixture, string) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	return &fixture{
		ws:              ws,
		alice:           ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...),
		bob:             ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...),
		aliceNoServing:  ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...),
		aliceNoIdentity: ws.IssueToken(fakeworkspace.Alice, fakeworkspace.ScopeCatalogs),
		unknownToken:    "dapi-not-a-token-of-this-workspace",
	}, srv.URL
}

// realServer is the whole server over the fake workspace and store (nil:
// Lakebase not configured), with short attempt and invocation timeouts so
// the timeout cases are quick.
func realServer(t *testing.T, host string, store *lakebase.Store) http.Handler {
	retry := databricks.DefaultRetryPolicy()
	retry.AttemptTimeout = 300 * time.Millisecond
	clients, err := databricks.New(databricks.Options{Host: host, Retry: retry, InvokeTimeout: 500 * time.Millisecond}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func wantNames(want ...string) func(map[string]any, *http.Response) error {
	return func(body map[string]any, _ *http.Response) error {
		if got := names(body); !slices.Equal(got, want) {
			return fmt.Errorf("items %v, want %v", got, want)
		}
		return nil
	}
}

func wantKeys(want ...string) func(map[string]any, *http.Response) error {
	return func(body map[string]any, _ *http.Response) error {
		items, _ := body["items"].([]any)
		var got []string
		for _, it := range items {
			k, _ := field(it, "key").(string)
			got = append(got, k)
		}
		if !slices.Equal(got, want) {
			return fmt.Errorf("keys %v, want %v", got, want)
		}
		return nil
	}
}

func wantField(value any, path ...string) func(map[string]any, *http.Response) error {
	return func(body map[string]any, _ *http.Response) error {
		if got := field(body, path...); got != value {
			return fmt.Errorf("%s = %v, want %v", strings.Join(path, "."), got, value)
		}
		return nil
	}
}

func wantBadField(name string) func(map[string]any, *http.Response) error {
	return func(body map[string]any, _ *http.Response) error {
		errs, _ := body["errors"].([]any)
		for _, e := range errs {
			if field(e, "name") == name {
				return nil
			}
		}
		return fmt.Errorf("errors %v do not name %q", errs, name)
	}
}

func cases(f *fixture) []contractCase {
	fault := func(fl fakeworkspace.Fault) func(*testing.T) {
		return func(t *testing.T) { f.ws.InjectFault(fl); t.Cleanup(f.ws.ClearFaults) }
	}
	return []contractCase{
		{name: "me as alice", method: "GET", path: "/api/user/me", token: f.alice, want: 200, check: func(b map[string]any, r *http.Response) error {
			if b["user_id"] != fakeworkspace.Alice || b["auth_method"] != "obo" || b["display_name"] != "Alice Analyst" {
				return fmt.Errorf("got %v", b)
			}
			return nil
		}},
		{name: "me as bob", method: "GET", path: "/api/user/me", token: f.bob, want: 200, check: wantField(fakeworkspace.Bob, "user_id")},
		{name: "me without token", method: "GET", path: "/api/user/me", want: 401, check: func(b map[string]any, _ *http.Response) error {
			if d, _ := b["detail"].(string); !strings.Contains(d, "X-Forwarded-Access-Token") {
				return fmt.Errorf("detail %q does not name the missing header", d)
			}
			return nil
		}},
		{name: "me with a token Databricks rejects", method: "GET", path: "/api/user/me", token: f.unknownToken, want: 401},
		{name: "me without the identity scope", method: "GET", path: "/api/user/me", token: f.aliceNoIdentity, want: 403, check: func(b map[string]any, _ *http.Response) error {
			missing, _ := b["missing_scopes"].([]any)
			if len(missing) != 1 || missing[0] != "iam.current-user:read" || b["remediation"] == nil {
				return fmt.Errorf("missing_scopes %v remediation %v", b["missing_scopes"], b["remediation"])
			}
			return nil
		}},
		{name: "me rate limited", method: "GET", path: "/api/user/me", token: f.alice, want: 429,
			setup: fault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Status: 429, RetryAfter: "7"}),
			check: func(_ map[string]any, r *http.Response) error {
				if r.Header.Get("Retry-After") != "7" {
					return fmt.Errorf("Retry-After %q, want 7", r.Header.Get("Retry-After"))
				}
				return nil
			}},
		{name: "me upstream down", method: "GET", path: "/api/user/me", token: f.alice, want: 502,
			setup: fault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Status: 503})},
		{name: "me upstream too slow", method: "GET", path: "/api/user/me", token: f.alice, want: 504,
			setup: fault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Delay: 2 * time.Second})},
		{name: "workspace as bob", method: "GET", path: "/api/user/me/workspace", token: f.bob, want: 200, check: func(b map[string]any, _ *http.Response) error {
			if field(b, "user", "user_id") != fakeworkspace.Bob || b["workspace_id"] != fakeworkspace.DefaultWorkspaceID || b["auth_method"] != "obo" {
				return fmt.Errorf("got %v", b)
			}
			return nil
		}},
		{name: "workspace without token", method: "GET", path: "/api/user/me/workspace", want: 401},
		{name: "catalogs as alice", method: "GET", path: "/api/unity-catalog/catalogs", token: f.alice, want: 200, check: wantNames("main", "sales", "samples")},
		{name: "catalogs as bob", method: "GET", path: "/api/unity-catalog/catalogs", token: f.bob, want: 200, check: wantNames("hr", "main")},
		{name: "catalogs window", method: "GET", path: "/api/unity-catalog/catalogs?limit=1&offset=1", token: f.alice, want: 200, check: func(b map[string]any, r *http.Response) error {
			if err := wantNames("sales")(b, r); err != nil {
				return err
			}
			if b["has_more"] != true || b["limit"] != float64(1) || b["offset"] != float64(1) {
				return fmt.Errorf("page %v", b)
			}
			return nil
		}},
		{name: "catalogs limit 0", method: "GET", path: "/api/unity-catalog/catalogs?limit=0", token: f.alice, want: 400, check: wantBadField("limit")},
		{name: "catalogs limit 101", method: "GET", path: "/api/unity-catalog/catalogs?limit=101", token: f.alice, want: 400, check: wantBadField("limit")},
		{name: "catalogs limit not a number", method: "GET", path: "/api/unity-catalog/catalogs?limit=ten", token: f.alice, want: 400, check: wantBadField("limit")},
		{name: "catalogs negative offset", method: "GET", path: "/api/unity-catalog/catalogs?offset=-1", token: f.alice, want: 400, check: wantBadField("offset")},
		{name: "catalogs without the catalog scope", method: "GET", path: "/api/unity-catalog/catalogs", token: f.aliceNoServing, want: 403},
		{name: "schemas of an ungranted catalog", method: "GET", path: "/api/unity-catalog/catalogs/hr/schemas", token: f.alice, want: 403},
		{name: "schemas of a missing catalog", method: "GET", path: "/api/unity-catalog/catalogs/nope/schemas", token: f.alice, want: 404},
		{name: "schemas with a bad catalog name", method: "GET", path: "/api/unity-catalog/catalogs/a.b/schemas", token: f.alice, want: 400, check: wantBadField("catalog_name")},
		{name: "schemas as bob", method: "GET", path: "/api/unity-catalog/catalogs/hr/schemas", token: f.bob, want: 200, check: wantNames("payroll", "people")},
		{name: "tables as alice", method: "GET", path: "/api/unity-catalog/catalogs/sales/schemas/orders/tables?limit=2", token: f.alice, want: 200, check: wantNames("orders", "order_lines")},
		{name: "tables of a missing schema", method: "GET", path: "/api/unity-catalog/catalogs/sales/schemas/nope/tables", token: f.alice, want: 404},
		{name: "tables upstream rate limited", method: "GET", path: "/api/unity-catalog/catalogs/sales/schemas/orders/tables", token: f.alice, want: 429,
			setup: fault(fakeworkspace.Fault{Path: "/api/2.1/unity-catalog/tables", Status: 429})},
		{name: "endpoints as alice", method: "GET", path: "/api/model-serving/endpoints", token: f.alice, want: 200, check: wantNames("agent-chat", "sales-forecast")},
		{name: "endpoints as bob", method: "GET", path: "/api/model-serving/endpoints", token: f.bob, want: 200, check: wantNames("agent-chat", "hr-assistant")},
		{name: "endpoints without the serving scope", method: "GET", path: "/api/model-serving/endpoints", token: f.aliceNoServing, want: 403, check: wantField("urn:onbehalf:problem:missing_scope", "type")},
		{name: "endpoints bad offset", method: "GET", path: "/api/model-serving/endpoints?offset=x", token: f.alice, want: 400, check: wantBadField("offset")},
		{name: "endpoint as bob", method: "GET", path: "/api/model-serving/endpoints/hr-assistant", token: f.bob, want: 200, check: wantField("IN_PROGRESS", "state", "config_update")},
		{name: "endpoint not granted", method: "GET", path: "/api/model-serving/endpoints/hr-assistant", token: f.alice, want: 403},
		{name: "endpoint missing", method: "GET", path: "/api/model-serving/endpoints/nope", token: f.alice, want: 404},
		{name: "invoke as alice", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.alice,
			body: `{"input":[{"role":"user","content":"hello"}],"custom_inputs":{"k":"v"}}`, want: 200,
			check: wantField("Echo for alice@example.com: hello", "output_text")},
		{name: "invoke with messages", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.alice,
			body: `{"messages":[{"role":"user","content":"hello"}]}`, want: 400, check: wantBadField("/input")},
		{name: "invoke with bad role", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.alice,
			body: `{"input":[{"role":"robot","content":"hello"}]}`, want: 400, check: wantBadField("/input/0/role")},
		{name: "invoke with broken JSON", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.alice,
			body: `{"input":`, want: 400},
		{name: "invoke without the serving scope", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.aliceNoServing,
			body: `{"input":[{"role":"user","content":"hello"}]}`, want: 403},
		{name: "invoke not granted", method: "POST", path: "/api/model-serving/endpoints/hr-assistant/invocations", token: f.alice,
			body: `{"input":[{"role":"user","content":"hello"}]}`, want: 403},
		{name: "preferences without Lakebase", method: "GET", path: "/api/preferences", token: f.alice, want: 503, noLakebase: true,
			check: wantField("urn:onbehalf:problem:lakebase_not_configured", "type")},
		{name: "preference with a bad key", method: "GET", path: "/api/preferences/bad%20key", token: f.alice, want: 400, check: wantBadField("key")},
		{name: "preference with a key too long", method: "GET", path: "/api/preferences/" + strings.Repeat("k", 129), token: f.alice, want: 400, check: wantBadField("key")},
		{name: "inference logs without Lakebase", method: "GET", path: "/api/model-serving/inference-logs", token: f.alice, want: 503, noLakebase: true},
		{name: "put preference as alice", method: "PUT", path: "/api/preferences/theme", token: f.alice, body: `{"value":{"mode":"dark"}}`, want: 200, check: wantField("dark", "value", "mode")},
		{name: "put preference as bob", method: "PUT", path: "/api/preferences/theme", token: f.bob, body: `{"value":"light"}`, want: 200, check: wantField("light", "value")},
		{name: "put another preference as alice", method: "PUT", path: "/api/preferences/lang", token: f.alice, body: `{"value":null}`, want: 200, check: wantField("lang", "key")},
		{name: "get preference as alice", method: "GET", path: "/api/preferences/theme", token: f.alice, want: 200, check: wantField("dark", "value", "mode")},
		{name: "get preference as bob", method: "GET", path: "/api/preferences/theme", token: f.bob, want: 200, check: wantField("light", "value")},
		{name: "list preferences as alice", method: "GET", path: "/api/preferences", token: f.alice, want: 200, check: wantKeys("lang", "theme")},
		{name: "list preferences window", method: "GET", path: "/api/preferences?limit=1", token: f.alice, want: 200, check: func(b map[string]any, r *http.Response) error {
			if err := wantKeys("lang")(b, r); err != nil {
				return err
			}
			return wantField(true, "has_more")(b, r)
		}},
		{name: "get alice's preference as bob", method: "GET", path: "/api/preferences/lang", token: f.bob, want: 404},
		{name: "delete alice's preference as bob", method: "DELETE", path: "/api/preferences/lang", token: f.bob, want: 404},
		{name: "delete preference as bob", method: "DELETE", path: "/api/preferences/theme", token: f.bob, want: 204},
		{name: "get deleted preference as bob", method: "GET", path: "/api/preferences/theme", token: f.bob, want: 404},
		{name: "get preference as alice after bob deleted his", method: "GET", path: "/api/preferences/theme", token: f.alice, want: 200, check: wantField("dark", "value", "mode")},
		{name: "put preference over 64 KiB", method: "PUT", path: "/api/preferences/big", token: f.alice, body: `{"value":"` + strings.Repeat("x", 64<<10) + `"}`, want: 413},
		{name: "put preference without value", method: "PUT", path: "/api/preferences/theme", token: f.alice, body: `{}`, want: 400},
		{name: "put preference with an unknown field", method: "PUT", path: "/api/preferences/theme", token: f.alice, body: `{"value":1,"extra":2}`, want: 400},
		{name: "put preference with broken JSON", method: "PUT", path: "/api/preferences/theme", token: f.alice, body: `{"value":`, want: 400},
		{name: "preferences without token", method: "GET", path: "/api/preferences", want: 401},
		{name: "preferences without the identity scope", method: "GET", path: "/api/preferences", token: f.aliceNoIdentity, want: 403},
		// The invocations above are in alice's log: the refused one is newest.
		{name: "inference logs as alice", method: "GET", path: "/api/model-serving/inference-logs", token: f.alice, want: 200, check: func(b map[string]any, _ *http.Response) error {
			items, _ := b["items"].([]any)
			if len(items) != 2 || field(items[0], "endpoint_name") != "hr-assistant" || field(items[0], "status") != "error" ||
				field(items[0], "http_status") != float64(403) || field(items[1], "endpoint_name") != "agent-chat" || field(items[1], "status") != "success" {
				return fmt.Errorf("items %v", items)
			}
			return nil
		}},
		{name: "inference logs as bob", method: "GET", path: "/api/model-serving/inference-logs", token: f.bob, want: 200, check: func(b map[string]any, _ *http.Response) error {
			if items, ok := b["items"].([]any); !ok || len(items) != 0 {
				return fmt.Errorf("bob sees %v", b["items"])
			}
			return nil
		}},
		{name: "preferences when the database lost its table (500)", method: "GET", path: "/api/preferences", token: f.alice, want: 500,
			setup: f.preferencesTableGone, check: func(b map[string]any, _ *http.Response) error {
				// The cause (a relation that does not exist) is logged, never sent.
				if b["type"] != "urn:onbehalf:problem:internal" || strings.Contains(fmt.Sprint(b), "user_preferences") {
					return fmt.Errorf("problem %v", b)
				}
				return nil
			}},
		{name: "inference logs bad limit", method: "GET", path: "/api/model-serving/inference-logs?limit=0", token: f.alice, want: 400, check: wantBadField("limit")},
	}
}

// TestContractRealServer: every case passes against the real server.
func TestContractRealServer(t *testing.T) {
	doc, router := loadContract(t)
	f, host := newFixture(t)
	store, dbURL := lakebasetest.NewStore(t)
	f.dbURL = dbURL
	h, noLakebase := realServer(t, host, store), realServer(t, host, nil)
	for _, c := range append(cases(f), upstreamFailureCases(f)...) {
		t.Run(c.name, func(t *testing.T) {
			h := h
			if c.noLakebase {
				h = noLakebase
			}
			if err := c.run(t, doc, router, h); err != nil {
				t.Error(err)
			}
		})
	}
}

// TestContractEmptyServerFailsEveryCase: every case fails against the
// generated code with no implementation; one that passes proves nothing.
func TestContractEmptyServerFailsEveryCase(t *testing.T) {
	doc, router := loadContract(t)
	f, _ := newFixture(t)
	h := emptyServer()
	for _, c := range append(cases(f), upstreamFailureCases(f)...) {
		t.Run(c.name, func(t *testing.T) {
			if err := c.run(t, doc, router, h); err == nil {
				t.Errorf("case passes against the empty server")
			} else {
				t.Logf("fails as it must: %v", err)
			}
		})
	}
}

// TestContractScopeFailureMakesNoUpstreamCall: a token without the needed
// scope is stopped before any call to Databricks.
func TestContractScopeFailureMakesNoUpstreamCall(t *testing.T) {
	doc, router := loadContract(t)
	f, host := newFixture(t)
	h := realServer(t, host, nil)
	f.ws.ResetRequests()
	c := contractCase{method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.aliceNoServing,
		body: `{"input":[{"role":"user","content":"hello"}]}`, want: 403}
	if err := c.run(t, doc, router, h); err != nil {
		t.Fatal(err)
	}
	if got := f.ws.Requests(); len(got) != 0 {
		t.Errorf("%d upstream calls made, want 0: %v", len(got), got[0].Path)
	}
}
