package observe

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/observe"
)

// TestEveryScenarioLogsItsDecision: every log line is JSON; each request
// writes exactly one request line and, when it is an API operation that
// reached authentication, exactly one auth_event line with the expected
// outcome, and every line of the request (retries included) carries the
// correlation id the client got back.
func TestEveryScenarioLogsItsDecision(t *testing.T) {
	e := newEnv(t, true)
	for _, s := range scenarios(e) {
		t.Run(s.name, func(t *testing.T) {
			before := len(e.logs.lines(t))
			a := s.run(t, e)
			id := a.correlationID()
			if id == "" {
				t.Fatal("no X-Request-Id in the answer")
			}
			lines := e.logs.lines(t)[before:]
			for _, l := range lines {
				if l["correlation_id"] != id {
					t.Errorf("line %v has correlation_id %v, want %s", l["msg"], l["correlation_id"], id)
				}
			}
			requests := withMsg(lines, "request")
			if len(requests) != 1 {
				t.Fatalf("%d request lines, want 1", len(requests))
			}
			checkRequestLine(t, requests[0], a.status)
			events := withMsg(lines, "auth_event")
			if s.decision == "" {
				if len(events) != 0 {
					t.Errorf("%d auth_event lines for a request that makes no decision", len(events))
				}
				return
			}
			if len(events) != 1 {
				t.Fatalf("%d auth_event lines, want 1", len(events))
			}
			checkAuthEvent(t, events[0], s)
			if s.fallback && s.decision == "success" {
				warned := false
				for _, l := range lines {
					warned = warned || (l["level"] == "WARN" && l["auth_method"] == "service_principal" && l["msg"] != "auth_event")
				}
				if !warned {
					t.Error("a request served by the service-principal fallback logged no warning")
				}
			}
			if got := len(withMsg(lines, "retrying Databricks call")); got != s.retries {
				t.Errorf("%d retry lines, want %d", got, s.retries)
			}
		})
	}
}

func checkRequestLine(t *testing.T, l map[string]any, status int) {
	t.Helper()
	for _, k := range []string{"method", "route", "status", "duration_ms", "correlation_id"} {
		if _, ok := l[k]; !ok {
			t.Errorf("request line lacks %s: %v", k, l)
		}
	}
	if l["status"] != float64(status) {
		t.Errorf("request line status %v, want %d", l["status"], status)
	}
}

func checkAuthEvent(t *testing.T, ev map[string]any, s scenario) {
	t.Helper()
	for _, k := range []string{"token_present", "auth_method", "user_id", "retry_attempt", "reason"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("auth_event lacks %s: %v", k, ev)
		}
	}
	outcome, reason := "success", ""
	if s.decision != "success" {
		outcome, reason = "failure", s.decision
	}
	if ev["decision"] != outcome || ev["reason"] != reason {
		t.Errorf("auth_event decision %v reason %v, want %s %q", ev["decision"], ev["reason"], outcome, reason)
	}
	if ev["retry_attempt"] != float64(s.retries) {
		t.Errorf("auth_event retry_attempt %v, want %d", ev["retry_attempt"], s.retries)
	}
	wantPresent := s.token != ""
	if ev["token_present"] != wantPresent {
		t.Errorf("auth_event token_present %v, want %v", ev["token_present"], wantPresent)
	}
	wantMethod := "obo"
	switch {
	case s.fallback && s.decision == "success":
		wantMethod = "service_principal"
	case s.token == "":
		wantMethod = "none"
	}
	if s.decision == "invalid_token" {
		wantMethod = "none"
	}
	if ev["auth_method"] != wantMethod {
		t.Errorf("auth_event auth_method %v, want %s", ev["auth_method"], wantMethod)
	}
	// A header token that was well-formed went through the scope check, and
	// the same line holds what the check found.
	if s.token == "" || s.decision == "invalid_token" {
		return
	}
	for _, k := range []string{"token_is_jwt", "scopes", "required_scopes"} {
		if _, ok := ev[k]; !ok {
			t.Errorf("auth_event lacks %s: %v", k, ev)
		}
	}
	if ev["token_length"] != float64(len(s.token)) {
		t.Errorf("auth_event token_length %v, want %d", ev["token_length"], len(s.token))
	}
	if scopes, _ := ev["scopes"].([]any); ev["token_is_jwt"] == true && len(scopes) == 0 {
		t.Errorf("auth_event of a JWT with no scopes: %v", ev)
	}
	refused := s.decision == "missing_scope"
	_, listed := ev["missing_scopes"]
	if ev["required_present"] != !refused || listed != refused {
		t.Errorf("auth_event required_present %v, missing_scopes %v, for decision %s", ev["required_present"], ev["missing_scopes"], s.decision)
	}
}

