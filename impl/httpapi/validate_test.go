package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestValidation: a request is validated against its operation (its own
// parameters, with path parameters in the route), each bad parameter named,
// and one that matches no operation says whether the path or only the
// method is unknown.
func TestValidation(t *testing.T) {
	srv := webServer(t, nil)
	for _, tc := range []struct {
		name, method, path string
		status             int
		says               []string
	}{
		{"valid: on to authentication", "GET", "/api/unity-catalog/catalogs?limit=5", 401, []string{"missing_token"}},
		{"a bad query parameter", "GET", "/api/unity-catalog/catalogs?limit=abc", 400, []string{"invalid_request", "query limit"}},
		{"out of range, with a path parameter", "GET", "/api/unity-catalog/catalogs/main/schemas/default/tables?limit=101&offset=-1", 400,
			[]string{"invalid_request", "query limit", "query offset"}},
		{"valid, with path parameters", "GET", "/api/unity-catalog/catalogs/main/schemas/default/tables?offset=3", 401, []string{"missing_token"}},
		{"a path with no operation", "GET", "/api/unity-catalog/nothing", 404, []string{"no_such_path"}},
		{"a method the path does not have", "DELETE", "/api/unity-catalog/catalogs", 404, []string{"no_such_operation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := fetch(t, tc.method, srv.URL+tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
			}
			for _, s := range tc.says {
				if !strings.Contains(body, s) {
					t.Errorf("%s %s: %s, want it to say %q", tc.method, tc.path, body, s)
				}
			}
		})
	}
}

// send is a request with a body of the given type through the whole stack,
// as alice, answered with its status, decoded problem and raw body.
func send(t *testing.T, s *stack, method, path, contentType, body string) (int, map[string]any, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("X-Forwarded-Access-Token", s.alice)
	rec := httptest.NewRecorder()
	s.h.ServeHTTP(rec, req)
	var out map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &out)
	return rec.Code, out, rec.Body.String()
}

// badMessages is an invocation body of n messages, each breaking two rules
// (an unknown role, no content), or three when padded with pad bytes of a
// field that messages do not have.
func badMessages(n, pad int) string {
	item := `{"role":"x"}`
	if pad > 0 {
		item = `{"role":"x","note":"` + strings.Repeat("p", pad) + `"}`
	}
	return `{"input":[` + strings.TrimSuffix(strings.Repeat(item+",", n), ",") + `]}`
}

// TestValidationAnswers: a 400 says what is wrong in its errors list, for
// a body sent as another type than JSON and a query parameter given twice
// as for any other fault; the list is bounded, and a large body's is its
// first error only (collecting them all cost hundreds of megabytes).
func TestValidationAnswers(t *testing.T) {
	s := newStack(t, nil)
	const invoke = "/api/model-serving/endpoints/agent-chat/invocations"
	type field struct{ location, name string }
	for _, tc := range []struct {
		name, method, path, contentType, body string
		reason                                string
		errors                                int // how many are listed
		first                                 field
		detail                                string
	}{
		{"a body sent as form data", "PUT", "/api/preferences/theme", "application/x-www-form-urlencoded", `{"value":1}`,
			"invalid_request", 1, field{"header", "Content-Type"}, "header Content-Type"},
		{"a body sent with no type", "PUT", "/api/preferences/theme", "", `{"value":1}`,
			"invalid_request", 1, field{"header", "Content-Type"}, "header Content-Type"},
		{"a query parameter given twice", "GET", "/api/unity-catalog/catalogs?limit=5&limit=500", "", "",
			"invalid_parameter", 1, field{"query", "limit"}, "query limit"},
		{"a small body's errors, listed up to 20", "POST", invoke, "application/json", badMessages(100, 0),
			"invalid_request", 20, field{"body", "/input/0/role"}, "and 180 more"},
		{"a large body's first error", "POST", invoke, "application/json", badMessages(100, 700),
			"invalid_request", 1, field{"body", "/input/0"}, "body /input/0."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, prob, raw := send(t, s, tc.method, tc.path, tc.contentType, tc.body)
			if status != 400 || prob["type"] != "urn:onbehalf:problem:"+tc.reason {
				t.Fatalf("%d %.300s, want 400 %s", status, raw, tc.reason)
			}
			errs, _ := prob["errors"].([]any)
			if len(errs) != tc.errors {
				t.Fatalf("%d errors listed, want %d: %.300s", len(errs), tc.errors, raw)
			}
			first, _ := errs[0].(map[string]any)
			if got := (field{fmt.Sprint(first["location"]), fmt.Sprint(first["name"])}); got != tc.first {
				t.Errorf("first error %v, want %v", got, tc.first)
			}
			if d, _ := prob["detail"].(string); !strings.Contains(d, tc.detail) {
				t.Errorf("detail %q, want it to say %q", d, tc.detail)
			}
		})
	}
}

