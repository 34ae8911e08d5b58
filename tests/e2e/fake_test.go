package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// fakeProc is cmd/fakeworkspace running as a process, driven over its
// /_fake/ control endpoints.
type fakeProc struct {
	fakeworkspace.StartupInfo
	cmd *exec.Cmd

	mu     sync.Mutex
	issued []string // tokens issued through token
}

// secrets are every credential the fake has handed out: the service
// principal's secret, the users' startup tokens and PATs, and the tokens
// issued since.
func (f *fakeProc) secrets() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := append([]string{f.ServicePrincipal.ClientSecret}, f.issued...)
	for _, u := range f.Users {
		out = append(out, u.Token, u.PAT)
	}
	return out
}

// startFake runs the fake workspace with args (e.g. "-page-size", "1000")
// and stops it when the test ends.
func startFake(t *testing.T, args ...string) *fakeProc {
	t.Helper()
	cmd := exec.Command(fakeBin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f := &fakeProc{cmd: cmd}
	t.Cleanup(func() { stopProcess(t, cmd, "fakeworkspace") })

	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatalf("fakeworkspace printed no startup line: %v (stderr: %s)", err, stderr.String())
	}
	if err := json.Unmarshal(line, &f.StartupInfo); err != nil {
		t.Fatalf("fakeworkspace startup line %q: %v", line, err)
	}
	go func() { _, _ = io.Copy(io.Discard, stdout) }()
	return f
}

// stopProcess ends a process with SIGTERM and fails the test unless it
// exits cleanly within a few seconds.
func stopProcess(t *testing.T, cmd *exec.Cmd, name string) {
	if cmd.ProcessState != nil {
		return // already waited for
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("%s did not exit cleanly on SIGTERM: %v", name, err)
		}
	case <-time.After(25 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Errorf("%s did not stop within 25s of SIGTERM", name)
	}
}

// token returns a new JWT-shaped token of the user with the scopes.
func (f *fakeProc) token(t *testing.T, user string, scopes ...string) string {
	t.Helper()
	var out struct {
		Token string `json:"token"`
	}
	f.control(t, "POST", "/_fake/tokens", map[string]any{"user_name": user, "scopes": scopes}, &out)
	f.mu.Lock()
	f.issued = append(f.issued, out.Token)
	f.mu.Unlock()
	return out.Token
}

// revoke makes a token unknown to the workspace.
func (f *fakeProc) revoke(t *testing.T, token string) {
	f.control(t, "POST", "/_fake/tokens/revoke", map[string]string{"token": token}, nil)
}

// fault injects a fault; clearFaults removes them all.
func (f *fakeProc) fault(t *testing.T, fault fakeworkspace.Fault) {
	f.control(t, "POST", "/_fake/faults", fault, nil)
}

func (f *fakeProc) clearFaults(t *testing.T) { f.control(t, "DELETE", "/_fake/faults", nil, nil) }

// requests returns the fake's request log; resetRequests clears it.
func (f *fakeProc) requests(t *testing.T) []fakeworkspace.Request {
	var out []fakeworkspace.Request
	f.control(t, "GET", "/_fake/requests", nil, &out)
	return out
}

func (f *fakeProc) resetRequests(t *testing.T) { f.control(t, "DELETE", "/_fake/requests", nil, nil) }

// requestsTo filters the request log by path prefix.
func (f *fakeProc) requestsTo(t *testing.T, prefix string) []fakeworkspace.Request {
	var out []fakeworkspace.Request
	for _, r := range f.requests(t) {
		if strings.HasPrefix(r.Path, prefix) {
			out = append(out, r)
		}
	}
	return out
}

// userToken is the all-scopes token the fake printed for a demo user.
func (f *fakeProc) userToken(t *testing.T, user string) string {
	for _, u := range f.Users {
		if u.UserName == user {
			return u.Token
		}
	}
	t.Fatalf("no demo user %s", user)
	return ""
}

func (f *fakeProc) control(t *testing.T, method, path string, in, out any) {
	t.Helper()
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, f.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v", method, path, fmt.Errorf("decode %q: %w", raw, err))
		}
	}
}

// validDatabaseCredential reports whether password is a Lakebase credential
// the fake issued that has not expired. It runs on a proxy's goroutine, so
// it fails closed instead of failing the test.
func (f *fakeProc) validDatabaseCredential(password string) bool {
	resp, err := http.Get(f.URL + "/_fake/database-credentials")
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	var creds []struct {
		Token     string    `json:"token"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	if json.NewDecoder(resp.Body).Decode(&creds) != nil {
		return false
	}
	for _, c := range creds {
		if c.Token == password {
			return c.ExpiresAt.After(time.Now())
		}
	}
	return false
}
