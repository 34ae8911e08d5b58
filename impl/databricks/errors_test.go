package databricks_test

import (
	"bytes"
	"cmp"
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"unicode/utf8"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestAny4xxIsAnsweredAfterOneAttempt: a 4xx outside 400, 401, 403, 404 and
// 429 is never retried. To a request onbehalf built (a listing) it is a bug
// of ours, Internal (500); to an invocation, which passes the client's
// messages through, a 413 or a 422 judges the client's input (TooLarge,
// Invalid) and any other 4xx is still ours. Attempts are counted at the
// fake workspace.
func TestAny4xxIsAnsweredAfterOneAttempt(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	const (
		listPath   = "/api/2.1/unity-catalog/catalogs"
		invokePath = "/serving-endpoints/agent-chat/invocations"
	)
	inv := databricks.Invocation{Input: []databricks.Message{{Role: "user", Content: "hello"}}}
	for _, tc := range []struct {
		status               int
		listKind, invokeKind apperr.Kind
	}{
		{http.StatusMethodNotAllowed, apperr.Internal, apperr.Internal},
		{http.StatusConflict, apperr.Internal, apperr.Internal},
		{http.StatusGone, apperr.Internal, apperr.Internal},
		{http.StatusRequestEntityTooLarge, apperr.Internal, apperr.TooLarge},
		{http.StatusUnsupportedMediaType, apperr.Internal, apperr.Internal},
		{http.StatusUnprocessableEntity, apperr.Internal, apperr.Invalid},
	} {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			ws.InjectFault(fakeworkspace.Fault{Path: listPath, Status: tc.status})
			ws.InjectFault(fakeworkspace.Fault{Path: invokePath, Status: tc.status})
			t.Cleanup(ws.ClearFaults)
			ws.ResetRequests()

			_, _, err := c.ListCatalogs(as(tok), databricks.Window{Limit: 10})
			if got := apperr.KindOf(err); got != tc.listKind {
				t.Errorf("listing: kind %v (%v), want %v", got, err, tc.listKind)
			}
			if n := len(ws.RequestsTo(listPath)); n != 1 {
				t.Errorf("listing: %d attempts, want 1", n)
			}

			res, err := c.Invoke(as(tok), "agent-chat", inv)
			if got := apperr.KindOf(err); got != tc.invokeKind {
				t.Errorf("invocation: kind %v (%v), want %v", got, err, tc.invokeKind)
			}
			if n := len(ws.RequestsTo(invokePath)); n != 1 {
				t.Errorf("invocation: %d attempts, want 1", n)
			}
			if res.Status != tc.status {
				t.Errorf("invocation: status %d recorded, want the endpoint's %d", res.Status, tc.status)
			}
		})
	}
}

// TestALargeErrorAnswerIsReadAndKeptBounded: an error answer is read no
// further than a bound, however large (a proxy's page, a runaway message),
// and the message kept as the error's cause, whose text the request's log
// line carries, is bounded too. The server counts what the client took: an
// answer it wrote in full was read in full.
func TestALargeErrorAnswerIsReadAndKeptBounded(t *testing.T) {
	const maxErrorText = 5 << 10 // the kept message, with our kind and detail
	for _, tc := range []struct {
		name, contentType string
		body              []byte
	}{
		{"40 MiB of text", "text/plain", bytes.Repeat([]byte("x"), 40<<20)},
		{"40 MiB JSON error", "application/json", []byte(`{"error_code":"INTERNAL_ERROR","message":"` + strings.Repeat("x", 40<<20) + `"}`)},
		{"JSON error with a 20 KiB message", "application/json", []byte(`{"error_code":"INTERNAL_ERROR","message":"` + strings.Repeat("é", 10<<10) + `"}`)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var attempts, readInFull atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				attempts.Add(1)
				w.Header().Set("Content-Type", tc.contentType)
				w.Header().Set("Content-Length", strconv.Itoa(len(tc.body)))
				w.WriteHeader(http.StatusBadGateway)
				if n, err := w.Write(tc.body); err == nil && n == len(tc.body) && len(tc.body) > 1<<20 {
					// Socket buffers hold a few MiB at most: the rest
					// was written only if the client read it.
					readInFull.Add(1)
				}
			}))
			c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.User.CurrentUser(as("tok"))
			srv.Close() // waits for the handlers
			if e := apperr.As(err); e == nil || e.Kind != apperr.Upstream {
				t.Fatalf("err %.200v, want Upstream", err)
			}
			if n := len(err.Error()); n > maxErrorText {
				t.Errorf("the error's text is %d bytes, want at most %d", n, maxErrorText)
			}
			if !utf8.ValidString(err.Error()) {
				t.Errorf("the error's text was cut inside a character")
			}
			if n := readInFull.Load(); n != 0 {
				t.Errorf("%d of %d attempts read the whole answer, want none", n, attempts.Load())
			}
		})
	}
}

