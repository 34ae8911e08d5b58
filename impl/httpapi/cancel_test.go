package httpapi_test

import (
	"bufio"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/observe"
)

// slowCatalogs returns the whole handler, logging at INFO to the buffer
// returned, over the demo workspace, whose catalog listing takes 2 s.
func slowCatalogs(t *testing.T) (*fakeworkspace.Workspace, http.Handler, *httpapi.SyncBuffer) {
	t.Helper()
	ws := fakeworkspace.Demo()
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.1/unity-catalog/catalogs", Delay: 2 * time.Second})
	fake := httptest.NewServer(ws.Handler())
	t.Cleanup(fake.Close)
	clients, err := databricks.New(databricks.Options{Host: fake.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	logs := &httpapi.SyncBuffer{}
	log := observe.NewLogger(logs, slog.LevelInfo)
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log)})
	if err != nil {
		t.Fatal(err)
	}
	return ws, h, logs
}

// TestAClientThatLeavesIsNoInternalError: a request whose client goes away
// while Databricks is still answering (a closed tab, a fetch the front end
// aborts) is logged and counted as 499, at INFO, never as a 500 with an
// ERROR line that would page an operator.
func TestAClientThatLeavesIsNoInternalError(t *testing.T) {
	ws, h, logs := slowCatalogs(t)

	ctx, leave := context.WithCancel(context.Background())
	time.AfterFunc(200*time.Millisecond, leave)
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/unity-catalog/catalogs", nil)
	req.Header.Set("X-Forwarded-Access-Token", ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...))
	h.ServeHTTP(httptest.NewRecorder(), req)

	lines := logs.Lines(t, "request")
	if len(lines) != 1 || lines[0]["status"] != float64(499) {
		t.Errorf("request lines %v, want one with status 499", lines)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a client that left was logged as an error: %s", logs.String())
	}
}

// TestARequestCutByShutdownIsAnswered503: a request cancelled by the
// server's own shutdown (its context's cause httpapi.ErrShuttingDown)
// ends as one whose client left would, but its client is still there: it
// is answered, logged and counted as a 503 shutting_down problem, not a 499
// nobody reads, and its authentication decision is no failure.
func TestARequestCutByShutdownIsAnswered503(t *testing.T) {
	ws, h, logs := slowCatalogs(t)

	ctx, cut := context.WithCancelCause(context.Background())
	time.AfterFunc(200*time.Millisecond, func() { cut(httpapi.ErrShuttingDown) })
	req := httptest.NewRequestWithContext(ctx, http.MethodGet, "/api/unity-catalog/catalogs", nil)
	req.Header.Set("X-Forwarded-Access-Token", ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)

	var prob map[string]any
	_ = json.Unmarshal(rec.Body.Bytes(), &prob)
	if rec.Code != http.StatusServiceUnavailable || prob["type"] != "urn:onbehalf:problem:shutting_down" {
		t.Errorf("answer %d %s, want a 503 shutting_down problem", rec.Code, rec.Body)
	}
	if lines := logs.Lines(t, "request"); len(lines) != 1 || lines[0]["status"] != float64(503) || lines[0]["reason"] != "shutting_down" {
		t.Errorf("request lines %v, want one with status 503, reason shutting_down", lines)
	}
	if ev := logs.Lines(t, "auth_event"); len(ev) != 1 || ev[0]["decision"] != "success" {
		t.Errorf("auth_event lines %v, want one success", ev)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a request cut by shutdown was logged as an error: %s", logs.String())
	}
}

// TestABodyNotSentInFull: a client that closes its connection part way
// through a request body went away, and is logged and counted as 499 at
// INFO like any other; a body the server stopped waiting for (its
// ReadTimeout) is a 400 saying so, not a body that "does not match the
// contract". Both over a real connection, as net/http reads a body.
func TestABodyNotSentInFull(t *testing.T) {
	logs := &httpapi.SyncBuffer{}
	log := observe.NewLogger(logs, slog.LevelInfo)
	h, err := httpapi.New(httpapi.Deps{Log: log, Auth: auth.New(auth.Config{}, log)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ReadTimeout = 500 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	const head = "PUT /api/preferences/theme HTTP/1.1\r\nHost: onbehalf\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
	const part = `{"value":`

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Write([]byte(head + part)); err != nil {
		t.Fatal(err)
	}
	conn.Close() // long before the ReadTimeout
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(logs.String(), `"msg":"request"`) && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
	if lines := logs.Lines(t, "request"); len(lines) != 1 || lines[0]["status"] != float64(499) || lines[0]["reason"] != "canceled" {
		t.Errorf("request lines %v, want one with status 499 and reason canceled", lines)
	}
	if strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("a client that left was logged as an error: %s", logs.String())
	}

	conn, err = net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte(head + part)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil) // past the ReadTimeout
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var prob map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&prob)
	if resp.StatusCode != 400 || prob["type"] != "urn:onbehalf:problem:body_unreadable" || prob["errors"] != nil {
		t.Errorf("a body the server stopped waiting for: %d %v, want 400 body_unreadable", resp.StatusCode, prob)
	}

	// A chunked body that breaks its own framing cannot be read either.
	conn2, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn2.Close()
	chunked := strings.Replace(head, "Content-Length: 100", "Transfer-Encoding: chunked", 1) + "zz\r\n" + part
	if _, err := conn2.Write([]byte(chunked)); err != nil {
		t.Fatal(err)
	}
	if resp, err = http.ReadResponse(bufio.NewReader(conn2), nil); err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	prob = nil
	_ = json.NewDecoder(resp.Body).Decode(&prob)
	if resp.StatusCode != 400 || prob["type"] != "urn:onbehalf:problem:body_unreadable" {
		t.Errorf("a malformed chunked body: %d %v, want 400 body_unreadable", resp.StatusCode, prob)
	}
}
