package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// demoWorkspace is the fake workspace the demo mode runs in-process.
type demoWorkspace struct {
	URL                    string
	ClientID, ClientSecret string
	ws                     *fakeworkspace.Workspace
	srv                    *http.Server
}

// startDemo serves the demo workspace on a free loopback port.
func startDemo() (*demoWorkspace, error) {
	ws := fakeworkspace.Demo()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	// With its control API (/_fake/), so that a person or the browser test can
	// make it slow or failing (POST /_fake/faults) and watch the front end.
	srv := &http.Server{Handler: ws.HandlerWithControl(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	id, secret := ws.ServicePrincipal()
	return &demoWorkspace{URL: "http://" + ln.Addr().String(), ClientID: id, ClientSecret: secret, ws: ws, srv: srv}, nil
}

// PrintWelcome prints the demo users' tokens and curl lines to try the API.
// The tokens are the fake workspace's, valid only for this run.
func (d *demoWorkspace) PrintWelcome(w io.Writer, port int) {
	base := fmt.Sprintf("http://localhost:%d", port)
	fmt.Fprintf(w, "\nonbehalf demo: a fake Databricks workspace runs at %s\n", d.URL)
	fmt.Fprintf(w, "The app: %s/ (pick a demo user in the yellow bar)\n", base)
	fmt.Fprintf(w, "API docs: %s/docs\n\n", base)
	for _, u := range []string{fakeworkspace.Alice, fakeworkspace.Bob} {
		tok := d.ws.IssueToken(u, fakeworkspace.AllScopes...)
		fmt.Fprintf(w, "%s:\n  export TOKEN=%s\n", u, tok)
		fmt.Fprintf(w, "  curl -s -H \"X-Forwarded-Access-Token: $TOKEN\" %s/api/user/me\n", base)
		fmt.Fprintf(w, "  curl -s -H \"X-Forwarded-Access-Token: $TOKEN\" %s/api/unity-catalog/catalogs\n\n", base)
	}
	noServing := d.ws.IssueToken(fakeworkspace.Alice, fakeworkspace.DefaultScopes...)
	fmt.Fprintf(w, "alice without the serving scope (403 with re-consent steps):\n  curl -s -H \"X-Forwarded-Access-Token: %s\" %s/api/model-serving/endpoints\n\n", noServing, base)
}

// Close stops the demo workspace.
func (d *demoWorkspace) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.srv.Shutdown(ctx)
}

// Proxy wraps the app's handler with the demo proxy (demoproxy.go), which
// signs a browser in as a demo user.
func (d *demoWorkspace) Proxy(next http.Handler) http.Handler { return newDemoProxy(d.ws, next) }
