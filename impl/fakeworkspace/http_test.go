package fakeworkspace_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func TestAuthenticationErrors(t *testing.T) {
	ws, host := newDemo(t)
	for _, tc := range []struct {
		name, token string
		message     string
	}{
		{"no token", "", "Credential was not sent or was of an unsupported type for this API."},
		{"unknown token", "dapi-unknown", "Invalid access token."},
		{"token of a user not in the workspace", ws.IssueToken("carol@example.com", fakeworkspace.AllScopes...), "Invalid access token."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/api/2.0/preview/scim/v2/Me", "/api/2.1/unity-catalog/catalogs", "/api/2.0/serving-endpoints"} {
				call(t, "GET", host+path, tc.token, nil).wantError(t, 401, "UNAUTHENTICATED", tc.message)
			}
		})
	}
}

func TestUnknownPathsAndMethods(t *testing.T) {
	ws, host := newDemo(t)
	tok := ws.IssuePAT(fakeworkspace.Alice)
	for _, tc := range []struct{ method, path string }{
		{"GET", "/api/2.0/clusters/list"},
		{"POST", "/api/2.0/preview/scim/v2/Me"},
		{"DELETE", "/api/2.1/unity-catalog/catalogs"},
		{"GET", "/serving-endpoints/agent-chat/invocations"},
		{"GET", "/_fake/requests"}, // control endpoints are not on Handler
	} {
		call(t, tc.method, host+tc.path, tok, nil).wantError(t, 404, "ENDPOINT_NOT_FOUND", "No API found for '"+tc.method+" "+tc.path+"'")
	}
}

func TestTokensAreJWTShapedWithScopes(t *testing.T) {
	ws := fakeworkspace.Demo()
	a := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...)
	b := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...)
	if a == b {
		t.Fatal("two tokens of the same user are equal")
	}
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not header.payload.signature", a)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims struct {
		Sub, Iss, Aud, Jti, Scope string
		Scp                       []string
		Exp, Iat                  int64
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	if claims.Sub != fakeworkspace.Alice || claims.Iss == "" || claims.Aud == "" || claims.Jti == "" ||
		claims.Exp-claims.Iat != 3600 || !slices.Equal(claims.Scp, fakeworkspace.DefaultScopes) ||
		claims.Scope != "iam.current-user:read iam.access-control:read" {
		t.Errorf("claims %s", raw)
	}
	if pat := ws.IssuePAT(fakeworkspace.Alice); !strings.HasPrefix(pat, "dapi") || strings.Contains(pat, ".") {
		t.Errorf("PAT %q", pat)
	}
}

func TestHostMetadataAndDiscovery(t *testing.T) {
	_, host := newDemo(t)
	meta := call(t, "GET", host+"/.well-known/databricks-config", "", nil)
	if meta.status != 200 || meta.body["oidc_endpoint"] != host+"/oidc" || meta.body["workspace_id"] != fakeworkspace.DefaultWorkspaceID ||
		meta.body["cloud"] != "aws" || meta.body["host_type"] != "workspace" {
		t.Errorf("metadata %d %s", meta.status, meta.raw)
	}
	for _, path := range []string{"/oidc/.well-known/oauth-authorization-server", "/oidc/v1/.well-known/oauth-authorization-server"} {
		d := call(t, "GET", host+path, "", nil)
		if d.status != 200 || d.body["token_endpoint"] != host+"/oidc/v1/token" || d.body["authorization_endpoint"] != host+"/oidc/v1/authorize" {
			t.Errorf("%s: %d %s", path, d.status, d.raw)
		}
	}
}

