package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// stack is the whole HTTP stack over the fake workspace and a store.
type stack struct {
	h          http.Handler
	ws         *fakeworkspace.Workspace
	alice, bob string
	logs       *httpapi.SyncBuffer
}

func newStack(t *testing.T, store *lakebase.Store) *stack {
	t.Helper()
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	clients, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &httpapi.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return &stack{
		h:     h,
		ws:    ws,
		alice: ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...),
		bob:   ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...),
		logs:  logs,
	}
}

// do sends a request as the holder of token and returns the status and the
// decoded JSON answer.
func (s *stack) do(t *testing.T, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	rec := s.serve(t, token, method, path, body)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out
}

// serve sends a request as the holder of token and returns the recorded
// answer.
func (s *stack) serve(t *testing.T, token, method, path, body string) *httptest.ResponseRecorder {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Forwarded-Access-Token", token)
	}
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	return rec
}

func (s *stack) want(t *testing.T, token, method, path, body string, want int) map[string]any {
	t.Helper()
	got, out := s.do(t, token, method, path, body)
	if got != want {
		t.Fatalf("%s %s: status %d, want %d (%v)", method, path, got, want, out)
	}
	return out
}

func itemKeys(page map[string]any, field string) string {
	items, _ := page["items"].([]any)
	var out []string
	for _, it := range items {
		m, _ := it.(map[string]any)
		v, _ := json.Marshal(m[field])
		out = append(out, string(v))
	}
	return strings.Join(out, ",")
}

// TestPreferenceEndpointsKeepEachUsersOwn: two users with the same key read,
// overwrite, list and delete only their own preference.
func TestPreferenceEndpointsKeepEachUsersOwn(t *testing.T) {
	store, _ := lakebasetest.NewStore(t)
	s := newStack(t, store)
	s.want(t, s.alice, "PUT", "/api/preferences/theme", `{"value":{"mode":"dark"}}`, 200)
	s.want(t, s.alice, "PUT", "/api/preferences/lang", `{"value":"fr"}`, 200)
	s.want(t, s.bob, "PUT", "/api/preferences/theme", `{"value":{"mode":"light"}}`, 200)

	if got := s.want(t, s.alice, "GET", "/api/preferences/theme", "", 200); itemKeys(map[string]any{"items": []any{got}}, "value") != `{"mode":"dark"}` {
		t.Errorf("alice's theme after bob wrote his: %v", got)
	}
	if got := s.want(t, s.bob, "GET", "/api/preferences/theme", "", 200); got["value"].(map[string]any)["mode"] != "light" {
		t.Errorf("bob's theme: %v", got)
	}
	s.want(t, s.bob, "GET", "/api/preferences/lang", "", 404)
	s.want(t, s.bob, "DELETE", "/api/preferences/lang", "", 404)
	if got := itemKeys(s.want(t, s.bob, "GET", "/api/preferences", "", 200), "key"); got != `"theme"` {
		t.Errorf("bob lists %s, want only his theme", got)
	}
	s.want(t, s.bob, "DELETE", "/api/preferences/theme", "", 204)
	s.want(t, s.bob, "GET", "/api/preferences/theme", "", 404)
	if got := itemKeys(s.want(t, s.alice, "GET", "/api/preferences", "", 200), "key"); got != `"lang","theme"` {
		t.Errorf("alice lists %s after bob deleted his theme, want lang,theme", got)
	}
	s.want(t, s.alice, "PUT", "/api/preferences/theme", `{"value":null}`, 200)
	if got := s.want(t, s.alice, "GET", "/api/preferences/theme", "", 200); got["value"] != nil {
		t.Errorf("alice's overwritten theme = %v, want null", got["value"])
	}
}

