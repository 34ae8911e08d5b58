package hostile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/onbehalf/onbehalf/gen/apidocs"
)

// Contract loads the bundled contract and a router over it, to generate
// cases from and to check answers against.
func Contract() (*openapi3.T, routers.Router, error) {
	doc, err := openapi3.NewLoader().LoadFromData(apidocs.OpenAPI)
	if err != nil {
		return nil, nil, err
	}
	doc.Servers = openapi3.Servers{{URL: "http://localhost"}}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		return nil, nil, err
	}
	return doc, router, nil
}

// Check returns what is wrong with an answer to a hostile request: a 5xx
// (except the documented 503 of the Lakebase operations while Lakebase is
// not configured), an error that is not a problem+json with the request's
// correlation id, a status or body the contract does not document for the
// operation, a success to a case that must be Refused, or a token echoed
// back.
func Check(router routers.Router, c Case, status int, header http.Header, raw []byte) error {
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
	if status >= 500 {
		return fmt.Errorf("5xx: %d %.300s", status, raw)
	}
	if c.Refused && status < 400 {
		return fmt.Errorf("status %d: the request must be refused: %.300s", status, raw)
	}
	if tok := c.Header["X-Forwarded-Access-Token"]; len(tok) > 8 && strings.TrimSpace(tok) != "" && bytes.Contains(raw, []byte(strings.TrimSpace(tok))) {
		return fmt.Errorf("the answer echoes the token")
	}
	u, _ := c.URL()
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

// findRoute is router.FindRoute, which panics on methods OpenAPI does not
// know (PROPFIND): those have no operation.
func findRoute(router routers.Router, r *http.Request) (*routers.Route, map[string]string, error) {
	switch r.Method {
	case "GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE", "CONNECT":
		return router.FindRoute(r)
	}
	return nil, nil, routers.ErrMethodNotAllowed
}