// TestValidationLogsNoValue: what a client sent in the wrong place (here a
// token, as a parameter, a preference key and an unknown body field) is
// answered with the rule it breaks and never written to the log.
func TestValidationLogsNoValue(t *testing.T) {
	s := newStack(t, nil)
	const secret = "dapi0123456789abcdef0123456789abcdef"
	for _, r := range []struct{ method, path, body string }{
		{"GET", "/api/unity-catalog/catalogs?limit=" + secret, ""},
		{"PUT", "/api/preferences/" + secret + "%20x", `{"value":1}`},
		{"POST", "/api/model-serving/endpoints/agent-chat/invocations", `{"input":[{"role":"user","content":"hi"}],"messages":"` + secret + `"}`},
	} {
		if status, _, raw := send(t, s, r.method, r.path, "application/json", r.body); status != 400 {
			t.Fatalf("%s %s: %d %.300s, want 400", r.method, r.path, status, raw)
		}
	}
	if strings.Contains(s.logs.String(), secret) {
		t.Errorf("the log holds a value the client sent: %.600s", s.logs.String())
	}
}

// TestANumberBeyondFloat64IsNamed: a number too large for the validator
// (which reads numbers as 64-bit floats) is refused with what is wrong with
// it, not with the validator's own wording.
func TestANumberBeyondFloat64IsNamed(t *testing.T) {
	s := newStack(t, nil)
	status, prob, raw := send(t, s, "PUT", "/api/preferences/theme", "application/json", `{"value":1e400}`)
	errs, _ := prob["errors"].([]any)
	if status != 400 || len(errs) != 1 {
		t.Fatalf("%d %.300s, want 400 with one error", status, raw)
	}
	first, _ := errs[0].(map[string]any)
	if msg, _ := first["message"].(string); first["name"] != "/value" || !strings.Contains(msg, "beyond what this API accepts") {
		t.Errorf("error %v, want /value named as a number out of range", first)
	}
}

// TestAKeyOfDotsAloneIsRefused: a preference key of dots alone cannot be a
// URL's path segment (`.` and `..` are the URL's own, and browsers resolve
// them away), so the contract refuses every such key, and a key with a dot
// among other characters is still a key.
func TestAKeyOfDotsAloneIsRefused(t *testing.T) {
	s := newStack(t, nil)
	for _, key := range []string{"...", "...."} {
		status, prob, raw := send(t, s, "PUT", "/api/preferences/"+key, "application/json", `{"value":1}`)
		errs, _ := prob["errors"].([]any)
		if status != 400 || len(errs) != 1 {
			t.Fatalf("%s: %d %.300s, want 400 naming the key", key, status, raw)
		}
		if first, _ := errs[0].(map[string]any); first["location"] != "path" || first["name"] != "key" {
			t.Errorf("%s: error %v, want the path's key", key, first)
		}
	}
	for _, key := range []string{".hidden", "a.b", "ui:theme", "x..y"} {
		// Past validation, to the store (none here: 503 not configured).
		if status, prob, raw := send(t, s, "PUT", "/api/preferences/"+key, "application/json", `{"value":1}`); status == 400 {
			t.Errorf("%s: %d %v %.200s, want it taken as a key", key, status, prob["type"], raw)
		}
	}
}