func TestTokenEndpoint(t *testing.T) {
	ws, host := newDemo(t)
	id, secret := ws.ServicePrincipal()
	post := func(form url.Values, basicID, basicSecret string) answer {
		t.Helper()
		req, _ := http.NewRequest("POST", host+"/oidc/v1/token", strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if basicID != "" {
			req.SetBasicAuth(url.QueryEscape(basicID), url.QueryEscape(basicSecret))
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		a := answer{status: resp.StatusCode, header: resp.Header}
		_ = json.NewDecoder(resp.Body).Decode(&a.body)
		return a
	}
	grant := url.Values{"grant_type": {"client_credentials"}, "scope": {"all-apis"}}
	inForm := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	for _, tc := range []struct {
		name          string
		form          url.Values
		basicID, pass string
		status        int
		errCode       string
	}{
		{"basic auth", grant, id, secret, 200, ""},
		{"credentials in the form", inForm, "", "", 200, ""},
		{"wrong secret", grant, id, "nope", 401, "invalid_client"},
		{"unknown client", grant, "someone", secret, 401, "invalid_client"},
		{"no credentials", grant, "", "", 401, "invalid_client"},
		{"other grant", url.Values{"grant_type": {"password"}}, id, secret, 400, "unsupported_grant_type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := post(tc.form, tc.basicID, tc.pass)
			if a.status != tc.status || (tc.errCode != "" && a.body["error"] != tc.errCode) {
				t.Fatalf("%d %v", a.status, a.body)
			}
			if tc.status != 200 {
				return
			}
			tok, _ := a.body["access_token"].(string)
			if tok == "" || a.body["token_type"] != "Bearer" || a.body["expires_in"] != 3600.0 {
				t.Fatalf("answer %v", a.body)
			}
			me := call(t, "GET", host+"/api/2.0/preview/scim/v2/Me", tok, nil)
			if me.status != 200 || me.body["userName"] != id || me.body["displayName"] != "onbehalf-app" {
				t.Errorf("Me as the service principal: %d %s", me.status, me.raw)
			}
		})
	}
}

func TestMeAnswersWithTheOrgIDHeader(t *testing.T) {
	ws, host := newDemo(t)
	a := call(t, "GET", host+"/api/2.0/preview/scim/v2/Me", ws.IssueToken(fakeworkspace.Bob, fakeworkspace.DefaultScopes...), nil)
	if a.status != 200 || a.header.Get("X-Databricks-Org-Id") != fakeworkspace.DefaultWorkspaceID {
		t.Errorf("%d, org id %q", a.status, a.header.Get("X-Databricks-Org-Id"))
	}
	schemas, _ := a.body["schemas"].([]any)
	if a.body["id"] != "4200000000000002" || !slices.Contains(schemas, any("urn:ietf:params:scim:schemas:core:2.0:User")) {
		t.Errorf("Me = %s", a.raw)
	}
}

func TestPagingEdgeCases(t *testing.T) {
	ws, host := newDemo(t)
	tok := ws.IssuePAT(fakeworkspace.Alice)
	list := func(query string) answer {
		t.Helper()
		return call(t, "GET", host+"/api/2.1/unity-catalog/tables?"+query, tok, nil)
	}
	first := list("catalog_name=samples&schema_name=tpch")
	next, _ := first.body["next_page_token"].(string)
	if len(first.body["tables"].([]any)) != 2 || next == "" {
		t.Fatalf("first page %s", first.raw)
	}

	t.Run("max_results=1 pages by one", func(t *testing.T) {
		a := list("catalog_name=samples&schema_name=tpch&max_results=1")
		if len(a.body["tables"].([]any)) != 1 {
			t.Errorf("%s", a.raw)
		}
	})
	t.Run("max_results above the page size is capped", func(t *testing.T) {
		a := list("catalog_name=samples&schema_name=tpch&max_results=1000")
		if len(a.body["tables"].([]any)) != 2 {
			t.Errorf("%s", a.raw)
		}
	})
	t.Run("last page has no token", func(t *testing.T) {
		a := list("catalog_name=samples&schema_name=tpch&page_token=" + url.QueryEscape(next))
		b := list("catalog_name=samples&schema_name=tpch&page_token=" + url.QueryEscape(a.body["next_page_token"].(string)))
		if _, has := b.body["next_page_token"]; has || len(b.body["tables"].([]any)) != 1 {
			t.Errorf("last page %s", b.raw)
		}
	})
	for _, tc := range []struct{ name, query string }{
		{"garbage token", "catalog_name=samples&schema_name=tpch&page_token=garbage"},
		{"token of another listing", "catalog_name=main&schema_name=default&page_token=" + url.QueryEscape(next)},
		{"negative max_results", "catalog_name=samples&schema_name=tpch&max_results=-1"},
		{"missing schema_name", "catalog_name=samples"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list(tc.query).wantError(t, 400, "INVALID_PARAMETER_VALUE", "")
		})
	}
	t.Run("empty listing", func(t *testing.T) {
		ws.AddCatalog(fakeworkspace.Catalog{Name: "empty"})
		ws.Grant(fakeworkspace.Alice, "empty")
		a := call(t, "GET", host+"/api/2.1/unity-catalog/schemas?catalog_name=empty", tok, nil)
		if a.status != 200 || len(a.body["schemas"].([]any)) != 0 || a.body["next_page_token"] != nil {
			t.Errorf("%s", a.raw)
		}
	})
}

