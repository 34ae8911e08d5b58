package httpapi_test

import (
	"context"
	"log/slog"
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

// TestAClientThatLeavesIsNoInternalError: a request whose client goes away
// while Databricks is still answering (a closed tab, a fetch the front end
// aborts) is logged and counted as 499, at INFO, never as a 500 with an
// ERROR line that would page an operator.
func TestAClientThatLeavesIsNoInternalError(t *testing.T) {
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
