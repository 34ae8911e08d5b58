// Package observe holds the observability tests: the whole server (httpapi
// over the fake workspace, with the real metrics, logger and retry observer)
// is driven through every scenario of the table in scenarios_test.go, and
// its logs, its /metrics output and its answers are checked: parsed, never
// string-matched, and searched for every secret the run knows.
package observe

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	sdklogger "github.com/databricks/databricks-sdk-go/logger"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
	"github.com/onbehalf/onbehalf/impl/observe"
)

// env is a fake workspace with a service principal whose client secret is
// known, tokens of its users, and two servers over it sharing one log: the
// production one (no fallback) and a local-development one with the
// service-principal fallback.
type env struct {
	ws   *fakeworkspace.Workspace
	logs *logBuffer

	strict, fallback http.Handler
	// lakebase is the production server with a store that logs in as the
	// service principal with a fresh Lakebase credential per connection,
	// reached through db, a proxy the scenarios can cut.
	lakebase http.Handler
	db       *lakebasetest.Proxy

	clientSecret                           string
	alice, bob, aliceNoServing, aliceNoIDs string
	// unknown is a token the workspace never issued; malformed is alice's
	// token sent with a "Bearer " prefix, which is not a bare token.
	unknown, malformed string
	// extraSecrets are more secrets the no-secret check looks for (a
	// scenario's database password, say).
	extraSecrets []string
}

func newEnv(t *testing.T, perUser bool) *env {
	t.Helper()
	ws := fakeworkspace.Demo()
	secret := "spsecret" + randomHex(20)
	ws.SetServicePrincipal(fakeworkspace.ServicePrincipal{ID: "7000000000000001", ClientID: fakeworkspace.DemoClientID,
		ClientSecret: secret, DisplayName: "onbehalf-app"})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)

	logs := &logBuffer{}
	log := observe.NewLogger(logs, slog.LevelDebug)
	// The SDK logs through its package variable; route it into the captured
	// log for the test, as cmd/server does for the process.
	prev := sdklogger.DefaultLogger
	sdklogger.DefaultLogger = observe.SDKLogger(log)
	t.Cleanup(func() { sdklogger.DefaultLogger = prev })

	alice := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	e := &env{
		ws: ws, logs: logs, clientSecret: secret,
		alice:          alice,
		bob:            ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...),
		aliceNoServing: ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...),
		aliceNoIDs:     ws.IssueToken(fakeworkspace.Alice, fakeworkspace.ScopeCatalogs),
		unknown:        "dapi" + randomHex(16),
		malformed:      "Bearer " + alice,
	}
	sp := databricks.ServicePrincipal{ClientID: fakeworkspace.DemoClientID, ClientSecret: secret}
	e.strict = newServer(t, srv.URL, sp, log, false, perUser, nil)
	e.fallback = newServer(t, srv.URL, sp, log, true, perUser, nil)
	e.lakebase = newServer(t, srv.URL, sp, log, false, perUser, func(app *databricks.AppClient) *lakebase.Store {
		store, proxy := newStore(t, ws, app)
		e.db = proxy
		return store
	})
	return e
}

// newStore opens a store on a fresh, migrated database as cmd/server does
// with the PG* variables: new connections log in with the credential the
// service principal asks the fake workspace for, and the proxy checks it
// with the fake as Lakebase would (the test Postgres trusts its clients).
func newStore(t *testing.T, ws *fakeworkspace.Workspace, app *databricks.AppClient) (*lakebase.Store, *lakebasetest.Proxy) {
	t.Helper()
	dbURL := lakebasetest.NewDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := lakebasetest.NewProxy(t, u.Host)
	proxy.RequirePassword(ws.ValidDatabaseCredential)
	via, err := url.Parse(proxy.Through(t, dbURL))
	if err != nil {
		t.Fatal(err)
	}
	store := lakebasetest.OpenStore(t, lakebase.Connection{
		Host: via.Hostname(), Port: via.Port(), Database: strings.TrimPrefix(u.Path, "/"), User: u.User.Username(), SSLMode: "disable",
		Password: func(ctx context.Context) (string, time.Time, error) {
			cred, err := app.DatabaseCredential(ctx, fakeworkspace.DemoDatabaseInstance)
			return cred.Token, cred.ExpiresAt, err
		},
		Timeout: 2 * time.Second,
	})
	return store, proxy
}