func TestInvocations(t *testing.T) {
	ws, host := newDemo(t)
	alice := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	bob := ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...)
	invoke := func(endpoint, token string, body any) answer {
		t.Helper()
		return call(t, "POST", host+"/serving-endpoints/"+endpoint+"/invocations", token, body)
	}
	text := func(a answer) string {
		t.Helper()
		out, _ := a.body["output"].([]any)
		if len(out) != 1 {
			t.Fatalf("output %s", a.raw)
		}
		msg := out[0].(map[string]any)
		content := msg["content"].([]any)[0].(map[string]any)
		if msg["type"] != "message" || msg["role"] != "assistant" || msg["status"] != "completed" ||
			!strings.HasPrefix(msg["id"].(string), "msg_") || content["type"] != "output_text" {
			t.Errorf("message %v", msg)
		}
		return content["text"].(string)
	}

	a := invoke("agent-chat", alice, map[string]any{
		"input":         []map[string]any{{"role": "user", "content": "hello"}, {"role": "assistant", "content": "hi"}, {"role": "user", "content": "how are you?"}},
		"custom_inputs": map[string]any{"session": "s1"},
	})
	if a.status != 200 || a.body["object"] != "response" || !strings.HasPrefix(a.body["id"].(string), "resp_") {
		t.Fatalf("%d %s", a.status, a.raw)
	}
	if got := text(a); got != "Echo for alice@example.com: how are you?" {
		t.Errorf("text %q", got)
	}
	if co, _ := a.body["custom_outputs"].(map[string]any); co["session"] != "s1" {
		t.Errorf("custom_outputs %v", a.body["custom_outputs"])
	}

	parts := invoke("agent-chat", bob, map[string]any{"input": []map[string]any{{"role": "user",
		"content": []map[string]any{{"type": "input_text", "text": "from parts"}}}}})
	if got := text(parts); got != "Echo for bob@example.com: from parts" {
		t.Errorf("text %q", got)
	}
	if _, has := parts.body["custom_outputs"]; has {
		t.Errorf("custom_outputs without custom_inputs: %s", parts.raw)
	}

	chat := map[string]any{"messages": []map[string]any{{"role": "user", "content": "hi"}}}
	invoke("agent-chat", alice, chat).wantError(t, 400, "BAD_REQUEST", "")
	if m := invoke("agent-chat", alice, chat).body["message"].(string); !strings.HasPrefix(m, `Model is missing inputs ["input"]`) {
		t.Errorf("message %q", m)
	}
	invoke("agent-chat", alice, map[string]any{"input": []any{}}).wantError(t, 400, "BAD_REQUEST", "")
	// A chat model takes messages, not the ResponsesAgent's input.
	refused := invoke("sales-forecast", alice, map[string]any{"input": []map[string]any{{"role": "user", "content": "hi"}}})
	refused.wantError(t, 400, "BAD_REQUEST", "")
	if m, _ := refused.body["message"].(string); !strings.HasPrefix(m, `Model is missing inputs ["messages"]`) {
		t.Errorf("message %q", m)
	}
	invoke("hr-assistant", alice, map[string]any{"input": []map[string]any{{"role": "user", "content": "hi"}}}).wantError(t, 403, "PERMISSION_DENIED", "")
	invoke("nope", alice, map[string]any{"input": []map[string]any{{"role": "user", "content": "hi"}}}).wantError(t, 404, "RESOURCE_DOES_NOT_EXIST", "")
	invoke("agent-chat", ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...), map[string]any{"input": []any{}}).
		wantError(t, 403, "PERMISSION_DENIED", "Invalid scope")

	// The log keeps each body, so a test can check what the app sent.
	logged := ws.RequestsTo("/serving-endpoints/agent-chat/invocations")
	if len(logged) < 2 || !strings.Contains(string(logged[0].Body), `"custom_inputs":{"session":"s1"}`) || logged[1].UserName != fakeworkspace.Bob {
		t.Errorf("logged %v", logged)
	}
}

