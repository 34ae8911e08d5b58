// Command fakeworkspace runs the demo fake Databricks workspace
// (impl/fakeworkspace) as a process, for tests that start the app as a
// process too, and for trying the app by hand.
//
// Once it listens it prints one JSON line on standard output (a
// fakeworkspace.StartupInfo):
//
//	{"url": "http://127.0.0.1:41234", "workspace_id": "...",
//	 "service_principal": {"client_id": "...", "client_secret": "...", "display_name": "..."},
//	 "users": [{"user_name": "...", "display_name": "...", "token": "...", "pat": "..."}]}
//
// where each user's token carries every scope the app asks for. It then
// serves until SIGINT or SIGTERM, and shuts down gracefully.
//
// Besides the workspace API it serves control endpoints under /_fake/ to
// issue tokens, inject faults and read the request log; the package
// documentation of impl/fakeworkspace lists them.
//
// Usage:
//
//	fakeworkspace [-addr 127.0.0.1:0] [-page-size 2] [-empty-pages]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case errors.Is(err, flag.ErrHelp):
		// -h: the usage is printed already.
	case err != nil:
		fmt.Fprintln(os.Stderr, "fakeworkspace:", err)
		os.Exit(2)
	}
}

// shutdownGrace is how long requests in flight get to finish on shutdown.
const shutdownGrace = 5 * time.Second

// run serves the demo workspace until ctx ends. It prints the startup line
// on stdout once the port is open, so a reader of that line can connect.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	flags := flag.NewFlagSet("fakeworkspace", flag.ContinueOnError)
	flags.SetOutput(stderr)
	addr := flags.String("addr", "127.0.0.1:0", "address to listen on (port 0 picks a free port)")
	pageSize := flags.Int("page-size", 2, "page size of Unity Catalog listings")
	emptyPages := flags.Bool("empty-pages", false, "follow every page of a Unity Catalog listing with an empty page that has a next_page_token")
	if err := flags.Parse(args); err != nil {
		return err
	}
	if flags.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %v", flags.Args())
	}

	ws := fakeworkspace.Demo()
	ws.SetPaging(*pageSize, *emptyPages)
	srv, err := fakeworkspace.Serve(*addr, ws.HandlerWithControl())
	if err != nil {
		return err
	}
	if err := json.NewEncoder(stdout).Encode(ws.StartupInfo(srv.URL)); err != nil {
		_ = srv.Close()
		return err
	}

	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Requests still in flight (a long injected delay) are dropped.
		_ = srv.Close()
	}
	return nil
}
