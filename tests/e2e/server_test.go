package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// serverProc is cmd/server running as a process.
type serverProc struct {
	URL    string
	cmd    *exec.Cmd
	client *http.Client
	// eof is closed once the server's stdout has been read to its end: the
	// process has exited, and every line it wrote is in lines.
	eof chan struct{}

	mu    sync.Mutex
	lines []string // stdout, line by line
}

// serverEnv is the environment of a server against a fake workspace: the
// host and the service principal, as Databricks Apps would set them, and a
// free port. extra adds or overrides variables ("NAME=value").
func serverEnv(host, clientID, clientSecret string, extra ...string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.TempDir(),
		"DATABRICKS_HOST=" + host,
		"DATABRICKS_CLIENT_ID=" + clientID,
		"DATABRICKS_CLIENT_SECRET=" + clientSecret,
		"DATABRICKS_APP_PORT=0",
	}
	return append(env, extra...)
}

// startServer runs the server with exactly env (nothing is inherited from
// the test's environment) and waits for its "listening" log line. It is
// stopped with SIGTERM when the test ends, and must exit cleanly.
func startServer(t *testing.T, env []string) *serverProc {
	t.Helper()
	cmd := exec.Command(serverBin)
	cmd.Env = env
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &serverProc{cmd: cmd, eof: make(chan struct{}), client: &http.Client{
		Timeout:   60 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 0, IdleConnTimeout: 30 * time.Second},
	}}
	t.Cleanup(func() {
		s.client.CloseIdleConnections()
		stopProcess(t, cmd, "server")
	})

	port := make(chan int, 1)
	go func() {
		defer close(s.eof)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.lines = append(s.lines, line)
			s.mu.Unlock()
			var rec struct {
				Msg  string `json:"msg"`
				Port int    `json:"port"`
			}
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "listening" {
				port <- rec.Port
			}
		}
		close(port)
	}()
	select {
	case p, ok := <-port:
		if !ok {
			t.Fatalf("server exited before listening; stderr: %s", stderr.String())
		}
		s.URL = fmt.Sprintf("http://127.0.0.1:%d", p)
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not log \"listening\" within 60s; stderr: %s", stderr.String())
	}
	return s
}

// startupFailure runs the server with env and returns what it wrote to
// stderr, failing the test unless it exits with an error within 30s.
func startupFailure(t *testing.T, env []string) string {
	t.Helper()
	cmd := exec.Command(serverBin)
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = io.Discard, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err == nil {
			t.Fatalf("server exited 0, want a start-up error")
		}
	case <-time.After(30 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("server started (still running after 30s), want it refused at start-up")
	}
	return stderr.String()
}

// answer is one HTTP answer of the server.
type answer struct {
	Status int
	Header http.Header
	Raw    []byte
	// JSON is the decoded body when it is a JSON object.
	JSON map[string]any
}

// do sends a request; token, when set, goes in X-Forwarded-Access-Token.
func (s *serverProc) do(t *testing.T, method, path, token string, body []byte, header ...string) answer {
	t.Helper()
	a, err := s.try(method, path, token, body, header...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return a
}

// try is do for use from goroutines: it returns the error.
func (s *serverProc) try(method, path, token string, body []byte, header ...string) (answer, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return answer{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("X-Forwarded-Access-Token", token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return answer{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{Status: resp.StatusCode, Header: resp.Header, Raw: raw}
	_ = json.Unmarshal(raw, &a.JSON)
	return a, nil
}

// get is do for a GET.
func (s *serverProc) get(t *testing.T, path, token string) answer {
	t.Helper()
	return s.do(t, http.MethodGet, path, token, nil)
}

// logs returns the server's JSON log lines so far, decoded.
func (s *serverProc) logs() []map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []map[string]any
	for _, l := range s.lines {
		var rec map[string]any
		if json.Unmarshal([]byte(l), &rec) == nil {
			out = append(out, rec)
		}
	}
	return out
}

// stdout returns everything the server printed so far.
func (s *serverProc) stdout() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Join(s.lines, "\n")
}

// logsWhere returns the log lines whose fields have the given values.
func (s *serverProc) logsWhere(kv ...string) []map[string]any {
	var out []map[string]any
	for _, rec := range s.logs() {
		match := true
		for i := 0; i+1 < len(kv); i += 2 {
			if fmt.Sprint(rec[kv[i]]) != kv[i+1] {
				match = false
				break
			}
		}
		if match {
			out = append(out, rec)
		}
	}
	return out
}

// waitLogs waits until at least n log lines match kv (the request log line
// is written after the answer, so it may trail the answer a little).
func (s *serverProc) waitLogs(t *testing.T, n int, kv ...string) []map[string]any {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got := s.logsWhere(kv...)
		if len(got) >= n || time.Now().After(deadline) {
			return got
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// field walks decoded JSON: field(m, "user", "email").
func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// itemNames lists the "name" of each item of a page answer.
func itemNames(a answer) []string {
	items, _ := a.JSON["items"].([]any)
	out := []string{}
	for _, it := range items {
		if n, ok := field(it, "name").(string); ok {
			out = append(out, n)
		}
	}
	return out
}

// wantProblem fails unless a is a problem+json answer with the status and
// problem type reason (urn:onbehalf:problem:<reason>; "" for any).
func wantProblem(t *testing.T, a answer, status int, reason string) {
	t.Helper()
	if a.Status != status {
		t.Fatalf("status %d, want %d: %s", a.Status, status, a.Raw)
	}
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("Content-Type %q, want application/problem+json: %s", ct, a.Raw)
	}
	if reason != "" && a.JSON["type"] != "urn:onbehalf:problem:"+reason {
		t.Fatalf("problem type %v, want urn:onbehalf:problem:%s", a.JSON["type"], reason)
	}
	if id := a.Header.Get("X-Request-Id"); id == "" || a.JSON["correlation_id"] != id {
		t.Fatalf("problem correlation_id %v does not match X-Request-Id %q", a.JSON["correlation_id"], id)
	}
}
