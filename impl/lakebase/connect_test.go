package lakebase

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// TestLakebaseConnectionsLogInAsTheServicePrincipal: the PG* variables make
// the connection, and connections are recycled well before a credential's
// hour; a failing credential source makes the connection Unavailable
// without its error text.
func TestLakebaseConnectionsLogInAsTheServicePrincipal(t *testing.T) {
	cfg, err := poolConfig(Connection{Host: "instance-1.database.example.com", User: "sp-client-id", Database: "db",
		Password: func(context.Context) (string, time.Time, error) { return "cred", time.Now().Add(time.Hour), nil }})
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.ConnConfig.Copy()
	if err := cfg.BeforeConnect(context.Background(), cc); err != nil {
		t.Fatal(err)
	}
	if cc.Host != "instance-1.database.example.com" || cc.Port != 5432 || cc.User != "sp-client-id" || cc.Database != "db" || cc.TLSConfig == nil || cc.Password != "cred" {
		t.Errorf("connection %s:%d user %s db %s tls %v password %q", cc.Host, cc.Port, cc.User, cc.Database, cc.TLSConfig != nil, cc.Password)
	}
	if cfg.MaxConnLifetime+cfg.MaxConnLifetimeJitter >= 55*time.Minute {
		t.Errorf("connections live up to %v, too close to the credential's hour", cfg.MaxConnLifetime+cfg.MaxConnLifetimeJitter)
	}

	cfg, _ = poolConfig(Connection{Host: "h", User: "u", Password: func(context.Context) (string, time.Time, error) {
		return "", time.Time{}, errors.New("secret-bearing failure")
	}})
	err = cfg.BeforeConnect(context.Background(), cfg.ConnConfig.Copy())
	if e := apperr.As(err); e == nil || e.Kind != apperr.Unavailable || strings.Contains(e.Detail, "secret") {
		t.Errorf("failing credential source: %v", err)
	}
}

// counted is a credential source that counts its calls and issues cred-1,
// cred-2, ..., each expiring after lifetime (never said when zero).
type counted struct {
	mu       sync.Mutex
	calls    int
	lifetime time.Duration
	delay    time.Duration
	fail     bool
}

func (c *counted) password(context.Context) (string, time.Time, error) {
	time.Sleep(c.delay)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.calls++
	if c.fail {
		return "", time.Time{}, errors.New("the workspace is away")
	}
	var expires time.Time
	if c.lifetime != 0 {
		expires = time.Now().Add(c.lifetime)
	}
	return fmt.Sprintf("cred-%d", c.calls), expires, nil
}

func (c *counted) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls
}

// connect runs the pool's BeforeConnect for one new connection and returns
// its configuration, password included.
func connect(t *testing.T, cfg *pgxpool.Config) *pgx.ConnConfig {
	t.Helper()
	cc := cfg.ConnConfig.Copy()
	if err := cfg.BeforeConnect(context.Background(), cc); err != nil {
		t.Fatal(err)
	}
	return cc
}

// TestNewConnectionsShareOneCredentialUntilNearItsEnd: new connections log
// in with the one credential the service principal asked for, reused while
// it outlives any connection that logs in with it; one closer to its end
// is replaced; an hour is assumed when Databricks does not say. Many
// connections opening at once ask for one credential between them, and a
// failure to get one is not kept.
func TestNewConnectionsShareOneCredentialUntilNearItsEnd(t *testing.T) {
	for _, tc := range []struct {
		name      string
		lifetime  time.Duration
		wantCalls int
	}{
		{"an hour's credential", time.Hour, 1},
		{"no expiry given", 0, 1},
		{"just long enough left", credentialMinLeft + time.Minute, 1},
		{"too little left", credentialMinLeft - time.Minute, 3},
	} {
		src := &counted{lifetime: tc.lifetime}
		cfg, err := poolConfig(Connection{Host: "h", User: "u", Password: src.password})
		if err != nil {
			t.Fatal(err)
		}
		for range 3 {
			connect(t, cfg)
		}
		if got := src.count(); got != tc.wantCalls {
			t.Errorf("%s: 3 connections asked for %d credentials, want %d", tc.name, got, tc.wantCalls)
		}
	}

	src := &counted{lifetime: time.Hour, delay: 50 * time.Millisecond}
	cfg, _ := poolConfig(Connection{Host: "h", User: "u", Password: src.password})
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if cc := connect(t, cfg); cc.Password != "cred-1" {
				t.Errorf("password %q, want the shared cred-1", cc.Password)
			}
		})
	}
	wg.Wait()
	if got := src.count(); got != 1 {
		t.Errorf("20 connections at once asked for %d credentials, want 1", got)
	}

	src = &counted{lifetime: time.Hour, fail: true}
	cfg, _ = poolConfig(Connection{Host: "h", User: "u", Password: src.password})
	for range 2 {
		if err := cfg.BeforeConnect(context.Background(), cfg.ConnConfig.Copy()); apperr.KindOf(err) != apperr.Unavailable {
			t.Errorf("failing source: %v, want Unavailable", err)
		}
	}
	src.fail = false
	if cc := connect(t, cfg); cc.Password == "" || src.count() != 3 {
		t.Errorf("after failures: password %q after %d calls, want a credential asked for anew", cc.Password, src.count())
	}
}

