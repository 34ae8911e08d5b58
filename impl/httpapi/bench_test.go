package httpapi_test

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/observe"
	"github.com/onbehalf/onbehalf/tests/bench/bare"
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
// validation, auth and scope check, the upstream call, problem-ready handling,
// correlation id and the JSON request log) against a bare net/http handler
// (tests/bench/bare) giving the same answer from the same upstream answer. The stack's own cost
// is the difference between the two.
func BenchmarkStack(b *testing.B) {
	b.Run("onbehalf", func(b *testing.B) {
		up, host, token := benchSetup(b)
		clients, err := databricks.New(databricks.Options{Host: host, Transport: up}, databricks.ServicePrincipal{})
		if err != nil {
			b.Fatal(err)
		}
		// Wired as cmd/server wires it: the production logger (every line
		// formatted in full, then discarded) and the metrics.
		log := observe.NewLogger(io.Discard, slog.LevelInfo)
		metrics, err := observe.NewMetrics(prometheus.NewRegistry(), observe.MetricsOptions{PerUser: true})
		if err != nil {
			b.Fatal(err)
		}
		h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log),
			Observers: []observe.RequestObserver{metrics}})
		if err != nil {
			b.Fatal(err)
		}
		serve(b, metrics.Track(h), token)
	})
	b.Run("bare", func(b *testing.B) {
		up, host, token := benchSetup(b)
		serve(b, bare.Handler(host, &http.Client{Transport: up}), token)
	})
}
