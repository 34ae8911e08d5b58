package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/onbehalf/onbehalf/gen/apidocs"
	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
)

func loadDoc(t testing.TB) (*openapi3.T, routers.Router) {
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

// fullHandler is the whole server (httpapi.New) over an in-process fake
// workspace, and a token of alice with every scope.
func fullHandler(t testing.TB) (http.Handler, string) {
	t.Helper()
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	clients, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log)})
	if err != nil {
		t.Fatal(err)
	}
	return h, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
}

// request builds the case's request as a server would receive it.
func (c Case) request(token string) (*http.Request, bool) {
	u, ok := ParseTarget(c.Target)
	if !ok {
		return nil, false
	}
	var body io.Reader
	if c.Body != nil {
		body = bytes.NewReader(c.Body)
	}
	req := httptest.NewRequest(c.Method, "/", body)
	req.URL, req.RequestURI = u, c.Target
	if c.Body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Forwarded-Access-Token", token)
	for k, v := range c.Header {
		switch k {
		case "Host":
			req.Host = v
		case "Content-Length":
			req.ContentLength, _ = strconv.ParseInt(v, 10, 64)
		default:
			req.Header.Set(k, v)
		}
	}
	return req, true
}

// Check returns what is wrong with an answer to a hostile request: a 5xx
// (except the documented 503 of the Lakebase operations while Lakebase is
// not configured), an error that is not a problem+json with the request's
// correlation id, a status or body the contract does not document for the
// operation, or a token echoed back.
func check(router routers.Router, c Case, status int, header http.Header, raw []byte) error {
	var prob map[string]any
	if status >= 300 && status < 400 {
		return fmt.Errorf("redirect %d to %q: a hostile path must not send the client elsewhere", status, header.Get("Location"))
	}
	if status >= 400 {
		if ct := header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			return fmt.Errorf("status %d with Content-Type %q: %.200s", status, ct, raw)
		}
		if err := json.Unmarshal(raw, &prob); err != nil {
			return fmt.Errorf("status %d: problem is not JSON: %.200s", status, raw)
		}
		if id := header.Get("X-Request-Id"); id == "" || prob["correlation_id"] != id {
			return fmt.Errorf("problem correlation_id %v does not match X-Request-Id %q", prob["correlation_id"], id)
		}
		if int(prob["status"].(float64)) != status {
			return fmt.Errorf("problem status %v differs from HTTP %d", prob["status"], status)
		}
	}
	if status >= 500 && !(status == 503 && prob["type"] == "urn:onbehalf:problem:lakebase_not_configured") {
		return fmt.Errorf("5xx: %d %.300s", status, raw)
	}
	if tok := c.Header["X-Forwarded-Access-Token"]; len(tok) > 8 && strings.TrimSpace(tok) != "" && bytes.Contains(raw, []byte(strings.TrimSpace(tok))) {
		return fmt.Errorf("the answer echoes the token")
	}
	u, _ := ParseTarget(c.Target)
	probe, _ := http.NewRequest(c.Method, "http://localhost"+u.RequestURI(), nil)
	route, params, err := findRoute(router, probe)
	if prob["type"] == "urn:onbehalf:problem:no_such_path" || prob["type"] == "urn:onbehalf:problem:no_such_operation" {
		// The server found no operation (an empty path parameter makes
		// another path); a 404 says so.
		err = routers.ErrPathNotFound
	}
	if err != nil {
		if status != 404 && status != 405 && status != 400 {
			return fmt.Errorf("no operation for this request, yet status %d", status)
		}
		return nil
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(raw)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		return fmt.Errorf("status %d does not match the contract: %.300v", status, err)
	}
	return nil
}

// The sweep: every hostile request generated from the contract, through the
// whole handler, gets a documented 4xx problem (or a documented success for
// the harmless ones), never a 5xx.
func TestHostileSweepFullHandler(t *testing.T) {
	doc, router := loadDoc(t)
	h, token := fullHandler(t)
	cases := Cases(doc)
	if len(cases) < 500 {
		t.Fatalf("only %d cases generated: the generator lost operations", len(cases))
	}
	var sent, failed int
	statuses := map[int]int{}
	for _, c := range cases {
		req, ok := c.request(token)
		if !ok {
			continue // no HTTP server reads this target; the e2e sweep sends it raw
		}
		sent++
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		statuses[rec.Code]++
		if err := check(router, c, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
			failed++
			if failed <= 40 {
				t.Errorf("%s %s [%s]: %v", c.Method, trim(c.Target), c.Name, err)
			}
		}
	}
	t.Logf("%d hostile requests sent (%d generated), %d failed; answers by status: %v", sent, len(cases), failed, statuses)
	if statuses[400] < len(cases)/2 {
		t.Errorf("only %d answers were 400: the cases do not reach the validator", statuses[400])
	}
}

// findRoute is router.FindRoute, which panics on methods OpenAPI does not
// know (PROPFIND): those have no operation.
func findRoute(router routers.Router, r *http.Request) (*routers.Route, map[string]string, error) {
	switch r.Method {
	case "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT":
		return router.FindRoute(r)
	}
	return nil, nil, routers.ErrMethodNotAllowed
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
