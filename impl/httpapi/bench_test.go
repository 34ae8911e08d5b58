package httpapi_test

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
)

// replay is an in-memory upstream: the first request to each URL is served
// by the fake workspace's handler, and its answer is replayed from then on.
// Both sides of the benchmark get their upstream answer from it at the same
// (tiny) cost, so what differs between them is the stack itself.
type replay struct {
	ws      http.Handler
	mu      sync.Mutex
	answers map[string]*httptest.ResponseRecorder
}

func (r *replay) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		_ = req.Body.Close()
	}
	key := req.Method + " " + req.URL.RequestURI()
	r.mu.Lock()
	rec, ok := r.answers[key]
	if !ok {
		rec = httptest.NewRecorder()
		in := req.Clone(req.Context())
		in.Body = io.NopCloser(bytes.NewReader(body))
		r.ws.ServeHTTP(rec, in)
		r.answers[key] = rec
	}
	r.mu.Unlock()
	return &http.Response{
		StatusCode: rec.Code, Header: rec.Header().Clone(), Request: req,
		Body: io.NopCloser(bytes.NewReader(rec.Body.Bytes())), ContentLength: int64(rec.Body.Len()),
		Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
	}, nil
}

// benchSetup is the demo workspace behind a replay upstream, paged so that
// one upstream call answers a listing, and alice's token.
func benchSetup(b *testing.B) (*replay, string, string) {
	ws := fakeworkspace.Demo()
	ws.SetPaging(1000, false)
	host := "http://workspace.invalid"
	return &replay{ws: ws.Handler(), answers: map[string]*httptest.ResponseRecorder{}}, host,
		ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
}

// bareHandler is the least a handler can do to give the same answer as
// GET /api/unity-catalog/catalogs: read the header, make the one upstream
// call with the token, and turn Databricks' page into ours. No routing,
// validation, scope check, problem answers, correlation id or log line.
func bareHandler(host string, client *http.Client) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := r.Header.Get("X-Forwarded-Access-Token")
		if token == "" {
			http.Error(w, "no token", http.StatusUnauthorized)
			return
		}
		req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, host+"/api/2.1/unity-catalog/catalogs?max_results=51", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		var page struct {
			Catalogs []struct {
				Name        string `json:"name"`
				Comment     string `json:"comment"`
				Owner       string `json:"owner"`
				CatalogType string `json:"catalog_type"`
			} `json:"catalogs"`
		}
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&page) != nil {
			http.Error(w, "upstream", http.StatusBadGateway)
			return
		}
		out := api.CatalogPage{Items: make([]api.Catalog, len(page.Catalogs)), Limit: 50}
		for i, c := range page.Catalogs {
			c := c
			out.Items[i] = api.Catalog{Name: c.Name, Comment: &c.Comment, Owner: &c.Owner, CatalogType: &c.CatalogType}
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

func serve(b *testing.B, h http.Handler, token string) {
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest(http.MethodGet, "/api/unity-catalog/catalogs", nil)
		req.Header.Set("X-Forwarded-Access-Token", token)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body.Bytes())
		}
	}
}

// BenchmarkStack is the cost of our stack per request (routing, contract
// validation, auth and scope check, the SDK call, problem-ready handling,
// correlation id and the JSON request log) against a bare net/http handler
// giving the same answer from the same upstream answer. The stack's own cost
// is the difference between the two.
func BenchmarkStack(b *testing.B) {
	b.Run("onbehalf", func(b *testing.B) {
		up, host, token := benchSetup(b)
		clients, err := databricks.New(databricks.Options{Host: host, Transport: up}, databricks.ServicePrincipal{})
		if err != nil {
			b.Fatal(err)
		}
		log := slog.New(slog.NewJSONHandler(io.Discard, nil)) // formats every line, as in production
		h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log)})
		if err != nil {
			b.Fatal(err)
		}
		serve(b, h, token)
	})
	b.Run("bare", func(b *testing.B) {
		up, host, token := benchSetup(b)
		serve(b, bareHandler(host, &http.Client{Transport: up}), token)
	})
}
