package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

var fuzzMethods = []string{"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"}

// FuzzRequestPipeline sends fuzzed methods, paths, queries, bodies and
// tokens through the whole handler (routing, validation, auth, scope check,
// handlers, problem answers) over the fake workspace. Whatever arrives, the
// answer is never a 5xx nor a redirect, and every error is a
// problem+json carrying the request's correlation id.
func FuzzRequestPipeline(f *testing.F) {
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	f.Cleanup(srv.Close)
	clients, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		f.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	store, _ := lakebasetest.NewStore(f)
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log), Store: store})
	if err != nil {
		f.Fatal(err)
	}
	tokens := []string{
		ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...),
		ws.IssueToken(fakeworkspace.Bob, fakeworkspace.DefaultScopes...),
		"", "dapi-unknown", "a.b.c",
	}

	f.Add(uint8(0), "/api/user/me", "", []byte(nil), uint8(0))
	f.Add(uint8(0), "/api/unity-catalog/catalogs", "limit=2&offset=1", []byte(nil), uint8(0))
	f.Add(uint8(0), "/api/unity-catalog/catalogs/sales/schemas/orders/tables", "limit=0", []byte(nil), uint8(1))
	f.Add(uint8(1), "/api/model-serving/endpoints/agent-chat/invocations", "", []byte(`{"input":[{"role":"user","content":"hi"}]}`), uint8(0))
	f.Add(uint8(1), "/api/model-serving/endpoints/agent-chat/invocations", "", []byte(`{"messages":[]}`), uint8(0))
	f.Add(uint8(2), "/api/preferences/theme", "", []byte(`{"value":{"a":[1,2]}}`), uint8(0))
	f.Add(uint8(3), "/api/preferences/%2e%2e", "", []byte(nil), uint8(2))
	f.Add(uint8(0), "/api/unity-catalog/catalogs/../schemas", "offset=-1", []byte("\xff\xfe"), uint8(3))
	f.Add(uint8(4), "/api/user/me", "x=%zz", []byte("{"), uint8(4))
	f.Fuzz(func(t *testing.T, method uint8, path, query string, body []byte, token uint8) {
		target := path
		if !strings.HasPrefix(target, "/") {
			target = "/" + target
		}
		if query != "" {
			target += "?" + query
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			t.Skip() // net/http refuses such a request line before any handler
		}
		req := httptest.NewRequest(fuzzMethods[int(method)%len(fuzzMethods)], "/", bytes.NewReader(body))
		req.URL, req.RequestURI = u, target
		req.Header.Set("Content-Type", "application/json")
		if tok := tokens[int(token)%len(tokens)]; tok != "" {
			req.Header.Set("X-Forwarded-Access-Token", tok)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)

		status := rec.Code
		if status >= 300 && status < 400 {
			t.Fatalf("%s %q: redirect %d", req.Method, target, status)
		}
		if status < 400 {
			return
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("%s %q: %d with Content-Type %q", req.Method, target, status, ct)
		}
		var prob struct {
			Type          string `json:"type"`
			Status        int    `json:"status"`
			CorrelationID string `json:"correlation_id"`
		}
		if req.Method != http.MethodHead {
			if err := json.Unmarshal(rec.Body.Bytes(), &prob); err != nil {
				t.Fatalf("%s %q: problem is not JSON: %q", req.Method, target, rec.Body.Bytes())
			}
			if prob.Status != status || prob.CorrelationID == "" || prob.CorrelationID != rec.Header().Get("X-Request-Id") {
				t.Fatalf("%s %q: problem %+v does not match status %d / X-Request-Id", req.Method, target, prob, status)
			}
		}
		if status >= 500 {
			t.Fatalf("%s %q body %q: %d %s", req.Method, target, body, status, rec.Body.Bytes())
		}
	})
}
