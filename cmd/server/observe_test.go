package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// syncBuffer is the process's stdout, written from many goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestRunWiresMetricsRetriesAndJSONLogs starts the real server (run) against
// a fake workspace and checks the wiring of cmd/server: GET /metrics serves
// its own registry with the auth, retry and runtime metrics, and every line
// the process writes to stdout is a JSON object.
func TestRunWiresMetricsRetriesAndJSONLogs(t *testing.T) {
	ws := fakeworkspace.Demo()
	fake := httptest.NewServer(ws.Handler())
	defer fake.Close()
	clientID, secret := ws.ServicePrincipal()
	env := map[string]string{
		"DATABRICKS_HOST": fake.URL, "DATABRICKS_CLIENT_ID": clientID, "DATABRICKS_CLIENT_SECRET": secret,
		"DATABRICKS_APP_PORT": "0",
	}
	stdout := &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- run(ctx, func(k string) string { return env[k] }, stdout) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := waitListening(t, stdout)

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

	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil {
			t.Errorf("stdout line is not JSON: %.200s", line)
		}
		if strings.Contains(line, token[len(token)-20:]) || strings.Contains(line, secret) {
			t.Errorf("stdout line holds a secret: %.200s", line)
		}
	}
}

// waitListening returns the server's base URL from its "listening" log line.
func waitListening(t *testing.T, stdout *syncBuffer) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(stdout.String(), "\n") {
			var m struct {
				Msg  string `json:"msg"`
				Port int    `json:"port"`
			}
			if json.Unmarshal([]byte(line), &m) == nil && m.Msg == "listening" {
				return fmt.Sprintf("http://127.0.0.1:%d", m.Port)
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("the server did not log listening: %s", stdout.String())
	return ""
}