// TestARefusedCredentialIsReplaced: when Postgres refuses a connection's
// login (28P01, 28000) the shared credential is dropped, and the next
// connection asks for a new one; a refusal of a credential that is no
// longer the shared one, or any other error, leaves the shared one alone.
func TestARefusedCredentialIsReplaced(t *testing.T) {
	src := &counted{lifetime: time.Hour}
	cfg, _ := poolConfig(Connection{Host: "h", User: "u", Password: src.password})
	fatal := func(code string) *pgconn.PgError { return &pgconn.PgError{Severity: "FATAL", Code: code} }

	first := connect(t, cfg)
	if keep := first.OnPgError(nil, fatal("57P01")); keep {
		t.Error("a FATAL error kept the connection open")
	}
	if cc := connect(t, cfg); cc.Password != "cred-1" {
		t.Fatalf("after an error other than a refused login: %q, want cred-1 still", cc.Password)
	}
	first.OnPgError(nil, fatal("28P01"))
	second := connect(t, cfg)
	if second.Password != "cred-2" {
		t.Fatalf("after cred-1 was refused: %q, want a new credential", second.Password)
	}
	first.OnPgError(nil, fatal("28P01")) // a late refusal of cred-1
	if cc := connect(t, cfg); cc.Password != "cred-2" {
		t.Errorf("a refusal of the old credential dropped the new one: %q", cc.Password)
	}
	second.OnPgError(nil, fatal("28000"))
	if cc := connect(t, cfg); cc.Password != "cred-2" {
		t.Errorf("after cred-2, a replacement, was refused too: %q, want it kept (the refusal is not the credential's)", cc.Password)
	}
}