// TestAnEscapedPreferenceKeyIsTheKey: a key escaped where it need not be
// (ui%3Atheme, as the generated TypeScript client sends ui:theme) names the
// same preference as the key itself, for every operation on it; an escaped
// slash is still no part of a key.
func TestAnEscapedPreferenceKeyIsTheKey(t *testing.T) {
	store, _ := lakebasetest.NewStore(t)
	s := newStack(t, store)
	if got := s.want(t, s.alice, "PUT", "/api/preferences/ui%3Atheme", `{"value":"dark"}`, 200); got["key"] != "ui:theme" {
		t.Errorf("PUT ui%%3Atheme answered key %v, want ui:theme", got["key"])
	}
	if got := s.want(t, s.alice, "GET", "/api/preferences/ui:theme", "", 200); got["value"] != "dark" {
		t.Errorf("GET ui:theme: %v", got)
	}
	s.want(t, s.alice, "GET", "/api/preferences/%75i%3Atheme", "", 200)
	s.want(t, s.alice, "DELETE", "/api/preferences/ui%3Atheme", "", 204)
	s.want(t, s.alice, "GET", "/api/preferences/ui:theme", "", 404)
	if got, _ := s.do(t, s.alice, "PUT", "/api/preferences/ui%2Ftheme", `{"value":"dark"}`); got != 400 && got != 404 {
		t.Errorf("PUT ui%%2Ftheme: %d, want a 400 or 404 problem", got)
	}
}

// TestPreferenceValuesKeepEveryDigit: numbers come back as they were sent,
// beyond what a float64 holds (JSON numbers are not limited to it, and a
// preference may be an id).
func TestPreferenceValuesKeepEveryDigit(t *testing.T) {
	store, _ := lakebasetest.NewStore(t)
	s := newStack(t, store)
	numbers := map[string]string{
		"id":       "12345678901234567890",
		"negative": "-9007199254740993",
		"pi":       "3.14159265358979323846264338327950288",
		"scale":    "1.50",
	}
	var body strings.Builder
	body.WriteString(`{"value": {`)
	for name, n := range numbers {
		body.WriteString(` "` + name + `" : ` + n + ` ,`)
	}
	body.WriteString(` "list": [ 18446744073709551617 ] } }`)
	s.want(t, s.alice, "PUT", "/api/preferences/numbers", body.String(), 200)

	req := httptest.NewRequest("GET", "/api/preferences/numbers", nil)
	req.Header.Set("X-Forwarded-Access-Token", s.alice)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	dec := json.NewDecoder(rec.Body)
	dec.UseNumber()
	var got struct {
		Value struct {
			ID       json.Number   `json:"id"`
			Negative json.Number   `json:"negative"`
			Pi       json.Number   `json:"pi"`
			Scale    json.Number   `json:"scale"`
			List     []json.Number `json:"list"`
		} `json:"value"`
	}
	if err := dec.Decode(&got); err != nil {
		t.Fatalf("status %d: %v", rec.Code, err)
	}
	v := got.Value
	for name, back := range map[string]json.Number{"id": v.ID, "negative": v.Negative, "pi": v.Pi, "scale": v.Scale} {
		if string(back) != numbers[name] {
			t.Errorf("%s came back as %s, was sent as %s", name, back, numbers[name])
		}
	}
	if len(v.List) != 1 || v.List[0] != "18446744073709551617" {
		t.Errorf("list came back as %v", v.List)
	}
}

