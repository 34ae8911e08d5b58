// Command server is the onbehalf backend: a Databricks App that acts on
// behalf of the signed-in user. Configuration comes from the environment
// (see the README); with no DATABRICKS_HOST it starts the demo, with an
// in-process fake workspace and two demo users.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	sdklogger "github.com/databricks/databricks-sdk-go/logger"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/onbehalf/onbehalf/impl/auth"
	"github.com/onbehalf/onbehalf/impl/config"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/httpapi"
	"github.com/onbehalf/onbehalf/impl/observe"
	"github.com/onbehalf/onbehalf/web"
)

const (
	// readTimeout bounds reading a request, its body included.
	readTimeout = 30 * time.Second
	// answerMargin is left for writing the answer once the handler returns.
	answerMargin = 15 * time.Second

	// drainTime is how long a shutdown waits for the requests in flight to
	// finish. Databricks Apps kills an app 15 s after asking it to stop
	// (SIGTERM, then SIGKILL; "an app must shut down within 15 seconds"):
	// whatever is still running then ends with no answer and no log line.
	// drainTime + cutGrace leaves a few seconds of those 15 for closing the
	// database pool and the process's exit.
	drainTime = 10 * time.Second
	// cutGrace is how long the requests cut at drainTime have to end: their
	// calls are cancelled, so they only answer and write their log lines.
	cutGrace = time.Second
)

// writeTimeout is the server's write deadline, given the most a handler can
// take: that of an agent invocation (httpapi.LongestInvocation, derived from
// the retry policy and timeouts the clients and the store are built with).
// net/http counts the deadline from the end of the request's headers, so it
// must also cover reading the body, up to readTimeout. A shorter deadline
// would let an agent act and have its answer cut off. The deadline outlasts
// the handler rather than the handler being cut short to fit: cutting the
// agent's call short would lose its answer just the same, after the agent
// may have acted.
func writeTimeout(handling time.Duration) time.Duration {
	return readTimeout + handling + answerMargin
}

func main() {
	if err := run(firstSignal(), os.Getenv, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "server:", err)
		os.Exit(1)
	}
}

// firstSignal returns a context that ends at the first SIGINT or SIGTERM.
// Before it ends, those signals are given back to Go's default, so that a
// second one (Ctrl-C again while the server drains) ends the process at
// once. (signal.NotifyContext's stop would do it only after the context has
// ended, leaving a moment in which a second signal is swallowed.)
func firstSignal() context.Context {
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-sigs
		signal.Stop(sigs)
		cancel()
	}()
	return ctx
}

// run starts the server and serves until ctx ends, then shuts down gracefully.
func run(ctx context.Context, getenv func(string) string, stdout io.Writer) error {
	cfg, err := config.Load(getenv)
	if err != nil {
		return fmt.Errorf("configuration: %w", err)
	}
	log := observe.NewLogger(stdout, cfg.LogLevel)
	// The SDK logs through a package variable; this is the one place it is set.
	sdklogger.DefaultLogger = observe.SDKLogger(log)

	var demo *demoWorkspace
	demoMode := cfg.Demo()
	if demoMode {
		if demo, err = startDemo(); err != nil {
			return fmt.Errorf("demo workspace: %w", err)
		}
		defer demo.Close()
		cfg.Host, cfg.ClientID, cfg.ClientSecret = demo.URL, demo.ClientID, config.Secret(demo.ClientSecret)
	}

	// The server's own registry, never the global default one.
	metrics, err := observe.NewMetrics(prometheus.NewRegistry(), observe.MetricsOptions{PerUser: cfg.MetricsPerUser})
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}

	retry := databricks.DefaultRetryPolicy()
	retry.AttemptTimeout = cfg.UpstreamTimeout
	clients, err := databricks.New(databricks.Options{
		Host:          cfg.Host,
		Retry:         retry,
		InvokeTimeout: cfg.InvokeTimeout,
		OnRetry:       observe.OnRetry(log, metrics),
	}, databricks.ServicePrincipal{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret.Reveal()})
	if err != nil {
		return err
	}

	store, err := openStore(ctx, cfg, demoMode, clients.App, log)
	if err != nil {
		return err
	}
	if store != nil {
		defer store.Close()
	}

	authCfg := auth.Config{}
	if cfg.Local {
		authCfg.LocalUserToken = cfg.UserToken.Reveal()
		if cfg.SPFallback {
			authCfg.ServicePrincipalToken = clients.App.Token
		}
	}
	longest := httpapi.Longest{
		Request:    httpapi.LongestRequest(clients.User, store),
		Invocation: httpapi.LongestInvocation(clients.User, store),
	}
	handler, err := httpapi.New(httpapi.Deps{
		Log:     log,
		User:    clients.User,
		Auth:    auth.New(authCfg, log),
		Store:   store,
		Web:     web.Dist(),
		Longest: longest,
		// Metrics and Observers: see impl/observe/metrics.go.
		Metrics:   metrics.Handler(),
		Observers: []observe.RequestObserver{metrics},
	})
	if err != nil {
		return err
	}
	if demo != nil {
		handler = demo.Proxy(handler)
	}

	ln, err := net.Listen("tcp", net.JoinHostPort(cfg.ListenHost, strconv.Itoa(cfg.Port)))
	if err != nil {
		return err
	}
	// Every request's context descends from base, which shutdown cancels
	// with httpapi.ErrShuttingDown to cut the requests still running.
	base, cut := context.WithCancelCause(context.Background())
	defer cut(nil)
	srv := &http.Server{
		BaseContext:       func(net.Listener) context.Context { return base },
		Handler:           metrics.Track(handler),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout(longest.Invocation),
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	addr := ln.Addr().(*net.TCPAddr)
	log.Info("listening", "addr", addr.String(), "port", addr.Port, "workspace", cfg.Host,
		"demo", demoMode, "local", cfg.Local, "on_databricks_apps", cfg.OnDatabricksApps())
	if demo != nil {
		demo.PrintWelcome(stdout, addr.Port)
	}

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain_ms", drainTime.Milliseconds())
	return shutdown(srv, served, cut, log)
}

// shutdown stops srv: it stops accepting connections at once, waits up to
// drainTime for the requests in flight, then cuts those still running
// (cancels their contexts with httpapi.ErrShuttingDown: they answer 503 and
// log their lines) and gives them cutGrace to do so before closing their
// connections. Cut requests are the design, not a failure; requests still
// running after cutGrace are (a handler that does not heed its context),
// and so is Serve failing.
func shutdown(srv *http.Server, served <-chan error, cut context.CancelCauseFunc, log *slog.Logger) error {
	ctx, cancel := context.WithTimeout(context.Background(), drainTime+cutGrace)
	defer cancel()
	cutter := time.AfterFunc(drainTime, func() {
		log.Warn("cutting the requests still running", "drain_ms", drainTime.Milliseconds())
		cut(httpapi.ErrShuttingDown)
	})
	defer cutter.Stop()
	switch err := srv.Shutdown(ctx); {
	case errors.Is(err, context.DeadlineExceeded):
		_ = srv.Close()
		return fmt.Errorf("requests still running %v after they were cut; their connections were closed", cutGrace)
	case err != nil:
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
