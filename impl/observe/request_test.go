package observe

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// TestRequestsGivesEachRequestItsOwnID: ids are generated per request unless
// a well-formed one comes in, returned in X-Request-Id, and on the request
// line, whose route falls back to Unmatched.
func TestRequestsGivesEachRequestItsOwnID(t *testing.T) {
	var logs bytes.Buffer
	h := Requests(NewLogger(&logs, slog.LevelInfo), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if reqctx.CorrelationID(r.Context()) == "" {
			t.Error("no correlation id in the handler's context")
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	ids := map[string]bool{}
	for range 3 {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", "/x", nil))
		id := rec.Header().Get(RequestIDHeader)
		if len(id) != 32 || ids[id] {
			t.Fatalf("id %q: not a fresh 128-bit hex id", id)
		}
		ids[id] = true
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/x", nil)
	req.Header.Set(RequestIDHeader, "proxy-id-0001")
	h.ServeHTTP(rec, req)
	if got := rec.Header().Get(RequestIDHeader); got != "proxy-id-0001" {
		t.Errorf("incoming id replaced by %q", got)
	}
	var last map[string]any
	for _, line := range bytes.Split(bytes.TrimSpace(logs.Bytes()), []byte("\n")) {
		if err := json.Unmarshal(line, &last); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
	}
	if last["correlation_id"] != "proxy-id-0001" || last["route"] != Unmatched || last["status"] != float64(http.StatusTeapot) {
		t.Errorf("request line %v", last)
	}
}
