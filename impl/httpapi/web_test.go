package httpapi_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/web"
)

func webServer(t *testing.T, site fstest.MapFS) *httptest.Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	d := httpapi.Deps{Log: log, Auth: auth.New(auth.Config{}, log)}
	if site != nil {
		d.Web = site
	}
	h, err := httpapi.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// noRedirects is a client that reads a redirect as the answer it is: the
// server sends none.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func fetch(t *testing.T, method, url string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, nil)
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// TestWebServesTheFrontEnd: files by name, index.html for the app's own
// routes, and problem answers for API paths, missing files and other methods.
func TestWebServesTheFrontEnd(t *testing.T) {
	const index = `<!doctype html><div id="root"></div>`
	srv := webServer(t, fstest.MapFS{
		"index.html":         {Data: []byte(index)},
		"assets/app-1a2b.js": {Data: []byte("console.log(1)")},
	})
	for _, tc := range []struct {
		name, method, path string
		status             int
		contentType, body  string
	}{
		{"root is the app", "GET", "/", 200, "text/html", index},
		{"an app route is the app", "GET", "/catalogs/main", 200, "text/html", index},
		{"an asset by name", "GET", "/assets/app-1a2b.js", 200, "javascript", "console.log(1)"},
		{"a missing asset is a 404 problem", "GET", "/assets/gone-9z.js", 404, "application/problem+json", "no_such_path"},
		{"an unknown API path keeps its problem", "GET", "/api/nothing", 404, "application/problem+json", "/api/nothing"},
		{"/api itself is not the app", "GET", "/api", 404, "application/problem+json", "no_such_path"},
		{"a /_ path is not the app", "GET", "/_demo/users", 404, "application/problem+json", "no_such_path"},
		{"a POST is not the app", "POST", "/", 404, "application/problem+json", "no_such_path"},
		{"the docs stay", "GET", "/docs", 200, "text/html", "swagger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := fetch(t, tc.method, srv.URL+tc.path)
			if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(body, tc.body) {
				t.Fatalf("%s %s: %d %s %q; want %d %s containing %q", tc.method, tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status, tc.contentType, tc.body)
			}
		})
	}
	if resp, _ := fetch(t, "GET", srv.URL+"/assets/app-1a2b.js"); !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("hashed asset Cache-Control %q, want immutable", resp.Header.Get("Cache-Control"))
	}
	if resp, _ := fetch(t, "GET", srv.URL+"/"); resp.Header.Get("Cache-Control") != "no-cache" {
		t.Errorf("index.html Cache-Control %q, want no-cache (it names the current assets)", resp.Header.Get("Cache-Control"))
	}
}

// TestIndexSaysHowLongTheServerMayTake: index.html carries the server's own
// longest request and invocation, in its head, for the front end to wait
// as long; without them it is served as built.
func TestIndexSaysHowLongTheServerMayTake(t *testing.T) {
	const index = `<!doctype html><html><head><title>onbehalf</title></head><body></body></html>`
	site := fstest.MapFS{"index.html": {Data: []byte(index)}}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	h, err := httpapi.New(httpapi.Deps{Log: log, Auth: auth.New(auth.Config{}, log), Web: site,
		Longest: httpapi.Longest{Request: 70 * time.Second, Invocation: 5 * time.Minute}})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	for _, path := range []string{"/", "/serving/agent-chat"} {
		_, body := fetch(t, "GET", srv.URL+path)
		want := `<meta name="onbehalf:longest-request-ms" content="70000"><meta name="onbehalf:longest-invocation-ms" content="300000"></head>`
		if !strings.Contains(body, want) {
			t.Errorf("GET %s: %s\nwant the head to end with %s", path, body, want)
		}
	}
	if _, body := fetch(t, "GET", webServer(t, site).URL+"/"); body != index {
		t.Errorf("without Longest: %s, want index.html as built", body)
	}
}

// TestWebAbsent: without Deps.Web, / is a 404 problem as before.
func TestWebAbsent(t *testing.T) {
	srv := webServer(t, nil)
	resp, body := fetch(t, "GET", srv.URL+"/")
	if resp.StatusCode != 404 || !strings.Contains(body, "no_such_path") {
		t.Fatalf("GET / without a front end: %d %s", resp.StatusCode, body)
	}
}

// TestWebRefusesAPathThatIsNotUTF8: the embedded front end (an embed.FS,
// which answers ErrInvalid rather than ErrNotExist for a name that is not
// UTF-8) gives such a page path the 404 problem of any missing file, never
// a 500 with an ERROR log line.
func TestWebRefusesAPathThatIsNotUTF8(t *testing.T) {
	logs := &httpapi.SyncBuffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	h, err := httpapi.New(httpapi.Deps{Log: log, Auth: auth.New(auth.Config{}, log), Web: web.Dist()})
	if err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"/%FF", "/assets/%C0%AF", "/settings/%FE", "/assets/%FF.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", target, nil))
		if rec.Code != 404 || rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(rec.Body.String(), "no_such_path") {
			t.Errorf("GET %s: %d %s %s, want a 404 no_such_path problem", target, rec.Code, rec.Header().Get("Content-Type"), rec.Body.String())
		}
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("an odd page path was logged as an error: %s", logs.String())
	}
}

// TestSwaggerUIAssets: the docs page's script, style sheet and icon are
// served; any other path under /docs/swagger-ui/ (a missing file, the
// directory, index.html, a name that is not UTF-8) is a 404 problem, with
// no listing and no redirect.
func TestSwaggerUIAssets(t *testing.T) {
	srv := webServer(t, nil)
	for _, tc := range []struct {
		path              string
		status            int
		contentType, body string
	}{
		{"/docs/swagger-ui/swagger-ui-bundle.js", 200, "javascript", "SwaggerUI"},
		{"/docs/swagger-ui/swagger-ui.css", 200, "text/css", ".swagger-ui"},
		{"/docs/swagger-ui/favicon-32x32.png", 200, "image/png", "PNG"},
		{"/docs/swagger-ui/missing.js", 404, "application/problem+json", "no_such_path"},
		{"/docs/swagger-ui/", 404, "application/problem+json", "no_such_path"},
		{"/docs/swagger-ui/index.html", 404, "application/problem+json", "no_such_path"},
		{"/docs/swagger-ui/%FF", 404, "application/problem+json", "no_such_path"},
	} {
		resp, body := fetch(t, "GET", srv.URL+tc.path)
		if resp.StatusCode != tc.status || !strings.Contains(resp.Header.Get("Content-Type"), tc.contentType) || !strings.Contains(body, tc.body) {
			t.Errorf("GET %s: %d %s %.100q; want %d %s containing %q", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, tc.status, tc.contentType, tc.body)
		}
	}
}
