package databricks_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// The service principal's OAuth token is fetched under the call that needs
// it: its requests to the token endpoint are bounded by the attempt's timeout
// and the caller's deadline, retried by RetryPolicy only (counted at the
// fake, and seen by the RetryObserver), and their failures translated like
// any Databricks answer.

const (
	tokenPath     = "/oidc/v1/token"
	discoveryPath = "/oidc/.well-known/oauth-authorization-server"
)

// retryLog records what the RetryObserver hears, as "operation#attempt".
type retryLog struct {
	mu   sync.Mutex
	seen []string
}

func (l *retryLog) observe(_ context.Context, operation string, attempt int, _ error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seen = append(l.seen, fmt.Sprintf("%s#%d", operation, attempt))
}

func (l *retryLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.seen, " ")
}

// newSP builds the clients with the service principal of a fresh demo
// workspace, the retry policy p and an observer of its retries.
func newSP(t *testing.T, p databricks.RetryPolicy) (*fakeworkspace.Workspace, *databricks.AppClient, *retryLog) {
	t.Helper()
	ws := fakeworkspace.Demo()
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	id, secret := ws.ServicePrincipal()
	log := &retryLog{}
	c, err := databricks.New(databricks.Options{Host: srv.URL, Retry: p, OnRetry: log.observe},
		databricks.ServicePrincipal{ClientID: id, ClientSecret: secret})
	if err != nil {
		t.Fatal(err)
	}
	return ws, c.App, log
}

// spCall is one call of the service principal, for the tests that hold for
// every one of them: its own (the credential call, which authenticates
// through the SDK) and Token (the local fallback's).
type spCall struct {
	name string
	call func(ctx context.Context, c *databricks.AppClient) error
	op   string // its operation, as the RetryObserver hears it
}

var spCalls = []spCall{
	{"DatabaseCredential", func(ctx context.Context, c *databricks.AppClient) error {
		_, err := c.DatabaseCredential(ctx, fakeworkspace.DemoDatabaseInstance)
		return err
	}, "database.credentials.generate"},
	{"Token", func(ctx context.Context, c *databricks.AppClient) error {
		_, err := c.Token(ctx)
		return err
	}, "oauth.token"},
}

// TestSPTokenFetchIsBoundedByTheAttemptAndTheCaller: a token endpoint that
// does not answer holds a call no longer than its attempt timeout, or its
// caller's deadline when that comes first, and the call is a Timeout (not
// retried: the budget is spent). The SDK's own token fetch ran on
// context.Background() and held the call until the endpoint answered.
func TestSPTokenFetchIsBoundedByTheAttemptAndTheCaller(t *testing.T) {
	const bound = 500 * time.Millisecond
	for _, sc := range spCalls {
		for _, tc := range []struct {
			name     string
			attempt  time.Duration
			deadline time.Duration // 0: none
		}{
			{"attempt timeout", bound, 0},
			{"caller's deadline", 30 * time.Second, bound},
		} {
			t.Run(sc.name+"/"+tc.name, func(t *testing.T) {
				p := databricks.DefaultRetryPolicy()
				p.AttemptTimeout = tc.attempt
				ws, c, _ := newSP(t, p)
				ws.InjectFault(fakeworkspace.Fault{Path: tokenPath, Delay: 8 * time.Second})
				ctx := context.Background()
				if tc.deadline > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.deadline)
					defer cancel()
				}
				start := time.Now()
				err := sc.call(ctx, c)
				elapsed := time.Since(start)
				if apperr.KindOf(err) != apperr.Timeout {
					t.Errorf("err %v, want Timeout", err)
				}
				if elapsed > bound+2*time.Second {
					t.Errorf("the call took %v with a token endpoint that never answers, want about %v", elapsed, bound)
				}
				if n := len(ws.RequestsTo(tokenPath)); n != 1 {
					t.Errorf("%d token requests, want 1", n)
				}
			})
		}
	}
}

