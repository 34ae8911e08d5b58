package databricks

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/config/credentials"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// Why not the SDK's oauth-m2m credentials: its SetHeaders fetches the token
// with context.Background(), so neither the attempt's timeout nor the
// caller's deadline reaches the token request, and it wraps the token
// source in a retrying one (about a minute of exponential backoff, on its own
// schedule, unlogged and uncounted). A token endpoint that was slow, reset
// connections or answered 503 held a credential call for many seconds past
// its deadline, and its errors came back untranslated. spTokens is the same
// OAuth client-credentials grant with none of that: every fetch is made with
// the context of the call that needs the token, through our transport, once
// per attempt of our RetryPolicy.

// maxTokenRefreshLead is how long before its expiry the service principal's
// token is replaced (half its life when that is shorter): the next call
// that needs a token fetches a new one. Until maxTokenUseLead before its
// expiry (a quarter of its life when that is shorter), a call whose fetch
// failed uses the old one still, so that a short outage of the token
// endpoint while the token is being replaced fails no call. Azure
// Databricks refuses tokens within 30 s of their expiry.
const (
	maxTokenRefreshLead = time.Minute
	maxTokenUseLead     = 30 * time.Second
)

// spTokens is the app's service principal's OAuth access token, from the
// client-credentials grant (RFC 6749 section 4.4) at the workspace's token
// endpoint, found the way the SDK finds it: the OAuth authorization server
// metadata (RFC 8414) at the discovery URL the workspace's host metadata
// names, or at <host>/oidc/.well-known/oauth-authorization-server.
//
// The token is cached and shared by every call until shortly before it
// expires. A fetch, the discovery included, is made with the context of the
// call that needs the token, so the call's attempt timeout and deadline bound
// it; it is never retried here: a failure is the attempt's, translated and
// retried (or not) by RetryPolicy like any Databricks answer. Concurrent
// callers share one fetch, each waiting no longer than its own context.
//
// It is safe for concurrent use. The client secret and the tokens are never
// logged nor put in an error.
type spTokens struct {
	http      *http.Client
	discovery string                   // the authorization server metadata URL
	grant     clientcredentials.Config // without TokenURL, found by discovery

	mu        sync.Mutex
	tokenURL  string        // once discovered
	tok       *oauth2.Token // the cached token, nil before the first
	refreshAt time.Time     // when tok is to be replaced
	usableTo  time.Time     // when tok stops being used, even if no other came
	fetching  *tokenFetch   // the fetch under way, if any
}

// tokenFetch is one fetch of a token, shared by the callers that wait for it.
type tokenFetch struct {
	done chan struct{} // closed once tok, err and gaveUp are set
	tok  *oauth2.Token
	err  error
	// gaveUp: the fetch ended because its caller's context did, which says
	// nothing to a caller whose own context is still alive.
	gaveUp bool
}

// newSPTokens returns the token source of the service principal sp on the
// workspace cfg is resolved for (its host metadata read), through cfg's
// HTTP transport.
func newSPTokens(sp ServicePrincipal, cfg *config.Config) *spTokens {
	discovery := cfg.DiscoveryURL
	if discovery == "" {
		// What the SDK does for a workspace host whose metadata names no
		// OIDC endpoint (config.Config.getOidcEndpoints).
		discovery = cfg.CanonicalHostName() + "/oidc/.well-known/oauth-authorization-server"
	}
	return &spTokens{
		http:      &http.Client{Transport: cfg.HTTPTransport},
		discovery: discovery,
		grant: clientcredentials.Config{
			ClientID:     sp.ClientID,
			ClientSecret: sp.ClientSecret,
			AuthStyle:    oauth2.AuthStyleInHeader, // as the SDK sends them
			Scopes:       cfg.GetScopes(),
		},
	}
}

// Token returns the cached token while it is fresh, and otherwise fetches a
// new one with ctx; if that fails while ctx is alive, it returns the cached
// token still when it is usable (see maxTokenUseLead). Errors are
// untranslated (translate does that): ctx's own error, a networkError, or
// an *apperr.Error.
func (s *spTokens) Token(ctx context.Context) (*oauth2.Token, error) {
	tok, err := s.fresh(ctx)
	if err != nil && ctx.Err() == nil {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.tok != nil && time.Now().Before(s.usableTo) {
			return s.tok, nil
		}
	}
	return tok, err
}