// TestInvocationsKeepEveryDigitOfCustomInputsAndTheAnswer: custom_inputs
// reach the agent and the inference log as they were sent, and the agent's
// answer comes back as it was given, with no number rounded through float64
// (the fake agent echoes custom_inputs as custom_outputs).
func TestInvocationsKeepEveryDigitOfCustomInputsAndTheAnswer(t *testing.T) {
	store, dbURL := lakebasetest.NewStore(t)
	s := newStack(t, store)
	const (
		orderID = "12345678901234567891"
		pi      = "3.14159265358979323846264338327950288"
		big     = "18446744073709551617"
	)
	body := `{"input":[{"role":"user","content":"book the flight"}],` +
		`"custom_inputs":{"order_id": ` + orderID + `, "pi": ` + pi + `, "list": [ ` + big + ` ]}}`
	rec := s.serve(t, s.alice, "POST", "/api/model-serving/endpoints/agent-chat/invocations", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}

	// wantDigits checks the numbers of the object at path in raw, read as
	// written.
	wantDigits := func(where string, raw []byte, path ...string) {
		t.Helper()
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			t.Fatalf("%s: %v in %s", where, err, raw)
		}
		for _, k := range path {
			m, _ := v.(map[string]any)
			v = m[k]
		}
		m, _ := v.(map[string]any)
		got := fmt.Sprintf("%v %v %v", m["order_id"], m["pi"], m["list"])
		if want := orderID + " " + pi + " [" + big + "]"; got != want {
			t.Errorf("%s: %s, was sent as %s", where, got, want)
		}
	}
	sent := s.ws.RequestsTo("/serving-endpoints/agent-chat/invocations")
	if len(sent) != 1 {
		t.Fatalf("%d invocations reached the agent, want 1", len(sent))
	}
	wantDigits("what the agent received", sent[0].Body, "custom_inputs")
	wantDigits("what the client got back", rec.Body.Bytes(), "response", "custom_outputs")

	// The inference log, read from the database as the user (row-level
	// security shows the rows to no one else).
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, "SELECT set_config('app.user_id', $1, true)", fakeworkspace.Alice); err != nil {
		t.Fatal(err)
	}
	var request, response []byte
	if err := tx.QueryRow(ctx, "SELECT request::text, response::text FROM model_inference_logs").Scan(&request, &response); err != nil {
		t.Fatal(err)
	}
	wantDigits("the inference log's request", request, "custom_inputs")
	wantDigits("the inference log's response", response, "custom_outputs")
}

// TestPreferenceValueThatIsNotUTF8Is400: a value is stored as it was sent,
// never silently altered, so text that is not UTF-8 (a bad byte, a lone
// surrogate) is refused with a 400 that says why, and nothing is stored.
func TestPreferenceValueThatIsNotUTF8Is400(t *testing.T) {
	store, _ := lakebasetest.NewStore(t)
	s := newStack(t, store)
	for _, body := range []string{"{\"value\":\"a\xff\xfeb\"}", `{"value":{"k":"a\ud800b"}}`} {
		got := s.want(t, s.alice, "PUT", "/api/preferences/text", body, 400)
		if got["type"] != "urn:onbehalf:problem:unstorable_value" {
			t.Errorf("%q: problem %v", body, got)
		}
	}
	s.want(t, s.alice, "GET", "/api/preferences/text", "", 404)
}

func TestPreferenceValueOver64KiBIs413(t *testing.T) {
	store, _ := lakebasetest.NewStore(t)
	s := newStack(t, store)
	value := strings.Repeat("x", lakebase.MaxValueBytes-1) // 64 KiB + 1 with its quotes
	got := s.want(t, s.alice, "PUT", "/api/preferences/big", `{"value":"`+value+`"}`, 413)
	if got["type"] != "urn:onbehalf:problem:value_too_large" {
		t.Errorf("problem %v", got)
	}
	s.want(t, s.alice, "PUT", "/api/preferences/big", `{"value":"`+value[1:]+`"}`, 200)
	// Nine bytes that jsonb would write out as 131,072 characters.
	got = s.want(t, s.alice, "PUT", "/api/preferences/wide", `{"value":[1e131071]}`, 413)
	if got["type"] != "urn:onbehalf:problem:value_too_large" || !strings.Contains(got["detail"].(string), "written out in full") {
		t.Errorf("problem %v", got)
	}
}

func TestLakebaseEndpointsAnswer503WhenNotConfigured(t *testing.T) {
	s := newStack(t, nil)
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/preferences", ""}, {"GET", "/api/preferences/k", ""},
		{"PUT", "/api/preferences/k", `{"value":1}`}, {"DELETE", "/api/preferences/k", ""},
		{"GET", "/api/model-serving/inference-logs", ""},
	} {
		if got := s.want(t, s.alice, r.method, r.path, r.body, 503); got["type"] != "urn:onbehalf:problem:lakebase_not_configured" {
			t.Errorf("%s %s: %v", r.method, r.path, got)
		}
	}
	s.want(t, s.alice, "GET", "/api/user/me", "", 200)
	s.want(t, "", "GET", "/readyz", "", 200)
	s.want(t, s.alice, "POST", "/api/model-serving/endpoints/agent-chat/invocations", `{"input":[{"role":"user","content":"hi"}]}`, 200)
}

