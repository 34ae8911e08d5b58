// Package databricks is the boundary between onbehalf and the Databricks REST
// API. It holds two clients, built once per process:
//
//   - UserClient acts on behalf of the signed-in user. It is one plain
//     net/http client over a pooled transport; each call reads the token from
//     its own context.Context and sends it as the bearer token, so every call
//     carries its own request's token and nothing else. It stores no token,
//     never reads the environment and never falls back to another identity.
//     It does not go through the SDK's ApiClient, whose per-call request
//     building was the largest cost of a request (docs/BENCHMARKS.md); the
//     SDK's error parser still reads its error answers.
//   - AppClient is the app's service principal (OAuth M2M), an SDK client.
//     It is used for Lakebase credentials only (and, in local development
//     with APP_SP_FALLBACK=true, to stand in for a user). Its OAuth token is
//     ours (spTokens), not the SDK's: fetched under the call's context.
//
// The SDK's own retries and rate limiter are off, its token retries too:
// RetryPolicy is the one retry policy, and Databricks' errors (the OAuth
// token endpoint's included) are translated into apperr kinds here, at the
// boundary.
package databricks

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/httpclient"
)

// Options configure the Databricks clients.
type Options struct {
	// Host is the workspace URL (DATABRICKS_HOST).
	Host string
	// Retry is the retry policy of the user's calls.
	Retry RetryPolicy
	// InvokeTimeout bounds one call to an agent endpoint, which may take long.
	InvokeTimeout time.Duration
	// Transport carries the HTTP requests; nil means a pooled default.
	Transport http.RoundTripper
	// OnRetry, when set, hears about every retry.
	OnRetry RetryObserver
}

// sdkTimeout is the SDK's own inactivity timeout. It is kept above every
// timeout of ours, so that ours always fire first and are told apart.
const sdkTimeout = 10 * time.Minute

// hostMetadata resolves the workspace's /.well-known/databricks-config once
// per process. The SDK fetches it for every new config; it holds no secret,
// so one answer serves every client.
type hostMetadata struct {
	once sync.Once
	meta *config.HostMetadata
	err  error
}

func (h *hostMetadata) resolver(cfg *config.Config) config.HostMetadataResolver {
	return func(ctx context.Context, host string) (*config.HostMetadata, error) {
		h.once.Do(func() { h.meta, h.err = cfg.DefaultHostMetadataResolver()(ctx, host) })
		return h.meta, h.err
	}
}

// newSDKClient builds an SDK client from cfg with every setting explicit and
// the SDK's retries, rate limit and debug header logging off.
func newSDKClient(cfg *config.Config, opts Options, meta *hostMetadata) (*client.DatabricksClient, error) {
	cfg.Host = opts.Host
	cfg.Loaders = []config.Loader{noEnvironment{}}
	cfg.HTTPTransport = newTransport(opts.Transport)
	cfg.HTTPTimeoutSeconds = int(sdkTimeout / time.Second)
	// RetryTimeoutSeconds also bounds the SDK's host metadata fetch at
	// start-up, whose default is 5 minutes; 0 would mean that default. (The
	// service principal's token is not the SDK's to fetch: see spTokens.)
	cfg.RetryTimeoutSeconds = 10
	// The SDK limits each client to 15 requests a second by default: for one
	// client shared by every user that would be a global throttle.
	cfg.RateLimitPerSecond = 1 << 30
	cfg.DebugHeaders = false
	cfg.HostMetadataResolver = meta.resolver(cfg)

	cc, err := config.HTTPClientConfigFromConfig(cfg)
	if err != nil {
		return nil, err
	}
	// Nothing is retriable to the SDK: RetryPolicy decides. (I/O errors are
	// kept from its retry by transport's networkError.)
	cc.ErrorRetriable = func(context.Context, error) bool { return false }
	cc.TransientErrors = nil
	cc.RetryTimeout = sdkTimeout
	return client.NewWithClient(cfg, httpclient.NewApiClient(cc))
}

// workspaceURL is the scheme and host of the workspace, as the SDK reads
// DATABRICKS_HOST: "https://" is assumed when no scheme is given, and any
// path is dropped.
func workspaceURL(host string) (string, error) {
	if !strings.Contains(host, "://") {
		host = "https://" + host
	}
	u, err := url.Parse(host)
	if err != nil || u.Hostname() == "" {
		return "", fmt.Errorf("databricks: workspace host %q is not a URL", host)
	}
	return u.Scheme + "://" + u.Host, nil
}

// Clients are the process's Databricks clients.
type Clients struct {
	User *UserClient
	// App is nil when no service-principal credentials are configured.
	App *AppClient
}

// ServicePrincipal are the app's OAuth M2M credentials.
type ServicePrincipal struct {
	ClientID     string
	ClientSecret string
}

// New builds the process's clients. sp may be zero, and then Clients.App is nil.
func New(opts Options, sp ServicePrincipal) (*Clients, error) {
	if opts.Host == "" {
		return nil, fmt.Errorf("databricks: no workspace host")
	}
	if opts.Retry.Waits == nil && opts.Retry.Budget == 0 && opts.Retry.AttemptTimeout == 0 {
		opts.Retry = DefaultRetryPolicy()
	}
	if opts.InvokeTimeout == 0 {
		opts.InvokeTimeout = 120 * time.Second
	}
	host, err := workspaceURL(opts.Host)
	if err != nil {
		return nil, err
	}
	c := &Clients{User: newUserClient(opts, host)}
	if sp.ClientID != "" && sp.ClientSecret != "" {
		c.App, err = newAppClient(opts, sp, &hostMetadata{})
		if err != nil {
			return nil, fmt.Errorf("databricks: service principal client: %w", err)
		}
	}
	return c, nil
}