// TestSPTokenEndpoint5xxIsRetriedOnOurSchedule: a 5xx from the token
// endpoint (or its discovery) is Databricks failing: retried by RetryPolicy,
// after its first wait, heard by the RetryObserver, and the call succeeds.
// The SDK made such an answer an untranslated error, an Internal one.
func TestSPTokenEndpoint5xxIsRetriedOnOurSchedule(t *testing.T) {
	for _, sc := range spCalls {
		for _, f := range []fakeworkspace.Fault{
			{Path: tokenPath, Status: http.StatusServiceUnavailable, Count: 1},
			{Path: tokenPath, Status: http.StatusInternalServerError, Count: 1},
			{Path: discoveryPath, Status: http.StatusServiceUnavailable, Count: 1},
		} {
			t.Run(fmt.Sprintf("%s/%s %d", sc.name, f.Path, f.Status), func(t *testing.T) {
				p := databricks.DefaultRetryPolicy()
				ws, c, retries := newSP(t, p)
				ws.InjectFault(f)
				if err := sc.call(context.Background(), c); err != nil {
					t.Fatalf("err %v, want success after one retry", err)
				}
				if got, want := retries.String(), sc.op+"#2"; got != want {
					t.Errorf("retries heard: %q, want %q", got, want)
				}
				reqs := ws.RequestsTo(f.Path)
				if len(reqs) != 2 {
					t.Fatalf("%d requests to %s, want 2", len(reqs), f.Path)
				}
				if gap := reqs[1].Time.Sub(reqs[0].Time); gap < p.Waits[0] {
					t.Errorf("retried after %v, before the policy's first wait %v", gap, p.Waits[0])
				}
			})
		}
	}
}

// TestSPTokenEndpoint429IsNeverRetried: a 429 from the token endpoint is
// RateLimited with its Retry-After, after one request.
func TestSPTokenEndpoint429IsNeverRetried(t *testing.T) {
	for _, sc := range spCalls {
		t.Run(sc.name, func(t *testing.T) {
			ws, c, retries := newSP(t, databricks.DefaultRetryPolicy())
			ws.InjectFault(fakeworkspace.Fault{Path: tokenPath, Status: http.StatusTooManyRequests, RetryAfter: "7", Count: 3})
			err := sc.call(context.Background(), c)
			if e := apperr.As(err); e == nil || e.Kind != apperr.RateLimited || e.RetryAfter != "7" {
				t.Errorf("err %v, want RateLimited with Retry-After 7", err)
			}
			if n := len(ws.RequestsTo(tokenPath)); n != 1 {
				t.Errorf("%d token requests, want 1", n)
			}
			if s := retries.String(); s != "" {
				t.Errorf("retries heard: %q, want none", s)
			}
		})
	}
}

// TestSPTokenConnectionResetsAreRetriedByUsOnly: a connection reset by the
// token endpoint is a network failure, retried by RetryPolicy and by
// nothing else: the first attempt and three retries make four token
// requests, and the call then fails as Upstream. The SDK's retrying token
// source made six requests over 14 s, none of them seen by our policy.
func TestSPTokenConnectionResetsAreRetriedByUsOnly(t *testing.T) {
	for _, sc := range spCalls {
		t.Run(sc.name, func(t *testing.T) {
			ws, c, retries := newSP(t, databricks.DefaultRetryPolicy())
			ws.InjectFault(fakeworkspace.Fault{Path: tokenPath, Reset: true, Count: 5})
			start := time.Now()
			err := sc.call(context.Background(), c)
			if apperr.KindOf(err) != apperr.Upstream {
				t.Errorf("err %v, want Upstream", err)
			}
			if n := len(ws.RequestsTo(tokenPath)); n != 4 {
				t.Errorf("%d token requests, want 4 (the first attempt and our 3 retries)", n)
			}
			want := sc.op + "#2 " + sc.op + "#3 " + sc.op + "#4"
			if got := retries.String(); got != want {
				t.Errorf("retries heard: %q, want %q", got, want)
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("the call took %v, want about 0.7 s (our three waits)", elapsed)
			}
		})
	}
}

