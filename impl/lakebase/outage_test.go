package lakebase_test

import (
	"context"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// storeThroughProxy returns a migrated store that reaches its database
// through a proxy the test can cut.
func storeThroughProxy(t *testing.T, timeout time.Duration) (*lakebase.Store, *lakebasetest.Proxy) {
	t.Helper()
	dbURL := lakebasetest.NewDatabase(t)
	u, _ := url.Parse(dbURL)
	proxy := lakebasetest.NewProxy(t, u.Host)
	return lakebasetest.OpenStore(t, lakebase.Connection{URL: proxy.Through(t, dbURL), Timeout: timeout}), proxy
}

// TestStoreIsUnavailableWhileTheDatabaseIsDownAndRecoversByItself: while the
// database is away every operation answers Unavailable; once it is back the
// same store serves again, with every acknowledged write still there.
func TestStoreIsUnavailableWhileTheDatabaseIsDownAndRecoversByItself(t *testing.T) {
	s, proxy := storeThroughProxy(t, lakebase.DefaultTimeout)
	ctx := context.Background()
	for i := range 5 {
		put(t, s, alice, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}

	proxy.Cut()
	wantKind(t, s.Ping(ctx), apperr.Unavailable)
	_, err := s.GetPreference(ctx, alice, "k0")
	wantKind(t, err, apperr.Unavailable)
	_, err = s.PutPreference(ctx, alice, "k9", []byte(`9`))
	wantKind(t, err, apperr.Unavailable)
	_, _, err = s.ListInferenceLogs(ctx, alice, lakebase.Page{Limit: 10})
	wantKind(t, err, apperr.Unavailable)

	proxy.Restore()
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("after the database came back: %v", err)
	}
	for i := range 5 {
		wantValue(t, s, alice, fmt.Sprintf("k%d", i), fmt.Sprint(i))
	}
	put(t, s, alice, "k5", `5`)
	wantValue(t, s, alice, "k5", `5`)
}

// TestStoreWaitIsBoundedWhenTheDatabaseIsSilent: a database that swallows
// every packet makes an operation answer Unavailable after the store's own
// timeout, though the caller's context has none.
func TestStoreWaitIsBoundedWhenTheDatabaseIsSilent(t *testing.T) {
	s, proxy := storeThroughProxy(t, 500*time.Millisecond)
	put(t, s, alice, "k", `1`)
	proxy.Stall()
	defer proxy.Restore()

	done := make(chan error, 1)
	go func() {
		_, err := s.GetPreference(context.Background(), alice, "k")
		done <- err
	}()
	select {
	case err := <-done:
		wantKind(t, err, apperr.Unavailable)
	case <-time.After(30 * time.Second):
		t.Fatal("the operation still waits on a silent database: the wait is not bounded")
	}
	proxy.Restore()
	wantValue(t, s, alice, "k", `1`)
}

// TestFirstRequestAfterTheDatabaseCameBackSucceeds: the connections that
// died during an outage nobody noticed are left in the pool; the first
// operation afterwards must not fail on them.
func TestFirstRequestAfterTheDatabaseCameBackSucceeds(t *testing.T) {
	s, proxy := storeThroughProxy(t, lakebase.DefaultTimeout)
	put(t, s, alice, "k", `1`)
	proxy.Cut()
	proxy.Restore()
	wantValue(t, s, alice, "k", `1`)
	put(t, s, alice, "k", `2`)
}
