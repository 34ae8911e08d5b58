package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestRunDeliversTheAnswerOfAnInvocationWhoseCallsTakeTheirTime: the write
// deadline outlasts everything an invocation waits for, not only the agent:
// here a slow identity call (within APP_UPSTREAM_TIMEOUT) and then the agent
// (within APP_INVOKE_TIMEOUT) together pass APP_INVOKE_TIMEOUT + 15 s, the
// deadline that used to cut the answer off after the agent had acted. The
// agent runs once and the client gets its answer.
func TestRunDeliversTheAnswerOfAnInvocationWhoseCallsTakeTheirTime(t *testing.T) {
	ws := fakeworkspace.Demo()
	upstream := httptest.NewServer(ws.Handler())
	t.Cleanup(upstream.Close)
	base, _ := started(t, map[string]string{
		"DATABRICKS_HOST":      upstream.URL,
		"APP_INVOKE_TIMEOUT":   "300ms",
		"APP_UPSTREAM_TIMEOUT": "17s",
	})
	const agent = "/serving-endpoints/agent-chat/invocations"
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Delay: 15600 * time.Millisecond, Count: 1})
	ws.InjectFault(fakeworkspace.Fault{Path: agent, Delay: 200 * time.Millisecond, Count: 1})

	req, _ := http.NewRequest(http.MethodPost, base+"/api/model-serving/endpoints/agent-chat/invocations",
		strings.NewReader(`{"input":[{"role":"user","content":"book the flight"}]}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Access-Token", ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("after %v, with the agent run %d time(s): %v", time.Since(start).Round(time.Millisecond), len(ws.RequestsTo(agent)), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "book the flight") {
		t.Errorf("after %v: status %d, %v: %.300s; want 200 with the agent's answer", time.Since(start).Round(time.Millisecond), resp.StatusCode, err, body)
	}
	if n := len(ws.RequestsTo(agent)); n != 1 {
		t.Errorf("the agent ran %d times, want 1", n)
	}
}
