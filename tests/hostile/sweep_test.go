package hostile

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

func loadDoc(t testing.TB) (*openapi3.T, routers.Router) {
	t.Helper()
	doc, router, err := Contract()
	if err != nil {
		t.Fatal(err)
	}
	return doc, router
}

// fullHandler is the whole server (httpapi.New) over an in-process fake
// workspace and a store on a database of its own, and a token of alice with
// every scope.
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
	store, _ := lakebasetest.NewStore(t)
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log), Store: store})
	if err != nil {
		t.Fatal(err)
	}
	return h, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
}

// request builds the case's request as a server would receive it.
func (c Case) request(token string) (*http.Request, bool) {
	u, ok := c.URL()
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
		if err := Check(router, c, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
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

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