func TestDatabaseCredentialsRefusals(t *testing.T) {
	ws, host := newDemo(t)
	body := map[string]any{"instance_names": []string{"db"}, "request_id": "r1"}
	for _, tok := range []string{ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...), ws.IssuePAT(fakeworkspace.Bob)} {
		call(t, "POST", host+"/api/2.0/database/credentials", tok, body).wantError(t, 403, "PERMISSION_DENIED", "")
	}
	call(t, "POST", host+"/api/2.0/database/credentials", "", body).wantError(t, 401, "UNAUTHENTICATED", "")
	if n := len(ws.DatabaseCredentials()); n != 0 {
		t.Errorf("%d credentials issued", n)
	}
}

func TestBuildYourOwnWorkspace(t *testing.T) {
	ws := fakeworkspace.New()
	dana := ws.AddUser(fakeworkspace.User{UserName: "dana@example.com", DisplayName: "Dana"})
	if len(dana.ID) != 16 || strings.Trim(dana.ID, "0123456789") != "" {
		t.Errorf("SCIM id %q", dana.ID)
	}
	ws.AddCatalog(fakeworkspace.Catalog{Name: "lab"})
	if err := ws.AddSchema("lab", fakeworkspace.Schema{Name: "raw"}); err != nil {
		t.Fatal(err)
	}
	if err := ws.AddTable("lab", "raw", fakeworkspace.Table{Name: "events", TableType: "EXTERNAL", DataSourceFormat: "PARQUET"}); err != nil {
		t.Fatal(err)
	}
	if err := ws.AddTable("lab", "nope", fakeworkspace.Table{Name: "x"}); err == nil {
		t.Error("AddTable to a missing schema succeeded")
	}
	ws.AddEndpoint(fakeworkspace.Endpoint{Name: "llm", Task: "llm/v1/chat"})
	host := start(t, ws)
	tok := ws.IssueToken("dana@example.com", fakeworkspace.AllScopes...)

	call(t, "GET", host+"/api/2.1/unity-catalog/schemas?catalog_name=lab", tok, nil).wantError(t, 403, "PERMISSION_DENIED", "")
	if eps := call(t, "GET", host+"/api/2.0/serving-endpoints", tok, nil); len(eps.body["endpoints"].([]any)) != 0 {
		t.Errorf("ungranted endpoint listed: %s", eps.raw)
	}
	ws.Grant("dana@example.com", "lab")
	ws.GrantEndpoint("dana@example.com", "llm")
	tables := call(t, "GET", host+"/api/2.1/unity-catalog/tables?catalog_name=lab&schema_name=raw", tok, nil)
	table := tables.body["tables"].([]any)[0].(map[string]any)
	if table["full_name"] != "lab.raw.events" || table["data_source_format"] != "PARQUET" || table["owner"] != "admins" {
		t.Errorf("table %v", table)
	}
	if eps := call(t, "GET", host+"/api/2.0/serving-endpoints", tok, nil); len(eps.body["endpoints"].([]any)) != 1 {
		t.Errorf("granted endpoint not listed: %s", eps.raw)
	}
	if users := ws.Users(); len(users) != 1 || users[0] != dana {
		t.Errorf("users %v", users)
	}
}

func TestReplacingTheServicePrincipalRevokesItsTokens(t *testing.T) {
	ws, host := newDemo(t)
	id, secret := ws.ServicePrincipal()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {id}, "client_secret": {secret}}
	resp, err := http.PostForm(host+"/oidc/v1/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	ws.SetServicePrincipal(fakeworkspace.ServicePrincipal{ClientID: "new", ClientSecret: "s", DisplayName: "other"})
	call(t, "GET", host+"/api/2.0/preview/scim/v2/Me", tok.AccessToken, nil).wantError(t, 401, "UNAUTHENTICATED", "")
}
