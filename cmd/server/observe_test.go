package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestRunWiresMetricsRetriesAndJSONLogs starts the real server (run) against
// a fake workspace and checks the wiring of cmd/server: GET /metrics serves
// its own registry with the auth, retry and runtime metrics, and every line
// the process writes to stdout is a JSON object.
func TestRunWiresMetricsRetriesAndJSONLogs(t *testing.T) {
	ws := fakeworkspace.Demo()
	fake := httptest.NewServer(ws.Handler())
	defer fake.Close()
	clientID, secret := ws.ServicePrincipal()
	base, stdout := started(t, map[string]string{
		"DATABRICKS_HOST": fake.URL, "DATABRICKS_CLIENT_ID": clientID, "DATABRICKS_CLIENT_SECRET": secret,
	})

	token := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/preview/scim/v2/Me", Status: 503, Count: 1})
	req, _ := http.NewRequest("GET", base+"/api/user/me", nil)
	req.Header.Set("X-Forwarded-Access-Token", token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/user/me: %d", resp.StatusCode)
	}

	resp, err = http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	for _, name := range []string{"auth_success_total", "auth_retry_total", "auth_requests_by_user", "http_requests_total", "go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("/metrics lacks %s", name)
		}
	}

	for _, line := range stdout.lines() {
		if line == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("stdout line is not JSON: %.200s", line)
		}
		if strings.Contains(line, token[len(token)-20:]) || strings.Contains(line, secret) {
			t.Errorf("stdout line holds a secret: %.200s", line)
		}
	}
}
