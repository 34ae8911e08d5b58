package databricks_test

import (
	"net/http"
	"testing"

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
