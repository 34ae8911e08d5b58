package observe

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
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

// TestRequestsLogsAnOddMethodAsOther: a method outside the standard ones,
// which net/http takes at any length up to its header limit, is logged as
// the metric counts it, "other", never as sent.
func TestRequestsLogsAnOddMethodAsOther(t *testing.T) {
	var logs bytes.Buffer
	h := Requests(NewLogger(&logs, slog.LevelInfo), http.NotFoundHandler())
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(strings.Repeat("A", 100_000), "/x", nil))
	var line map[string]any
	if err := json.Unmarshal(logs.Bytes(), &line); err != nil {
		t.Fatalf("not one JSON line: %.200s", logs.Bytes())
	}
	if line["method"] != "other" || logs.Len() > 1000 {
		t.Errorf("method %.40q in a line of %d bytes, want \"other\"", line["method"], logs.Len())
	}
}

// writes records each Write call apart.
type writes [][]byte

func (w *writes) Write(p []byte) (int, error) {
	*w = append(*w, bytes.Clone(p))
	return len(p), nil
}

// TestRequestsLogsItsEndInOneWrite: a request that made an authentication
// decision ends with its auth_event line (the decision and, when the scope
// check ran, its facts) and then its request line, in one write; one that
// made none, with its request line alone; lines below the logger's level are
// left out.
func TestRequestsLogsItsEndInOneWrite(t *testing.T) {
	const tokenLength = 63
	refused := func(w http.ResponseWriter, r *http.Request) {
		meta := reqctx.MetaFrom(r.Context())
		meta.Route, meta.Operation, meta.AuthMethod, meta.UserID, meta.Retries, meta.Reason =
			"GET /api/user/me", "getCurrentUser", reqctx.OBO, "alice@example.com", 1, "missing_scope"
		meta.ScopeCheck = &reqctx.ScopeCheck{TokenLength: tokenLength, TokenIsJWT: true, Scopes: []string{"sql"},
			Required: []string{"iam.current-user:read"}, Missing: []string{"iam.current-user:read"}}
		meta.Auth = &reqctx.AuthDecision{TokenPresent: true, Reason: "missing_scope"}
		w.WriteHeader(http.StatusForbidden)
	}
	accepted := func(w http.ResponseWriter, r *http.Request) {
		meta := reqctx.MetaFrom(r.Context())
		meta.Operation, meta.AuthMethod = "getCurrentUser", reqctx.OBO
		meta.Auth = &reqctx.AuthDecision{TokenPresent: true, Success: true}
	}
	noDecision := func(w http.ResponseWriter, r *http.Request) {}
	for _, c := range []struct {
		name    string
		level   slog.Level
		handler http.HandlerFunc
		want    []string // the msg of each line of the one write, in order
	}{
		{"refused", slog.LevelInfo, refused, []string{"auth_event", "request"}},
		{"accepted", slog.LevelInfo, accepted, []string{"auth_event", "request"}},
		{"no decision", slog.LevelInfo, noDecision, []string{"request"}},
		{"refused, at WARN", slog.LevelWarn, refused, []string{"auth_event"}},
		{"accepted, at WARN", slog.LevelWarn, accepted, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out writes
			rec := httptest.NewRecorder()
			req := httptest.NewRequest("GET", "/api/user/me", nil)
			Requests(NewLogger(&out, c.level), c.handler).ServeHTTP(rec, req)
			if len(c.want) == 0 {
				if len(out) != 0 {
					t.Fatalf("written: %q", out)
				}
				return
			}
			if len(out) != 1 {
				t.Fatalf("%d writes, want 1: %q", len(out), out)
			}
			raw := bytes.Split(bytes.TrimSuffix(out[0], []byte("\n")), []byte("\n"))
			if len(raw) != len(c.want) {
				t.Fatalf("%d lines, want %v: %s", len(raw), c.want, out[0])
			}
			for i, l := range raw {
				var line map[string]any
				if err := json.Unmarshal(l, &line); err != nil {
					t.Fatalf("not one JSON line: %s", l)
				}
				if line["msg"] != c.want[i] || line["correlation_id"] != rec.Header().Get(RequestIDHeader) {
					t.Errorf("line %d: %s", i, l)
				}
				if line["msg"] == "request" && line["status"] != float64(rec.Code) {
					t.Errorf("request line %s, status %d", l, rec.Code)
				}
				if line["msg"] != "auth_event" {
					continue
				}
				want := `{"level":"INFO","msg":"auth_event","decision":"success","endpoint":"getCurrentUser","token_present":true,` +
					`"auth_method":"obo","user_id":"","retry_attempt":0,"reason":"","correlation_id":"` + rec.Header().Get(RequestIDHeader) + `"}`
				if strings.HasPrefix(c.name, "refused") {
					want = `{"level":"WARN","msg":"auth_event","decision":"failure","endpoint":"getCurrentUser","token_present":true,` +
						`"auth_method":"obo","user_id":"alice@example.com","retry_attempt":1,"reason":"missing_scope","token_length":` + strconv.Itoa(tokenLength) + `,` +
						`"token_is_jwt":true,"scopes":["sql"],"required_scopes":["iam.current-user:read"],"required_present":false,` +
						`"missing_scopes":["iam.current-user:read"],"correlation_id":"` + rec.Header().Get(RequestIDHeader) + `"}`
				}
				// The line after its time.
				if got := "{" + string(l[bytes.Index(l, []byte(`"level"`)):]); got != want {
					t.Errorf("auth_event\n got %s\nwant %s", got, want)
				}
			}
		})
	}
}