// TestDatabaseDownAndBack: while the database is away, the Lakebase
// endpoints and /readyz answer 503 and everything else works; when it comes
// back the same server serves again, with every acknowledged write there.
func TestDatabaseDownAndBack(t *testing.T) {
	dbURL := lakebasetest.NewDatabase(t)
	u, _ := url.Parse(dbURL)
	proxy := lakebasetest.NewProxy(t, u.Host)
	s := newStack(t, lakebasetest.OpenStore(t, lakebase.Connection{URL: proxy.Through(t, dbURL)}))
	s.want(t, s.alice, "PUT", "/api/preferences/acked", `{"value":1}`, 200)
	s.want(t, "", "GET", "/readyz", "", 200)

	proxy.Cut()
	s.want(t, "", "GET", "/readyz", "", 503)
	s.want(t, s.alice, "GET", "/api/preferences/acked", "", 503)
	s.want(t, s.alice, "PUT", "/api/preferences/other", `{"value":2}`, 503)
	s.want(t, s.alice, "GET", "/api/model-serving/inference-logs", "", 503)
	s.want(t, s.alice, "GET", "/api/user/me", "", 200)
	s.want(t, s.alice, "GET", "/api/unity-catalog/catalogs", "", 200)
	// The invocation answers though its recording fails, which is logged.
	s.want(t, s.alice, "POST", "/api/model-serving/endpoints/agent-chat/invocations", `{"input":[{"role":"user","content":"hi"}]}`, 200)
	if !strings.Contains(s.logs.String(), "inference log not recorded") {
		t.Error("a failed recording is not logged")
	}

	proxy.Restore()
	s.want(t, "", "GET", "/readyz", "", 200)
	if got := s.want(t, s.alice, "GET", "/api/preferences/acked", "", 200); got["value"] != float64(1) {
		t.Errorf("the acknowledged write reads back %v", got["value"])
	}
	s.want(t, s.alice, "PUT", "/api/preferences/other", `{"value":2}`, 200)
}

// TestAChatModelRefusesTheAgentsRequest: the invocation sends the Agent
// Framework's request, which only a ResponsesAgent takes; a chat model
// (sales-forecast, llm/v1/chat) is refused by Databricks, and the client
// gets that as a 400 problem saying what Databricks said, not a 5xx.
func TestAChatModelRefusesTheAgentsRequest(t *testing.T) {
	s := newStack(t, nil)
	got := s.want(t, s.alice, "POST", "/api/model-serving/endpoints/sales-forecast/invocations", `{"input":[{"role":"user","content":"hi"}]}`, 400)
	if got["type"] != "urn:onbehalf:problem:upstream_400" || !strings.Contains(got["detail"].(string), `missing inputs ["messages"]`) {
		t.Errorf("problem %v", got)
	}
}

// TestInvocationsAreRecordedInTheCallersInferenceLog: each invocation,
// answered or refused, lands in its caller's log, newest first, seen by no
// one else.
func TestInvocationsAreRecordedInTheCallersInferenceLog(t *testing.T) {
	store, _ := lakebasetest.NewStore(t)
	s := newStack(t, store)
	body := `{"input":[{"role":"user","content":"hi"}]}`
	s.want(t, s.alice, "POST", "/api/model-serving/endpoints/agent-chat/invocations", body, 200)
	s.want(t, s.alice, "POST", "/api/model-serving/endpoints/hr-assistant/invocations", body, 403)

	page := s.want(t, s.alice, "GET", "/api/model-serving/inference-logs", "", 200)
	if got := itemKeys(page, "endpoint_name") + " " + itemKeys(page, "status") + " " + itemKeys(page, "http_status"); got != `"hr-assistant","agent-chat" "error","success" 403,200` {
		t.Errorf("alice's log: %s", got)
	}
	if page := s.want(t, s.bob, "GET", "/api/model-serving/inference-logs", "", 200); itemKeys(page, "id") != "" {
		t.Errorf("bob sees %v", page["items"])
	}
	if page := s.want(t, s.alice, "GET", "/api/model-serving/inference-logs?limit=1&offset=1", "", 200); itemKeys(page, "endpoint_name") != `"agent-chat"` || page["has_more"] != false {
		t.Errorf("alice's second page: %v", page)
	}
}