// TestSPTokenIsFetchedOnceAndReusedWhileValid: every call of the service
// principal, Token included, uses one token until shortly before it
// expires (a minute, or half its life when that is shorter); the next call
// after that fetches a new one. The token endpoint is discovered once.
func TestSPTokenIsFetchedOnceAndReusedWhileValid(t *testing.T) {
	ws, c, _ := newSP(t, databricks.DefaultRetryPolicy())
	sp := ws.ServicePrincipalInfo()
	sp.TokenLifetime = 2 * time.Second // used for 1 s
	ws.SetServicePrincipal(sp)
	ctx := context.Background()
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := c.DatabaseCredential(ctx, fakeworkspace.DemoDatabaseInstance); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.DatabaseInstanceByHost(ctx, fakeworkspace.DemoDatabaseHost); err != nil {
		t.Fatal(err)
	}
	if again, err := c.Token(ctx); err != nil || again != tok {
		t.Errorf("a second Token call gave another token (%v)", err)
	}
	if n := len(ws.RequestsTo(tokenPath)); n != 1 {
		t.Errorf("%d token requests for five calls, want 1", n)
	}
	for _, r := range ws.RequestsTo("/api/2.0/database/") {
		if r.Token != tok {
			t.Errorf("%s %s was not sent with the service principal's one token", r.Method, r.Path)
		}
	}

	time.Sleep(1100 * time.Millisecond)
	if _, err := c.DatabaseCredential(ctx, fakeworkspace.DemoDatabaseInstance); err != nil {
		t.Fatal(err)
	}
	if n := len(ws.RequestsTo(tokenPath)); n != 2 {
		t.Errorf("%d token requests after the token neared its expiry, want 2", n)
	}
	creds := ws.RequestsTo("/api/2.0/database/credentials")
	if last := creds[len(creds)-1]; last.Token == tok || last.UserName != sp.ClientID {
		t.Errorf("the call after the refresh was sent with the old token, or not as the service principal (%q)", last.UserName)
	}
	if n := len(ws.RequestsTo(discoveryPath)); n != 1 {
		t.Errorf("the token endpoint was discovered %d times, want once", n)
	}
}

// TestSPTokenOutageWhileReplacingTheTokenFailsNoCall: when the token is
// due to be replaced and the token endpoint fails, the calls go on with the
// old token while it is still usable, and fail only once it is not.
func TestSPTokenOutageWhileReplacingTheTokenFailsNoCall(t *testing.T) {
	ws, c, _ := newSP(t, databricks.DefaultRetryPolicy())
	sp := ws.ServicePrincipalInfo()
	sp.TokenLifetime = 2 * time.Second // replaced after 1 s, used for 1.5 s
	ws.SetServicePrincipal(sp)
	ctx := context.Background()
	tok, err := c.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(1100 * time.Millisecond)
	ws.InjectFault(fakeworkspace.Fault{Path: tokenPath, Status: http.StatusServiceUnavailable, Count: 100})
	if _, err := c.DatabaseCredential(ctx, fakeworkspace.DemoDatabaseInstance); err != nil {
		t.Fatalf("a call while the token endpoint is down and the token still usable: %v", err)
	}
	if again, err := c.Token(ctx); err != nil || again != tok {
		t.Errorf("Token while the token endpoint is down gave %v, want the usable token", err)
	}
	if n := len(ws.RequestsTo(tokenPath)); n < 3 {
		t.Errorf("%d token requests, want the first and a try to replace it per call", n)
	}
	time.Sleep(500 * time.Millisecond)
	if _, err := c.DatabaseCredential(ctx, fakeworkspace.DemoDatabaseInstance); apperr.KindOf(err) != apperr.Upstream {
		t.Errorf("a call once the token is no longer usable: %v, want Upstream", err)
	}
}

