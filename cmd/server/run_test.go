package main

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// output is what run writes, read line by line while it runs.
type output struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) lines() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return strings.Split(o.buf.String(), "\n")
}

// started runs the server with vars as its whole environment until the test
// ends, and returns its base URL and its output once it listens.
func started(t *testing.T, vars map[string]string) (string, *output) {
	t.Helper()
	vars["DATABRICKS_APP_PORT"] = "0"
	out := &output{}
	ctx, cancel := context.WithCancel(context.Background())
	var runErr error
	finished := make(chan struct{}) // closed once run has returned runErr
	go func() {
		defer close(finished)
		runErr = run(ctx, func(k string) string { return vars[k] }, out)
	}()
	endedEarly := false
	t.Cleanup(func() {
		cancel()
		select {
		case <-finished:
			if runErr != nil && !endedEarly {
				t.Errorf("run returned %v after shutdown, want nil", runErr)
			}
		case <-time.After(10 * time.Second):
			t.Error("run did not return after its context ended")
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, l := range out.lines() {
			var rec struct {
				Msg  string `json:"msg"`
				Port int    `json:"port"`
			}
			if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "listening" {
				return "http://127.0.0.1:" + strconv.Itoa(rec.Port), out
			}
		}
		select {
		case <-finished:
			endedEarly = true
			t.Fatalf("run ended before listening: %v", runErr)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatal("the server did not log that it listens")
	return "", nil
}

// send makes one request to the running server as the holder of token (none if
// empty) and returns the status and body.
func send(t *testing.T, method, target, token, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Forwarded-Access-Token", token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// get is send's GET, its body decoded as a JSON object.
func get(t *testing.T, url, token string) (int, map[string]any) {
	t.Helper()
	code, raw := send(t, http.MethodGet, url, token, "")
	var body map[string]any
	_ = json.Unmarshal([]byte(raw), &body)
	return code, body
}

// demoTokens reads the tokens the demo prints, in order (alice, bob).
func demoTokens(out *output) []string {
	var toks []string
	for _, l := range out.lines() {
		if tok, ok := strings.CutPrefix(strings.TrimSpace(l), "export TOKEN="); ok {
			toks = append(toks, tok)
		}
	}
	return toks
}

func TestRunStartsTheDemoAndAnswersAsEachPrintedUser(t *testing.T) {
	base, out := started(t, map[string]string{})
	if code, _ := get(t, base+"/healthz", ""); code != http.StatusOK {
		t.Fatalf("/healthz answered %d", code)
	}
	toks := demoTokens(out)
	if len(toks) != 2 {
		t.Fatalf("the demo printed %d tokens, want alice's and bob's", len(toks))
	}
	for i, want := range []string{fakeworkspace.Alice, fakeworkspace.Bob} {
		code, body := get(t, base+"/api/user/me", toks[i])
		if code != http.StatusOK || body["user_id"] != want || body["auth_method"] != "obo" {
			t.Errorf("/api/user/me with the printed token %d: %d %v, want %s on behalf of", i, code, body, want)
		}
	}
	if code, body := get(t, base+"/api/user/me", ""); code != http.StatusUnauthorized {
		t.Errorf("without a token: %d %v, want 401", code, body)
	}
}

func TestRunFallsBackToTheServicePrincipalOnlyWhenToldTo(t *testing.T) {
	base, out := started(t, map[string]string{"APP_ENV": "local", "APP_SP_FALLBACK": "true"})
	code, body := get(t, base+"/api/user/me", "")
	if code != http.StatusOK || body["auth_method"] != "service_principal" || body["user_id"] != fakeworkspace.DemoClientID {
		t.Fatalf("without a token under APP_SP_FALLBACK: %d %v, want the service principal", code, body)
	}
	warned := false
	for _, l := range out.lines() {
		var rec struct{ Level, Msg string }
		if json.Unmarshal([]byte(l), &rec) == nil && rec.Level == "WARN" && strings.Contains(rec.Msg, "service principal") {
			warned = true
		}
	}
	if !warned {
		t.Error("no warning logged for a request served as the service principal")
	}
	// A user's own token still wins over the fallback.
	toks := demoTokens(out)
	if code, body := get(t, base+"/api/user/me", toks[0]); code != http.StatusOK || body["auth_method"] != "obo" {
		t.Errorf("with alice's token: %d %v, want obo", code, body)
	}
}

// TestRunListensOnLoopbackWhereRequestsNeedNoToken: local development and
// the demo answer a request without a token as someone (the developer, the
// service principal, the demo's users), so by default they listen on
// loopback only, not to the whole network; production listens on every
// interface, as Databricks Apps' proxy needs, and APP_LISTEN_HOST says
// otherwise.
func TestRunListensOnLoopbackWhereRequestsNeedNoToken(t *testing.T) {
	fake, err := fakeworkspace.Serve("127.0.0.1:0", fakeworkspace.New().Handler())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fake.Close() })
	for _, tc := range []struct {
		name string
		vars map[string]string
		want string
	}{
		{"demo", map[string]string{}, "127.0.0.1"},
		{"local", map[string]string{"APP_ENV": "local", "DATABRICKS_HOST": fake.URL, "DATABRICKS_USER_TOKEN": "dapi-x"}, "127.0.0.1"},
		{"local, told otherwise", map[string]string{"APP_ENV": "local", "APP_LISTEN_HOST": "0.0.0.0"}, "::"}, // Go listens on both stacks
		{"production", map[string]string{"DATABRICKS_HOST": fake.URL}, "::"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, out := started(t, tc.vars)
			for _, l := range out.lines() {
				var rec struct{ Msg, Addr string }
				if json.Unmarshal([]byte(l), &rec) == nil && rec.Msg == "listening" {
					if host, _, _ := net.SplitHostPort(rec.Addr); host != tc.want {
						t.Errorf("listens on %s, want host %s", rec.Addr, tc.want)
					}
					return
				}
			}
			t.Error("no listening line")
		})
	}
}

func TestRunRefusesLocalSwitchesOnDatabricksApps(t *testing.T) {
	for _, vars := range []map[string]string{
		{"APP_ENV": "local"},
		{"APP_ENV": "local", "APP_SP_FALLBACK": "true"},
		{"DATABRICKS_USER_TOKEN": "dapi-x"},
	} {
		vars["DATABRICKS_APP_NAME"], vars["DATABRICKS_HOST"] = "my-app", "https://example.invalid"
		err := run(context.Background(), func(k string) string { return vars[k] }, io.Discard)
		if err == nil || !strings.Contains(err.Error(), "refused on Databricks Apps") {
			t.Errorf("%v: err %v, want a refusal", vars, err)
		}
	}
}

// TestThePageSaysHowLongThisServerMayTake: the served index.html carries the
// longest request and invocation of this server's own timeouts, so that a
// server run with a longer APP_INVOKE_TIMEOUT is waited for that long.
func TestThePageSaysHowLongThisServerMayTake(t *testing.T) {
	base, _ := started(t, map[string]string{"APP_UPSTREAM_TIMEOUT": "10s", "APP_INVOKE_TIMEOUT": "300s"})
	_, page := send(t, http.MethodGet, base+"/", "", "")
	// The demo has no store: a request is one call, 5 s of retries + 10 s;
	// an invocation the user's identity (15 s) and the agent's call (305 s).
	for _, want := range []string{
		`<meta name="onbehalf:longest-request-ms" content="15000">`,
		`<meta name="onbehalf:longest-invocation-ms" content="320000">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
}
