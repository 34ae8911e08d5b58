package databricks_test

import (
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestAnAnswerThatIsNotJSONIsAnUpstreamFailure: a 200 whose body is not the
// JSON expected (a proxy's HTML page) is Databricks failing, retried on the
// policy and then a 502, never a 500 of ours.
func TestAnAnswerThatIsNotJSONIsAnUpstreamFailure(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>502 from a proxy</html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"identity": func() error { _, err := c.User.CurrentUser(as("tok")); return err },
		"catalogs": func() error { _, _, err := c.User.ListCatalogs(as("tok"), databricks.Window{Limit: 10}); return err },
	} {
		attempts.Store(0)
		if err := call(); apperr.KindOf(err) != apperr.Upstream {
			t.Errorf("%s: err %v, want Upstream", name, err)
		}
		if n := attempts.Load(); n != 4 {
			t.Errorf("%s: %d attempts, want 4 (retried on the policy)", name, n)
		}
	}
}

// TestAPrivateLinkRefusalIsForbidden: a workspace whose network rules
// refuse the caller redirects to its login page, which answers 200 with
// HTML. That is Databricks denying access (403), found after the redirect
// and not retried, rather than an answer that is not JSON (502).
func TestAPrivateLinkRefusalIsForbidden(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/login.html" {
			w.Header().Set("Content-Type", "text/html")
			_, _ = w.Write([]byte("<html>sign in</html>"))
			return
		}
		attempts.Add(1)
		http.Redirect(w, r, "/login.html?error=private-link-validation-error", http.StatusFound)
	}))
	t.Cleanup(srv.Close)
	c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = c.User.ListCatalogs(as("tok"), databricks.Window{Limit: 10})
	if e := apperr.As(err); e == nil || e.Kind != apperr.Forbidden {
		t.Fatalf("err %v, want Forbidden", err)
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1 (a refusal is not retried)", n)
	}
}

// TestAnOversizedAnswerIsAnUpstreamFailure: an answer over 32 MiB, declared
// or streamed without a length, is a 502, not read into memory without end.
func TestAnOversizedAnswerIsAnUpstreamFailure(t *testing.T) {
	for name, declared := range map[string]bool{"declared length": true, "streamed": false} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				const size = 33 << 20
				w.Header().Set("Content-Type", "application/json")
				if declared {
					w.Header().Set("Content-Length", strconv.Itoa(size))
				}
				chunk := make([]byte, 1<<20)
				for range size / len(chunk) {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					w.(http.Flusher).Flush() // without a length: chunked
				}
			}))
			t.Cleanup(srv.Close)
			c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.User.CurrentUser(as("tok"))
			if e := apperr.As(err); e == nil || e.Kind != apperr.Upstream || !strings.Contains(e.Detail, "32 MiB") {
				t.Fatalf("err %v, want an Upstream error naming the 32 MiB bound", err)
			}
		})
	}
}

// TestInvocationAttemptsAndTheStatusTheEndpointAnswered: an agent can act on
// the user's behalf, so an invocation is sent again only after a 503 (the
// endpoint did not take it on), never after a 500 or a connection lost once
// it was sent; attempts are counted at the fake workspace. The result
// carries what the endpoint answered last, for the inference log, and no
// status when it never answered.
func TestInvocationAttemptsAndTheStatusTheEndpointAnswered(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	inv := databricks.Invocation{Input: []databricks.Message{{Role: "user", Content: "book the room"}}}
	const path = "/serving-endpoints/agent-chat/invocations"
	for _, tc := range []struct {
		name     string
		fault    fakeworkspace.Fault
		status   int
		attempts int
	}{
		{"answered", fakeworkspace.Fault{}, http.StatusOK, 1},
		{"rate limited", fakeworkspace.Fault{Path: path, Status: http.StatusTooManyRequests}, http.StatusTooManyRequests, 1},
		{"unavailable on every attempt", fakeworkspace.Fault{Path: path, Status: http.StatusServiceUnavailable}, http.StatusServiceUnavailable, 4},
		{"unavailable twice, then answered", fakeworkspace.Fault{Path: path, Status: http.StatusServiceUnavailable, Count: 2}, http.StatusOK, 3},
		{"500", fakeworkspace.Fault{Path: path, Status: http.StatusInternalServerError}, http.StatusInternalServerError, 1},
		{"connection reset", fakeworkspace.Fault{Path: path, Reset: true}, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.fault.Path != "" {
				ws.InjectFault(tc.fault)
				t.Cleanup(ws.ClearFaults)
			}
			ws.ResetRequests()
			res, _ := c.Invoke(as(tok), "agent-chat", inv)
			if res.Status != tc.status {
				t.Errorf("status %d, want %d", res.Status, tc.status)
			}
			if n := len(ws.RequestsTo(path)); n != tc.attempts {
				t.Errorf("%d attempts at the endpoint, want %d", n, tc.attempts)
			}
		})
	}
}

// TestAListingIsRetriedAfterA500: a read, which changes nothing, is retried
// after a 500, unlike an invocation.
func TestAListingIsRetriedAfterA500(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/serving-endpoints", Status: http.StatusInternalServerError, Count: 1})
	t.Cleanup(ws.ClearFaults)
	ws.ResetRequests()
	if _, _, err := c.ListEndpoints(as(tok), databricks.Window{Limit: 10}); err != nil {
		t.Fatalf("listing after one 500: %v", err)
	}
	if n := len(ws.RequestsTo("/api/2.0/serving-endpoints")); n != 2 {
		t.Errorf("%d attempts to list, want 2", n)
	}
}