// TestABodyIsOneJSONValue: a JSON value followed by anything but white
// space is not a JSON body, and is refused before any operation runs,
// though the value alone is valid: a preference is not stored, an agent not
// invoked.
func TestABodyIsOneJSONValue(t *testing.T) {
	s := newStack(t, nil)
	const invoke = "/api/model-serving/endpoints/agent-chat/invocations"
	for _, r := range []struct{ path, body string }{
		{"/api/preferences/theme", `{"value":1} not json {{{`},
		{"/api/preferences/theme", `{"value":1}{"value":2}`},
		{"/api/preferences/theme", `{"value":1}]`},
		{invoke, `{"input":[{"role":"user","content":"hi"}]} garbage`},
	} {
		method := "PUT"
		if r.path == invoke {
			method = "POST"
		}
		status, prob, raw := send(t, s, method, r.path, "application/json", r.body)
		errs, _ := prob["errors"].([]any)
		if status != 400 || prob["type"] != "urn:onbehalf:problem:invalid_request" || len(errs) != 1 {
			t.Errorf("%s %q: %d %.300s, want 400 invalid_request with one error", r.path, r.body, status, raw)
			continue
		}
		if first, _ := errs[0].(map[string]any); first["name"] != "/" || !strings.Contains(fmt.Sprint(first["message"]), "not valid JSON") {
			t.Errorf("%s %q: error %v, want the body named as not valid JSON", r.path, r.body, first)
		}
	}
	// White space after the value is JSON's own.
	if status, _, raw := send(t, s, "POST", invoke, "application/json", "{\"input\":[{\"role\":\"user\",\"content\":\"hi\"}]} \r\n\t"); status != 200 {
		t.Errorf("a body with white space after it: %d %.300s, want 200", status, raw)
	}
}

// TestJSONHoweverSpelled: a media type is case-insensitive and may have
// spaces around its ';' (RFC 9110), so each spelling of application/json
// is a JSON body; a body of another type is refused for its type, and one
// that is missing for its absence.
func TestJSONHoweverSpelled(t *testing.T) {
	s := newStack(t, nil)
	const invoke = "/api/model-serving/endpoints/agent-chat/invocations"
	const body = `{"input":[{"role":"user","content":"hi"}]}`
	for _, ct := range []string{"application/json", "APPLICATION/JSON", "Application/Json; charset=UTF-8", "application/json ; charset=utf-8", "application/json;charset=utf-8"} {
		if status, _, raw := send(t, s, "POST", invoke, ct, body); status != 200 {
			t.Errorf("Content-Type %q: %d %.300s, want the body taken as JSON", ct, status, raw)
		}
	}
	for _, tc := range []struct{ contentType, body, location, name, message string }{
		{"APPLICATION/XML", body, "header", "Content-Type", "the body must be JSON"},
		{"text/plain; charset=utf-8", body, "header", "Content-Type", "the body must be JSON"},
		{"application/json", "", "body", "/", "a request body is required"},
	} {
		status, prob, raw := send(t, s, "POST", invoke, tc.contentType, tc.body)
		errs, _ := prob["errors"].([]any)
		if status != 400 || len(errs) != 1 {
			t.Errorf("%q %q: %d %.300s, want 400 with one error", tc.contentType, tc.body, status, raw)
			continue
		}
		first, _ := errs[0].(map[string]any)
		if first["location"] != tc.location || first["name"] != tc.name || !strings.HasPrefix(fmt.Sprint(first["message"]), tc.message) {
			t.Errorf("%q %q: error %v, want %s %s: %s", tc.contentType, tc.body, first, tc.location, tc.name, tc.message)
		}
	}
}
