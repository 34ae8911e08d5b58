package fakeworkspace_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/databricks/databricks-sdk-go"
	"github.com/databricks/databricks-sdk-go/config"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// noLoader loads nothing, so that a config is exactly what the test wrote:
// no DATABRICKS_* variables, no ~/.databrickscfg.
type noLoader struct{}

func (noLoader) Name() string                   { return "none" }
func (noLoader) Configure(*config.Config) error { return nil }

// start serves ws for the test's duration and returns its URL.
func start(t *testing.T, ws *fakeworkspace.Workspace) string {
	t.Helper()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	return srv.URL
}

// newDemo starts the demo workspace.
func newDemo(t *testing.T) (*fakeworkspace.Workspace, string) {
	t.Helper()
	ws := fakeworkspace.Demo()
	return ws, start(t, ws)
}

// patClient is a real SDK client that sends token as a bearer token.
func patClient(t *testing.T, host, token string) *databricks.WorkspaceClient {
	t.Helper()
	return newClient(t, &config.Config{Host: host, Token: token, AuthType: "pat"})
}

// m2mClient is a real SDK client that signs in as the service principal
// with OAuth M2M.
func m2mClient(t *testing.T, host, clientID, secret string) *databricks.WorkspaceClient {
	t.Helper()
	return newClient(t, &config.Config{Host: host, ClientID: clientID, ClientSecret: secret, AuthType: "oauth-m2m"})
}

func newClient(t *testing.T, cfg *config.Config) *databricks.WorkspaceClient {
	t.Helper()
	cfg.Loaders = []config.Loader{noLoader{}}
	w, err := databricks.NewWorkspaceClient((*databricks.Config)(cfg))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// answer is a raw HTTP answer.
type answer struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends a raw request, with token as a bearer token unless empty, and
// body as JSON unless nil.
func call(t *testing.T, method, url, token string, body any) answer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	_ = json.Unmarshal(raw, &a.body) // some answers are arrays or empty
	return a
}

// wantError checks a Databricks error answer.
func (a answer) wantError(t *testing.T, status int, code, message string) {
	t.Helper()
	if a.status != status || a.body["error_code"] != code || (message != "" && a.body["message"] != message) {
		t.Errorf("got %d %s, want %d {error_code: %s, message: %s}", a.status, a.raw, status, code, message)
	}
	if ct := a.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
}