// fresh returns the cached token while it is fresh, and otherwise fetches a
// new one with ctx.
func (s *spTokens) fresh(ctx context.Context) (*oauth2.Token, error) {
	for {
		s.mu.Lock()
		if s.tok != nil && (s.tok.Expiry.IsZero() || time.Now().Before(s.refreshAt)) {
			tok := s.tok
			s.mu.Unlock()
			return tok, nil
		}
		f := s.fetching
		if f == nil {
			f = &tokenFetch{done: make(chan struct{})}
			s.fetching = f
			s.mu.Unlock()
			s.run(ctx, f)
			return f.tok, f.err
		}
		s.mu.Unlock()
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-f.done:
		}
		if !f.gaveUp {
			return f.tok, f.err
		}
		// The caller that fetched went away or ran out of time; this one
		// has not, and fetches for itself.
	}
}

// run makes the fetch f with ctx and shares its outcome.
func (s *spTokens) run(ctx context.Context, f *tokenFetch) {
	defer close(f.done)
	f.tok, f.err = s.fetch(ctx)
	f.gaveUp = f.err != nil && ctx.Err() != nil
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fetching = nil
	if f.err == nil {
		now := time.Now()
		s.tok = f.tok
		s.refreshAt = beforeExpiry(f.tok, now, maxTokenRefreshLead, 2)
		s.usableTo = beforeExpiry(f.tok, now, maxTokenUseLead, 4)
	}
}

// beforeExpiry is lead before tok, fetched at now, expires, or a part of
// its life (1/part) before when that is shorter. (A token without an
// expiry, which Databricks does not hand out, is used for good: see fresh.)
func beforeExpiry(tok *oauth2.Token, now time.Time, lead time.Duration, part int) time.Time {
	life := tok.Expiry.Sub(now)
	if life <= 0 {
		return now
	}
	return tok.Expiry.Add(-min(lead, life/time.Duration(part)))
}

// fetch asks the token endpoint for a token, once, with ctx.
func (s *spTokens) fetch(ctx context.Context) (*oauth2.Token, error) {
	tokenURL, err := s.endpoint(ctx)
	if err != nil {
		return nil, err
	}
	grant := s.grant
	grant.TokenURL = tokenURL
	tok, err := grant.Token(context.WithValue(ctx, oauth2.HTTPClient, s.http))
	switch {
	case err == nil:
		return tok, nil
	case ctx.Err() != nil:
		// Reading a slow answer past the deadline fails with an error
		// that does not wrap ctx's.
		return nil, ctx.Err()
	}
	var retrieveErr *oauth2.RetrieveError
	if errors.As(err, &retrieveErr) {
		// Translated here, where it is made: its text holds the
		// endpoint's whole answer.
		return nil, tokenEndpointFailure(retrieveErr)
	}
	var netErr *networkError
	if errors.As(err, &netErr) {
		return nil, netErr
	}
	// A 2xx answer without a token, or one that is not JSON. Its text may
	// quote the answer: it is not kept.
	return nil, &apperr.Error{Kind: apperr.Upstream, Reason: "upstream_error",
		Detail: "Databricks' OAuth token endpoint answered without a token.",
		Err:    errors.New("the OAuth token endpoint's answer holds no access token")}
}

// endpoint returns the token endpoint, discovered once.
func (s *spTokens) endpoint(ctx context.Context) (string, error) {
	s.mu.Lock()
	tokenURL := s.tokenURL
	s.mu.Unlock()
	if tokenURL != "" {
		return tokenURL, nil
	}
	tokenURL, err := s.discover(ctx)
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	s.tokenURL = tokenURL
	s.mu.Unlock()
	return tokenURL, nil
}

