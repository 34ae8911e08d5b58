package lakebase_test

import (
	"context"
	"fmt"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// TestALoginRefusedForGoodAsksForFewCredentials: when Postgres refuses
// every login (the service principal's role is missing, or may not log
// in), the refused credential is replaced once; the replacement, refused in
// turn, is kept. Probes and requests get 503s without asking the workspace
// for a credential at each attempt to connect.
func TestALoginRefusedForGoodAsksForFewCredentials(t *testing.T) {
	store, proxy, calls := throughCheckingProxy(t, func(string) bool { return false })
	ctx := context.Background()
	for range 10 {
		if err := store.Ping(ctx); err == nil {
			t.Fatal("a ping logged in through a proxy that refuses every login")
		}
	}
	for range 10 {
		if _, err := store.GetPreference(ctx, "alice@example.com", "theme"); apperr.KindOf(err) != apperr.Unavailable {
			t.Fatalf("a read: %v, want Unavailable", err)
		}
	}
	if _, refused := proxy.Logins(); refused < 20 {
		t.Errorf("%d logins refused, want one per attempt at least (20)", refused)
	}
	if n := calls.Load(); n != 2 {
		t.Errorf("20 attempts to log in asked for %d credentials, want 2 (the first, and one replacement)", n)
	}
}

// TestARefusedCredentialIsReplacedAtTheFirstRequest: Postgres refusing a
// login with the shared credential (expired early, or revoked) drops it, and
// the same request logs in with a new one.
func TestARefusedCredentialIsReplacedAtTheFirstRequest(t *testing.T) {
	store, proxy, calls := throughCheckingProxy(t, func(pw string) bool { return pw != "cred-1" })
	if _, err := store.GetPreference(context.Background(), "alice@example.com", "theme"); apperr.KindOf(err) != apperr.NotFound {
		t.Fatalf("the first read: %v, want NotFound (logged in, no such key)", err)
	}
	if accepted, refused := proxy.Logins(); refused != 1 || accepted < 1 || calls.Load() != 2 {
		t.Errorf("logins accepted %d, refused %d, credentials %d; want cred-1 refused once, then cred-2", accepted, refused, calls.Load())
	}
}

// throughCheckingProxy returns a store on a new, migrated database, reached
// as the service principal through a proxy whose login check is valid, with
// credentials cred-1, cred-2, ... counted in calls.
func throughCheckingProxy(t *testing.T, valid func(password string) bool) (*lakebase.Store, *lakebasetest.Proxy, *atomic.Int32) {
	t.Helper()
	dbURL := lakebasetest.NewDatabase(t)
	lakebasetest.OpenStore(t, lakebase.Connection{URL: dbURL}) // migrated directly
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := lakebasetest.NewProxy(t, u.Host)
	proxy.RequirePassword(valid)
	through, err := url.Parse(proxy.Through(t, dbURL))
	if err != nil {
		t.Fatal(err)
	}
	calls := &atomic.Int32{}
	store, err := lakebase.Open(lakebase.Connection{
		Host: through.Hostname(), Port: through.Port(), Database: u.Path[1:], User: u.User.Username(), SSLMode: "disable",
		Password: func(context.Context) (string, time.Time, error) {
			return fmt.Sprintf("cred-%d", calls.Add(1)), time.Now().Add(time.Hour), nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	return store, proxy, calls
}
