// Command forwarder serves the bare handler (tests/bench/bare) on a free
// loopback port, for the end-to-end benchmark (tests/bench/loadcompare).
// Once it listens it prints {"msg":"listening","port":N} like the server.
//
// Usage:
//
//	forwarder -upstream http://127.0.0.1:41234
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/onbehalf/onbehalf/tests/bench/bare"
)

func main() {
	upstream := flag.String("upstream", "", "the workspace URL")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fmt.Fprintln(os.Stderr, "forwarder:", err)
		os.Exit(1)
	}
	// The same pool sizes as the server's Databricks transport.
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second}}
	srv := &http.Server{Handler: bare.Handler(*upstream, client), ReadHeaderTimeout: 10 * time.Second}
	_ = json.NewEncoder(os.Stdout).Encode(map[string]any{"msg": "listening", "port": ln.Addr().(*net.TCPAddr).Port})
	go func() { _ = srv.Serve(ln) }()
	<-ctx.Done()
	_ = srv.Shutdown(context.Background())
}