// TestTheServicePrincipalsErrorAnswerIsKeptBounded: the service principal's
// calls, which go through the SDK's client, keep a bounded message too.
func TestTheServicePrincipalsErrorAnswerIsKeptBounded(t *testing.T) {
	ws, c := newWithServicePrincipal(t, fakeworkspace.DemoClientSecret)
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/database/credentials", Status: http.StatusBadGateway, Message: strings.Repeat("x", 1<<20)})
	_, err := c.App.DatabaseCredential(context.Background(), "instance")
	if apperr.KindOf(err) != apperr.Upstream {
		t.Fatalf("err %.200v, want Upstream", err)
	}
	if n := len(err.Error()); n > 5<<10 {
		t.Errorf("the error's text is %d bytes, want at most %d", n, 5<<10)
	}
}

// TestA400IsTheClientsOnlyForWhatTheClientGave: Databricks answering 400 to
// a call that carries names the client gave (a catalog, an endpoint) or
// their input is the client's to fix (Invalid), and a 404 names what the
// client asked for (NotFound); to a call that carries only what onbehalf
// chose (the current user, the catalog listing) either is ours (Internal),
// as the contracts of getCurrentUser, listCatalogs and the rest list no 400
// and no 404. Either way, one attempt, and the message kept is bounded.
func TestA400IsTheClientsOnlyForWhatTheClientGave(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	inv := databricks.Invocation{Input: []databricks.Message{{Role: "user", Content: "hello"}}}
	for _, tc := range []struct {
		name, path string
		call       func() error
		want       apperr.Kind
		status     int // 400 if 0
	}{
		{"current user", "/api/2.0/preview/scim/v2/Me", func() error { _, err := c.CurrentUser(as(tok)); return err }, apperr.Internal, 0},
		{"catalogs", "/api/2.1/unity-catalog/catalogs", func() error { _, _, err := c.ListCatalogs(as(tok), databricks.Window{Limit: 10}); return err }, apperr.Internal, 0},
		{"endpoints", "/api/2.0/serving-endpoints", func() error { _, _, err := c.ListEndpoints(as(tok), databricks.Window{Limit: 10}); return err }, apperr.Internal, 0},
		{"schemas of a catalog", "/api/2.1/unity-catalog/schemas", func() error { _, _, err := c.ListSchemas(as(tok), "main", databricks.Window{Limit: 10}); return err }, apperr.Invalid, 0},
		{"tables of a schema", "/api/2.1/unity-catalog/tables", func() error {
			_, _, err := c.ListTables(as(tok), "main", "default", databricks.Window{Limit: 10})
			return err
		}, apperr.Invalid, 0},
		{"an endpoint", "/api/2.0/serving-endpoints/agent-chat", func() error { _, err := c.GetEndpoint(as(tok), "agent-chat"); return err }, apperr.Invalid, 0},
		{"an invocation", "/serving-endpoints/agent-chat/invocations", func() error { _, err := c.Invoke(as(tok), "agent-chat", inv); return err }, apperr.Invalid, 0},
		{"an invocation's 422", "/serving-endpoints/agent-chat/invocations", func() error { _, err := c.Invoke(as(tok), "agent-chat", inv); return err }, apperr.Invalid, http.StatusUnprocessableEntity},
		{"current user's 404", "/api/2.0/preview/scim/v2/Me", func() error { _, err := c.CurrentUser(as(tok)); return err }, apperr.Internal, http.StatusNotFound},
		{"catalogs' 404", "/api/2.1/unity-catalog/catalogs", func() error { _, _, err := c.ListCatalogs(as(tok), databricks.Window{Limit: 10}); return err }, apperr.Internal, http.StatusNotFound},
		{"endpoints' 404", "/api/2.0/serving-endpoints", func() error { _, _, err := c.ListEndpoints(as(tok), databricks.Window{Limit: 10}); return err }, apperr.Internal, http.StatusNotFound},
		{"schemas' 404", "/api/2.1/unity-catalog/schemas", func() error { _, _, err := c.ListSchemas(as(tok), "main", databricks.Window{Limit: 10}); return err }, apperr.NotFound, http.StatusNotFound},
		{"an endpoint's 404", "/api/2.0/serving-endpoints/agent-chat", func() error { _, err := c.GetEndpoint(as(tok), "agent-chat"); return err }, apperr.NotFound, http.StatusNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status := cmp.Or(tc.status, http.StatusBadRequest)
			ws.InjectFault(fakeworkspace.Fault{Path: tc.path, Status: status, Message: strings.Repeat("x", 20<<10)})
			t.Cleanup(ws.ClearFaults)
			ws.ResetRequests()
			err := tc.call()
			if got := apperr.KindOf(err); got != tc.want {
				t.Errorf("kind %v, want %v", got, tc.want)
			}
			if n := len(ws.RequestsTo(tc.path)); n != 1 {
				t.Errorf("%d attempts, want 1", n)
			}
			if err != nil && len(err.Error()) > 5<<10 {
				t.Errorf("the error's text is %d bytes, want at most %d", len(err.Error()), 5<<10)
			}
		})
	}
}