// newServer wires a server as cmd/server does: its own registry, the
// metrics as request observer and /metrics handler, the retry observer.
func newServer(t *testing.T, host string, sp databricks.ServicePrincipal, log *slog.Logger, fallback, perUser bool,
	openStore func(*databricks.AppClient) *lakebase.Store) http.Handler {
	t.Helper()
	metrics, err := observe.NewMetrics(prometheus.NewRegistry(), observe.MetricsOptions{PerUser: perUser})
	if err != nil {
		t.Fatal(err)
	}
	retry := databricks.DefaultRetryPolicy()
	retry.AttemptTimeout = 300 * time.Millisecond // the timeout scenario is quick
	clients, err := databricks.New(databricks.Options{Host: host, Retry: retry, OnRetry: observe.OnRetry(log, metrics)}, sp)
	if err != nil {
		t.Fatal(err)
	}
	cfg := auth.Config{}
	if fallback {
		cfg.ServicePrincipalToken = clients.App.Token
	}
	var store *lakebase.Store
	if openStore != nil {
		store = openStore(clients.App)
	}
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(cfg, log), Store: store,
		Metrics: metrics.Handler(), Observers: []observe.RequestObserver{metrics}})
	if err != nil {
		t.Fatal(err)
	}
	return metrics.Track(h)
}

// answer is what a client saw.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// correlationID is the id the server returned for the request.
func (a answer) correlationID() string { return a.header.Get(observe.RequestIDHeader) }

// send serves one request through h.
func send(h http.Handler, method, path, body, token string, header http.Header) answer {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	for k, vs := range header {
		req.Header[k] = vs
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set(auth.TokenHeader, token)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return answer{status: rec.Code, header: rec.Result().Header, body: rec.Body.Bytes()}
}

// scrape reads GET /metrics of h with the Prometheus text parser.
func scrape(t *testing.T, h http.Handler) (map[string]*dto.MetricFamily, []byte) {
	t.Helper()
	a := send(h, "GET", "/metrics", "", "", nil)
	if a.status != http.StatusOK {
		t.Fatalf("GET /metrics: %d %s", a.status, a.body)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(a.body))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams, a.body
}

// value returns the value of the counter (or the sample count of the
// histogram) of family name whose labels include want; 0 when none has.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	total := 0.0
	for _, m := range f.GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			total += m.GetCounter().GetValue()
		case m.Histogram != nil:
			total += float64(m.GetHistogram().GetSampleCount())
		case m.Gauge != nil:
			total += m.GetGauge().GetValue()
		}
	}
	return total
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range m.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

// labelNames returns the sorted label names of a family's first metric.
func labelNames(f *dto.MetricFamily) []string {
	var names []string
	if len(f.GetMetric()) == 0 {
		return nil
	}
	for _, l := range f.GetMetric()[0].GetLabel() {
		names = append(names, l.GetName())
	}
	return names
}

// logBuffer collects the log; the server writes from many goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// lines parses every log line as a JSON object; a line that is not one fails the test.
func (b *logBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, raw := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if raw == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("log line is not JSON: %v: %.300s", err, raw)
		}
		out = append(out, m)
	}
	return out
}

// linesOf returns the lines of one correlation id.
func linesOf(lines []map[string]any, id string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["correlation_id"] == id {
			out = append(out, l)
		}
	}
	return out
}

// withMsg returns the lines whose msg is msg.
func withMsg(lines []map[string]any, msg string) []map[string]any {
	var out []map[string]any
	for _, l := range lines {
		if l["msg"] == msg {
			out = append(out, l)
		}
	}
	return out
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
