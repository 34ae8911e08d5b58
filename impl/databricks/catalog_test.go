package databricks_test

import (
	"context"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestAListingTakesNoLongerThanOneCall: a listing reads as many upstream
// pages as its window needs, and each page is a call under the retry
// policy; the whole listing is still bounded by the policy's Longest, the
// bound the front end's timeout is derived from. Here every page of one
// item (with an empty page after each, as Databricks may answer) takes
// 250 ms and Longest is 400 ms: a listing of 6 to 8 pages would take 1.5 to
// 2 s page by page. It ends instead with a Timeout (504), having started no
// more than the 2 calls that fit in 400 ms. A client that goes away during
// a listing is still Canceled (499), not a Timeout.
func TestAListingTakesNoLongerThanOneCall(t *testing.T) {
	ws := fakeworkspace.Demo()
	ws.SetPaging(1, true)
	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.1/unity-catalog/*", Delay: 250 * time.Millisecond})
	srv := httptest.NewServer(ws.Handler())
	t.Cleanup(srv.Close)
	policy := databricks.RetryPolicy{Waits: []time.Duration{10 * time.Millisecond}, Budget: 100 * time.Millisecond, AttemptTimeout: 300 * time.Millisecond}
	clients, err := databricks.New(databricks.Options{Host: srv.URL, Retry: policy}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	c := clients.User
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	all := databricks.Window{Limit: 100}
	listings := []struct {
		name, path string
		list       func(ctx context.Context) error
	}{
		{"catalogs", "/api/2.1/unity-catalog/catalogs", func(ctx context.Context) error {
			_, _, err := c.ListCatalogs(ctx, all)
			return err
		}},
		{"schemas", "/api/2.1/unity-catalog/schemas", func(ctx context.Context) error {
			_, _, err := c.ListSchemas(ctx, "sales", all)
			return err
		}},
		{"tables", "/api/2.1/unity-catalog/tables", func(ctx context.Context) error {
			_, _, err := c.ListTables(ctx, "sales", "orders", all)
			return err
		}},
	}
	for _, l := range listings {
		t.Run(l.name, func(t *testing.T) {
			ws.ResetRequests()
			start := time.Now()
			err := l.list(as(tok))
			took := time.Since(start)
			if e := apperr.As(err); e == nil || e.Kind != apperr.Timeout || e.Detail != "Databricks did not answer in time." {
				t.Errorf("err %v, want a Timeout once Longest (%v) has passed", err, policy.Longest())
			}
			if n := len(ws.RequestsTo(l.path)); n > 2 {
				t.Errorf("%d upstream calls, want at most 2: no page is asked for once the listing's time is up", n)
			}
			// Loosely: far under the 6 × 400 ms the pages could take one by one.
			if took > 3*policy.Longest() {
				t.Errorf("the listing took %v, want about %v", took, policy.Longest())
			}
		})
	}

	t.Run("a client that goes away is Canceled", func(t *testing.T) {
		ctx, leave := context.WithCancel(as(tok))
		time.AfterFunc(100*time.Millisecond, leave)
		if _, _, err := c.ListCatalogs(ctx, all); apperr.KindOf(err) != apperr.Canceled {
			t.Fatalf("err %v, want Canceled", err)
		}
	})
}

// TestATableListingLeavesOutColumnsAndProperties: a table listing asks
// Databricks to leave out what it does not show, each table's columns and
// properties, which Databricks sends unless told not to (omit_columns and
// omit_properties are off by default): with wide tables, a page of 1000
// could run past the 32 MiB a call reads.
func TestATableListingLeavesOutColumnsAndProperties(t *testing.T) {
	ws, c := setup(t)
	tok := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	if _, _, err := c.ListTables(as(tok), "main", "default", databricks.Window{Limit: 10}); err != nil {
		t.Fatal(err)
	}
	reqs := ws.RequestsTo("/api/2.1/unity-catalog/tables")
	if len(reqs) == 0 {
		t.Fatal("no table listing reached the workspace")
	}
	q, err := url.ParseQuery(reqs[0].RawQuery)
	if err != nil || q.Get("omit_columns") != "true" || q.Get("omit_properties") != "true" || q.Has("omit_username") {
		t.Errorf("query %q: want omit_columns and omit_properties true, and the owner kept", reqs[0].RawQuery)
	}
}
