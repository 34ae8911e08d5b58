package httpapi

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/observe"
)

// SyncBuffer is a log destination that tests read while servers write to
// it (exported for the package's external tests).
type SyncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *SyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *SyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// Lines returns the JSON log lines whose msg is msg.
func (s *SyncBuffer) Lines(t *testing.T, msg string) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, line := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		if rec["msg"] == msg {
			out = append(out, rec)
		}
	}
	return out
}

// TestAHandlerPanicIsA500Problem: the whole stack, with no Databricks client
// (so the operation's handler panics on a nil pointer), answers the
// contract's 500 problem on a connection that stays usable, and logs the
// panic with its stack and the request with its status.
func TestAHandlerPanicIsA500Problem(t *testing.T) {
	logs := &SyncBuffer{}
	log := observe.NewLogger(logs, slog.LevelInfo)
	h, err := New(Deps{Log: log, Auth: auth.New(auth.Config{}, log)}) // no User client
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	const token = "dapi-not-a-jwt-so-no-scope-check"
	for range 2 { // the second request goes over the same connection
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/api/unity-catalog/catalogs", nil)
		req.Header.Set(auth.TokenHeader, token)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("no answer: %v", err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var prob map[string]any
		if resp.StatusCode != 500 || resp.Header.Get("Content-Type") != "application/problem+json" || json.Unmarshal(body, &prob) != nil ||
			prob["type"] != "urn:onbehalf:problem:internal" || prob["correlation_id"] != resp.Header.Get(observe.RequestIDHeader) {
			t.Fatalf("answer %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), body)
		}
		if strings.Contains(string(body), "panic") || strings.Contains(string(body), "goroutine") {
			t.Errorf("the answer tells of the panic: %s", body)
		}
	}
	internal := logs.Lines(t, "internal error")
	if len(internal) != 2 {
		t.Fatalf("%d internal error lines, want 2", len(internal))
	}
	msg, _ := internal[0]["error"].(string)
	if !strings.HasPrefix(msg, "panic: runtime error: invalid memory address or nil pointer dereference\n") || !strings.Contains(msg, "goroutine ") ||
		!strings.Contains(msg, "databricks.(*UserClient)") || internal[0]["correlation_id"] == nil {
		t.Errorf("internal error line %v: want the panic, its stack and the correlation id", internal[0])
	}
	requests := logs.Lines(t, "request")
	if len(requests) != 2 || requests[0]["status"] != float64(500) || requests[0]["route"] != "GET /api/unity-catalog/catalogs" {
		t.Errorf("request lines %v, want two with status 500 and the route", requests)
	}
	if strings.Contains(logs.String(), token) {
		t.Error("the token is in the log")
	}
}

// secretHolder is a panic value of a type that is neither an error nor a
// string, whose fields and String method hold a secret.
type secretHolder struct{ token string }

func (s secretHolder) String() string { return s.token }

// TestRecoverPanics: an answer already begun is cut rather than followed
// by a problem; a value of another type is logged by its type alone; and
// http.ErrAbortHandler is left to net/http.
func TestRecoverPanics(t *testing.T) {
	logs := &SyncBuffer{}
	log := observe.NewLogger(logs, slog.LevelInfo)
	var panicWith any
	handler := observe.Requests(log, recoverPanics(problemWriter{log: log}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/begun" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"items":[`))
			_ = http.NewResponseController(w).Flush()
		}
		panic(panicWith)
	})))
	srv := httptest.NewServer(handler)
	srv.Config.ErrorLog = slog.NewLogLogger(slog.NewTextHandler(io.Discard, nil), slog.LevelError)
	defer srv.Close()
	get := func(path string) (int, string, error) {
		resp, err := srv.Client().Get(srv.URL + path)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body), err
	}

	panicWith = secretHolder{token: "s3cr3t-token"}
	if status, body, err := get("/begun"); err == nil {
		t.Errorf("an answer begun before the panic came whole: %d %q", status, body)
	}
	if status, body, err := get("/"); err != nil || status != 500 || !strings.Contains(body, "urn:onbehalf:problem:internal") {
		t.Errorf("panic before the answer: %d %q %v", status, body, err)
	}
	internal := logs.Lines(t, "internal error")
	if len(internal) != 2 {
		t.Fatalf("%d internal error lines, want 2 (begun, then not)", len(internal))
	}
	for _, line := range internal {
		if msg, _ := line["error"].(string); !strings.HasPrefix(msg, "panic: a value of type httpapi.secretHolder\n") {
			t.Errorf("internal error %q: want the value's type alone", msg)
		}
	}
	if strings.Contains(logs.String(), "s3cr3t") {
		t.Error("the panic value's secret is in the log")
	}

	panicWith = http.ErrAbortHandler
	if _, _, err := get("/"); err == nil {
		t.Error("http.ErrAbortHandler gave an answer")
	}
	if n := len(logs.Lines(t, "internal error")); n != 2 {
		t.Errorf("http.ErrAbortHandler was logged as an internal error (%d lines)", n)
	}
}
