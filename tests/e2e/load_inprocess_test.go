package e2e

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/httpapi"
)

// The same load with the server's handler in this process, where the Go
// runtime's goroutine count can be read (the binary has, on purpose, no
// debug endpoint): once the connections are closed, every phase of load
// ends with the goroutines there were before it.
func TestLoadIsolationInProcessNoGoroutineGrowth(t *testing.T) {
	n, phase := loadSize()
	ws, users := loadWorkspace(n)
	fake := httptest.NewServer(ws.Handler())
	t.Cleanup(fake.Close)
	// The server's own pool to the workspace, so that settling can close its
	// idle connections too: what remains after that is what leaked.
	upstream := &http.Transport{MaxIdleConnsPerHost: 256}
	clients, err := databricks.New(databricks.Options{Host: fake.URL, Transport: upstream}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	h, err := httpapi.New(httpapi.Deps{Log: log, User: clients.User, Auth: auth.New(auth.Config{}, log)})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	s := &serverProc{URL: srv.URL, client: &http.Client{Timeout: time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: 256}}}

	settleAll := func() int {
		s.client.CloseIdleConnections()
		upstream.CloseIdleConnections()
		time.Sleep(500 * time.Millisecond)
		return runtime.NumGoroutine()
	}
	runLoad(s, users, 300*time.Millisecond)
	baseline := settleAll()
	var goroutines [2]int
	for i := range goroutines {
		r := runLoad(s, users, phase)
		if len(r.wrong) > 0 || r.serverErrors > 0 || r.errors > 0 {
			t.Errorf("phase %d: %d wrong, %d 5xx, %d errors; e.g.:\n%s", i+1, len(r.wrong), r.serverErrors, r.errors, strings.Join(r.wrong, "\n"))
		}
		goroutines[i] = settleAll()
		t.Logf("phase %d: %d requests, by status %v; then %d goroutines (%d before any load)", i+1, r.total, r.byStatus, goroutines[i], baseline)
	}
	for i, g := range goroutines {
		if g > baseline+5 {
			t.Errorf("after phase %d, %d goroutines remain; %d before any load", i+1, g, baseline)
		}
	}
}