// discover reads the token endpoint from the authorization server metadata.
func (s *spTokens) discover(ctx context.Context) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.discovery, nil)
	if err != nil {
		return "", err
	}
	raw, err := exchange(ctx, s.http, req, nothing, "", nil)
	if e := apperr.As(err); e != nil && e.Kind == apperr.Internal {
		// Databricks refused the discovery (4xx): no OAuth for this host
		// (the SDK's ErrOAuthNotSupported), or a discovery URL that is
		// wrong; the same answer every time.
		return "", &apperr.Error{Kind: apperr.Internal, Reason: "sp_sign_in_failed",
			Detail: "The app's service principal could not sign in: the workspace's OAuth discovery document " + s.discovery + " was refused.",
			Err:    err}
	}
	if err != nil {
		return "", err
	}
	var meta struct {
		TokenEndpoint string `json:"token_endpoint"`
	}
	if err := decodeAnswer(raw, &meta); err != nil {
		return "", err
	}
	if u, err := url.Parse(meta.TokenEndpoint); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", &apperr.Error{Kind: apperr.Upstream, Reason: "upstream_error",
			Detail: "The workspace's OAuth discovery document names no token endpoint."}
	}
	return meta.TokenEndpoint, nil
}

// spCredentials authenticates the service principal's SDK calls with
// spTokens: the SDK's config.CredentialsStrategy and the
// credentials.OAuthCredentialsProvider it configures, in one.
type spCredentials struct{ tokens *spTokens }

var (
	_ config.CredentialsStrategy           = spCredentials{}
	_ credentials.OAuthCredentialsProvider = spCredentials{}
)

// Name is the SDK's name of the OAuth client-credentials (M2M) sign-in.
func (spCredentials) Name() string { return "oauth-m2m" }

// Configure makes no request: the token endpoint is found by the first
// call that needs a token, under that call's context.
func (c spCredentials) Configure(context.Context, *config.Config) (credentials.CredentialsProvider, error) {
	return c, nil
}

// SetHeaders sets the bearer token of the request, fetched (when the cached
// one is not fresh) with the request's own context: the attempt's.
func (c spCredentials) SetHeaders(r *http.Request) error {
	tok, err := c.tokens.Token(r.Context())
	if err != nil {
		return err
	}
	tok.SetAuthHeader(r)
	return nil
}

// Token returns the service principal's token.
func (c spCredentials) Token(ctx context.Context) (*oauth2.Token, error) {
	return c.tokens.Token(ctx)
}

// oauthErrorCodes are the error codes of RFC 6749 (sections 4.1.2.1 and
// 5.2): the only ones passed on from a token endpoint's answer, whose text
// is not ours to vouch for.
var oauthErrorCodes = map[string]bool{
	"invalid_request": true, "invalid_client": true, "invalid_grant": true,
	"unauthorized_client": true, "unsupported_grant_type": true, "invalid_scope": true,
	"access_denied": true, "server_error": true, "temporarily_unavailable": true,
}

// tokenEndpointError is what is kept of a token endpoint's error answer for
// the logs: its status and its RFC 6749 error code, nothing of its text.
type tokenEndpointError struct {
	status int
	code   string // "" when none or not one of RFC 6749's
}

func (e *tokenEndpointError) Error() string {
	s := "the OAuth token endpoint answered HTTP " + strconv.Itoa(e.status)
	if e.code != "" {
		s += " (" + e.code + ")"
	}
	return s
}

// tokenEndpointFailure translates a token endpoint's error answer by its
// status: 5xx is Databricks failing (Upstream, retried), 429 RateLimited
// (never retried), and any other (a 400 or 401: the client id or secret is
// wrong, or the service principal is disabled) the app's service principal
// failing to sign in, a 500 whose detail says so. Nothing of the answer's
// text is kept but its RFC 6749 error code.
func tokenEndpointFailure(e *oauth2.RetrieveError) error {
	cause := &tokenEndpointError{}
	if oauthErrorCodes[e.ErrorCode] {
		cause.code = e.ErrorCode
	}
	var retryAfter string
	if e.Response != nil {
		cause.status = e.Response.StatusCode
		retryAfter = e.Response.Header.Get("Retry-After")
	}
	if cause.status == http.StatusTooManyRequests || cause.status >= 500 {
		return fromStatus(cause.status, "", retryAfter, cause, nothing)
	}
	return &apperr.Error{Kind: apperr.Internal, Reason: "sp_sign_in_failed", Err: cause,
		Detail: "The app's service principal could not sign in to Databricks: check DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET, and that the service principal is active."}
}