// TestRequestAndAuthLinesNameTheUser: once the user is identified, the
// request line and the auth_event line carry user_id (once, not twice) and
// auth_method.
func TestRequestAndAuthLinesNameTheUser(t *testing.T) {
	e := newEnv(t, true)
	a := send(e.strict, "GET", "/api/user/me", "", e.alice, nil)
	if a.status != http.StatusOK {
		t.Fatalf("status %d", a.status)
	}
	lines := linesOf(e.logs.lines(t), a.correlationID())
	for _, msg := range []string{"request", "auth_event"} {
		got := withMsg(lines, msg)
		if len(got) != 1 {
			t.Fatalf("%d %s lines", len(got), msg)
		}
		if got[0]["user_id"] != fakeworkspace.Alice || got[0]["auth_method"] != "obo" {
			t.Errorf("%s line: user_id %v auth_method %v", msg, got[0]["user_id"], got[0]["auth_method"])
		}
		if got[0]["route"] != nil && got[0]["route"] != "GET /api/user/me" {
			t.Errorf("%s line: route %v", msg, got[0]["route"])
		}
	}
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Count(line, `"user_id"`) > 1 {
			t.Errorf("user_id twice on one line: %s", line)
		}
	}
}

// TestIncomingRequestIDIsKeptWhenWellFormed: the proxy's X-Request-Id is
// the correlation id; a malformed one is replaced.
func TestIncomingRequestIDIsKeptWhenWellFormed(t *testing.T) {
	e := newEnv(t, true)
	good := "3f2b6c1e-8a4d-4e0b-9c71-2d5f6a7b8c9d"
	a := send(e.strict, "GET", "/api/user/me", "", e.alice, http.Header{observe.RequestIDHeader: {good}})
	if a.correlationID() != good {
		t.Errorf("X-Request-Id %q, want the incoming %q", a.correlationID(), good)
	}
	if len(linesOf(e.logs.lines(t), good)) < 2 {
		t.Errorf("the incoming id is not on the request's log lines")
	}
	for _, bad := range []string{"short", "has space in it", "line\nbreak-injected-id", string(make([]byte, 200)), strings.Repeat("a", 129)} {
		a := send(e.strict, "GET", "/healthz", "", "", http.Header{observe.RequestIDHeader: {bad}})
		if id := a.correlationID(); id == bad || id == "" {
			t.Errorf("malformed X-Request-Id %.40q kept as %.40q", bad, id)
		}
	}
	longest := strings.Repeat("a", 128)
	if id := send(e.strict, "GET", "/healthz", "", "", http.Header{observe.RequestIDHeader: {longest}}).correlationID(); id != longest {
		t.Errorf("a well-formed X-Request-Id of 128 characters replaced by %q", id)
	}
}

// TestConcurrentRequestsHaveTheirOwnCorrelationIDs: five concurrent
// requests with the same token get five different ids, and every line of
// each request, the retry line of the one that hits a 503 included, carries
// that request's id and no other's.
func TestConcurrentRequestsHaveTheirOwnCorrelationIDs(t *testing.T) {
	e := newEnv(t, true)
	e.ws.InjectFault(fakeworkspace.Fault{Path: mePath, Token: e.alice, Status: 503, Count: 1})
	t.Cleanup(e.ws.ClearFaults)
	const n = 5
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[i] = send(e.strict, "GET", "/api/user/me", "", e.alice, nil)
		}()
	}
	wg.Wait()

	lines := e.logs.lines(t)
	ids := map[string]bool{}
	retries := 0
	for i, a := range answers {
		if a.status != http.StatusOK {
			t.Fatalf("request %d: status %d", i, a.status)
		}
		id := a.correlationID()
		if ids[id] {
			t.Fatalf("correlation id %s shared by two requests", id)
		}
		ids[id] = true
		mine := linesOf(lines, id)
		if len(withMsg(mine, "request")) != 1 || len(withMsg(mine, "auth_event")) != 1 {
			t.Errorf("request %d (%s): %d lines, want its request and auth_event lines", i, id, len(mine))
		}
		retries += len(withMsg(mine, "retrying Databricks call"))
	}
	if retries != 1 {
		t.Errorf("%d retry lines under the requests' ids, want 1", retries)
	}
	for _, l := range lines {
		if id, _ := l["correlation_id"].(string); !ids[id] {
			t.Errorf("line %v has correlation id %q of no request", l["msg"], id)
		}
	}
}
