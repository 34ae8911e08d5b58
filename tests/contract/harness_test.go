// Package contract holds the contract tests: each case sends a request
// through a whole HTTP stack and checks the answer against the contract
// (status, content type, schema, with undocumented statuses failing) and
// against what the case promises.
//
// The same cases run twice: against the real server, where every one must
// pass, and against the empty server (the generated router and strict
// handler with no implementation), where every one must fail. A case that
// passes against the empty server proves nothing, and is a defect.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/gen/apidocs"
)

// contractCase is one request and what its answer must be.
type contractCase struct {
	name   string
	method string
	path   string
	body   string
	// token is sent in X-Forwarded-Access-Token when not empty.
	token string
	// noLakebase sends the request to the real server built without a
	// Lakebase store.
	noLakebase bool
	// setup runs before the request (faults, data).
	setup func(t *testing.T)
	want  int
	// check adds the case's own promises about the decoded JSON answer.
	check func(body map[string]any, resp *http.Response) error
}

// run sends the case's request to h and returns what is wrong with the
// answer, or nil.
func (c contractCase) run(t *testing.T, doc *openapi3.T, router routers.Router, h http.Handler) error {
	if c.setup != nil {
		c.setup(t)
	}
	var body io.Reader
	if c.body != "" {
		body = strings.NewReader(c.body)
	}
	req := httptest.NewRequest(c.method, c.path, body)
	if c.body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("X-Forwarded-Access-Token", c.token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	resp := rec.Result()
	raw, _ := io.ReadAll(resp.Body)

	if resp.StatusCode != c.want {
		return fmt.Errorf("status %d, want %d (body %.300s)", resp.StatusCode, c.want, raw)
	}
	if err := validateResponse(router, req, resp, raw); err != nil {
		return fmt.Errorf("answer does not match the contract: %v", err)
	}
	var decoded map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &decoded); err != nil {
			return fmt.Errorf("answer is not a JSON object: %v", err)
		}
	}
	if resp.StatusCode >= 400 {
		if err := checkProblem(decoded, resp); err != nil {
			return err
		}
	}
	if c.check != nil {
		return c.check(decoded, resp)
	}
	return nil
}

// validateResponse checks the answer against the operation's documented
// responses; a status the contract does not document fails.
func validateResponse(router routers.Router, req *http.Request, resp *http.Response, raw []byte) error {
	// Route a copy: the validator looks at the path and method only.
	probe, _ := http.NewRequest(req.Method, "http://localhost"+req.URL.RequestURI(), nil)
	route, params, err := router.FindRoute(probe)
	if err != nil {
		return fmt.Errorf("no contract operation for %s %s: %v", req.Method, req.URL.Path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	return openapi3filter.ValidateResponse(context.Background(), in)
}

// checkProblem checks what every error answer promises beyond its schema.
func checkProblem(p map[string]any, resp *http.Response) error {
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		return fmt.Errorf("error answer has Content-Type %q", ct)
	}
	id, _ := p["correlation_id"].(string)
	if id == "" || id != resp.Header.Get("X-Request-Id") {
		return fmt.Errorf("problem correlation_id %q does not match X-Request-Id %q", id, resp.Header.Get("X-Request-Id"))
	}
	if status, _ := p["status"].(float64); int(status) != resp.StatusCode {
		return fmt.Errorf("problem status %v differs from the HTTP status %d", p["status"], resp.StatusCode)
	}
	return nil
}

func loadContract(t *testing.T) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(apidocs.OpenAPI)
	if err != nil {
		t.Fatal(err)
	}
	doc.Servers = openapi3.Servers{{URL: "http://localhost"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// emptyServer is the generated code with no implementation: the router and
// the strict handler with their default error handling, every operation
// answering "not implemented".
func emptyServer() http.Handler {
	notImplemented := func(api.StrictHandlerFunc, string) api.StrictHandlerFunc {
		return func(context.Context, http.ResponseWriter, *http.Request, any) (any, error) {
			return nil, fmt.Errorf("not implemented")
		}
	}
	return api.Handler(api.NewStrictHandler(nil, []api.StrictMiddlewareFunc{notImplemented}))
}

// field walks a decoded JSON answer: field(m, "user", "email").
func field(v any, path ...string) any {
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

// names lists the "name" of each item of a page.
func names(page map[string]any) []string {
	items, _ := page["items"].([]any)
	out := make([]string, 0, len(items))
	for _, it := range items {
		if n, ok := field(it, "name").(string); ok {
			out = append(out, n)
		}
	}
	return out
}