// TestSPTokenConcurrentCallersShareOneFetch: callers that need the token
// at once share one request to the token endpoint, and one that waits for
// it is still bounded by its own deadline.
func TestSPTokenConcurrentCallersShareOneFetch(t *testing.T) {
	ws, c, _ := newSP(t, databricks.DefaultRetryPolicy())
	ws.InjectFault(fakeworkspace.Fault{Path: tokenPath, Delay: time.Second, Count: 1})
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for range 8 {
		wg.Go(func() {
			_, err := c.Token(context.Background())
			errs <- err
		})
	}
	time.Sleep(100 * time.Millisecond) // the fetch is under way
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.Token(ctx)
	if apperr.KindOf(err) != apperr.Timeout || time.Since(start) > 700*time.Millisecond {
		t.Errorf("a caller waiting for another's fetch: %v after %v, want Timeout after its own 200 ms", err, time.Since(start))
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Token: %v", err)
		}
	}
	if n := len(ws.RequestsTo(tokenPath)); n != 1 {
		t.Errorf("%d token requests for 9 concurrent callers, want 1", n)
	}
}

// TestSPSignInRefusedIsOurs: a token endpoint refusing the service
// principal's credentials (400, 401) is no failure of Databricks and no
// fault of the client: a 500 (Internal) whose detail says the service
// principal could not sign in, never retried, and holding nothing of the
// endpoint's answer but its RFC 6749 error code (the answer here quotes the
// secret, as no real endpoint should).
func TestSPSignInRefusedIsOurs(t *testing.T) {
	for _, sc := range spCalls {
		for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized} {
			t.Run(fmt.Sprintf("%s/%d", sc.name, status), func(t *testing.T) {
				ws, c, retries := newSP(t, databricks.DefaultRetryPolicy())
				_, secret := ws.ServicePrincipal()
				ws.InjectFault(fakeworkspace.Fault{Path: tokenPath, Status: status, Count: 1,
					Message: "client secret " + secret + " is not valid for marker-7f3a"})
				err := sc.call(context.Background(), c)
				e := apperr.As(err)
				if e == nil || e.Kind != apperr.Internal || !strings.Contains(e.Detail, "service principal could not sign in") {
					t.Fatalf("err %v, want Internal saying the service principal could not sign in", err)
				}
				for _, leak := range []string{secret, "marker-7f3a"} {
					if strings.Contains(err.Error(), leak) {
						t.Errorf("the error holds %q of the endpoint's answer: %v", leak, err)
					}
				}
				if n := len(ws.RequestsTo(tokenPath)); n != 1 || retries.String() != "" {
					t.Errorf("%d token requests, retries %q: want 1 and none", n, retries.String())
				}
			})
		}
	}
}

// TestSPDiscoveryRefusedIsOurs: a workspace that refuses the OAuth
// discovery document (no OAuth for this host, a wrong discovery URL) is the
// service principal failing to sign in, a 500 never retried.
func TestSPDiscoveryRefusedIsOurs(t *testing.T) {
	for _, sc := range spCalls {
		t.Run(sc.name, func(t *testing.T) {
			ws, c, retries := newSP(t, databricks.DefaultRetryPolicy())
			ws.InjectFault(fakeworkspace.Fault{Path: discoveryPath, Status: http.StatusNotFound, Count: 1})
			err := sc.call(context.Background(), c)
			if e := apperr.As(err); e == nil || e.Kind != apperr.Internal || e.Reason != "sp_sign_in_failed" {
				t.Fatalf("err %v, want Internal sp_sign_in_failed", err)
			}
			if n := len(ws.RequestsTo(discoveryPath)); n != 1 || retries.String() != "" {
				t.Errorf("%d discovery requests, retries %q: want 1 and none", n, retries.String())
			}
		})
	}
}