// TestARefusedReplacementIsKeptAWhileThenRenewed: a replacement refused in
// turn is kept for the hold, then renewed as if due, and the renewal may be
// replaced again when refused.
func TestARefusedReplacementIsKeptAWhileThenRenewed(t *testing.T) {
	src := &counted{lifetime: time.Hour}
	c := newCredentials(src.password)
	c.hold = 50 * time.Millisecond
	get := func() string {
		t.Helper()
		pw, err := c.get(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return pw
	}
	c.refused(get()) // cred-1
	c.refused(get()) // cred-2, its replacement: kept
	if pw := get(); pw != "cred-2" {
		t.Fatalf("%q right after the replacement was refused, want cred-2 kept", pw)
	}
	// Refused again and again during the hold (every attempt to connect
	// is), it is still renewed when the first hold ends, not held forever.
	for range 5 {
		time.Sleep(c.hold / 5)
		c.refused("cred-2")
	}
	time.Sleep(c.hold / 2)
	if pw := get(); pw != "cred-3" {
		t.Fatalf("%q after the hold, want a new credential", pw)
	}
	c.refused("cred-3") // renewed as if due, so no replacement: dropped
	if pw := get(); pw != "cred-4" {
		t.Errorf("%q after the renewal was refused, want its replacement", pw)
	}
}

// TestAReplacementThatLoggedInIsDroppedWhenRefused: a replacement is held
// when refused only while it has not been seen to work; once a connection
// logged in with it, a later refusal (a real revocation) drops it at once.
func TestAReplacementThatLoggedInIsDroppedWhenRefused(t *testing.T) {
	src := &counted{lifetime: time.Hour}
	c := newCredentials(src.password)
	first, _ := c.get(context.Background())
	c.refused(first)
	second, _ := c.get(context.Background()) // a replacement
	c.loggedIn(second)
	c.refused(second)
	if pw, _ := c.get(context.Background()); pw != "cred-3" {
		t.Errorf("%q after a replacement that had worked was refused, want a new credential", pw)
	}
}

// TestCallersThatWaitedForAFailedFetchShareItsError: connections that waited
// while a credential was asked for, and failed, get that failure rather
// than each asking again in turn; a caller that comes later asks anew.
func TestCallersThatWaitedForAFailedFetchShareItsError(t *testing.T) {
	var calls atomic.Int32
	gate := make(chan struct{})
	c := newCredentials(func(context.Context) (string, time.Time, error) {
		if calls.Add(1) == 1 {
			<-gate // the first fetch fails only once every caller waits
			return "", time.Time{}, errors.New("the workspace is away")
		}
		return "cred", time.Now().Add(time.Hour), nil
	})
	var started, done sync.WaitGroup
	for range 10 {
		started.Add(1)
		done.Go(func() {
			started.Done()
			if _, err := c.get(context.Background()); err == nil {
				t.Error("a credential from the failed fetch")
			}
		})
	}
	started.Wait()
	time.Sleep(50 * time.Millisecond) // each is in get, waiting for the fetch
	close(gate)
	done.Wait()
	if n := calls.Load(); n != 1 {
		t.Errorf("10 callers waiting on a failed fetch asked %d times, want 1", n)
	}
	if pw, err := c.get(context.Background()); err != nil || pw != "cred" {
		t.Errorf("a later caller: %q %v, want a new credential asked for", pw, err)
	}
}

// TestWaitingForACredentialEndsWithTheCaller: a connection waiting for
// another's credential fetch gives up when its own context ends, and a
// refusal met meanwhile (on a query's goroutine) does not wait for the
// fetch at all.
func TestWaitingForACredentialEndsWithTheCaller(t *testing.T) {
	release := make(chan struct{})
	c := newCredentials(func(context.Context) (string, time.Time, error) {
		<-release
		return "cred", time.Now().Add(time.Hour), nil
	})
	go func() { _, _ = c.get(context.Background()) }() // the fetcher, held
	for len(c.fetching) == 0 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	waited := make(chan error, 1)
	go func() { _, err := c.get(ctx); waited <- err }()
	select {
	case err := <-waited:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a waiter whose context ended: %v, want its context's error", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("a waiter whose context ended still waits for the fetch")
	}
	done := make(chan struct{})
	go func() { c.refused("old"); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Error("refused waited for the fetch")
	}
	close(release)
}

// TestANewConnectionsCredentialIsAskedForWithoutTheRequestsValues: pgxpool
// opens a connection with the values of the request that asked for it, in a
// goroutine that may outlive that request; the credential source sees none
// of them, and still ends when the pool's context does.
func TestANewConnectionsCredentialIsAskedForWithoutTheRequestsValues(t *testing.T) {
	type key struct{}
	var seen any
	var ended bool
	cfg, err := poolConfig(Connection{Host: "h", User: "u", Password: func(ctx context.Context) (string, time.Time, error) {
		seen = ctx.Value(key{})
		<-ctx.Done()
		ended = true
		return "cred", time.Time{}, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "the request's"))
	cancel()
	if err := cfg.BeforeConnect(ctx, cfg.ConnConfig.Copy()); err != nil {
		t.Fatal(err)
	}
	if seen != nil || !ended {
		t.Errorf("the credential source saw the value %v (want none) and ended=%v (want true)", seen, ended)
	}
}

func TestDatabaseURLIsNeverQuotedInErrors(t *testing.T) {
	_, err := poolConfig(Connection{URL: "postgres://u:hunter2@host:notaport/db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err %v", err)
	}
}
