package fakeworkspace_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/databricks/databricks-sdk-go/service/catalog"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

func TestRequestLogRecordsEachRequestsToken(t *testing.T) {
	ws, host := newDemo(t)
	alice := ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...)
	bob := ws.IssuePAT(fakeworkspace.Bob)
	ws.ResetRequests()

	call(t, "GET", host+mePath, alice, nil)
	call(t, "GET", host+"/api/2.1/unity-catalog/schemas?catalog_name=main&max_results=1", bob, nil)
	call(t, "POST", host+"/serving-endpoints/agent-chat/invocations", alice, map[string]any{"input": []map[string]string{{"role": "user", "content": "hi"}}})
	call(t, "GET", host+mePath, "not-a-token", nil)
	call(t, "GET", host+mePath, "", nil)

	reqs := ws.Requests()
	want := []struct{ method, path, query, token, user, body string }{
		{"GET", mePath, "", alice, fakeworkspace.Alice, ""},
		{"GET", "/api/2.1/unity-catalog/schemas", "catalog_name=main&max_results=1", bob, fakeworkspace.Bob, ""},
		{"POST", "/serving-endpoints/agent-chat/invocations", "", alice, fakeworkspace.Alice, `{"input":[{"content":"hi","role":"user"}]}`},
		{"GET", mePath, "", "not-a-token", "", ""},
		{"GET", mePath, "", "", "", ""},
	}
	if len(reqs) != len(want) {
		t.Fatalf("%d requests logged, want %d", len(reqs), len(want))
	}
	for i, w := range want {
		r := reqs[i]
		got := struct{ method, path, query, token, user, body string }{r.Method, r.Path, r.RawQuery, r.Token, r.UserName, string(r.Body)}
		if got != w {
			t.Errorf("request %d = %+v, want %+v", i, got, w)
		}
		if i > 0 && r.Time.Before(reqs[i-1].Time) {
			t.Errorf("request %d logged out of order", i)
		}
	}
	if reqs[0].Header.Get("Authorization") != "Bearer "+alice {
		t.Errorf("header %v", reqs[0].Header)
	}
	if got := ws.RequestsTo("/api/2.1/"); len(got) != 1 || got[0].Token != bob {
		t.Errorf("RequestsTo = %v", got)
	}

	reqs[0].Path = "changed"
	if ws.Requests()[0].Path != mePath {
		t.Error("Requests returned the log itself, not a copy")
	}
	ws.ResetRequests()
	if n := len(ws.Requests()); n != 0 {
		t.Errorf("%d requests after ResetRequests", n)
	}
}

// TestConcurrentUse fires many requests from SDK clients of both users at
// once while the test changes the workspace, and checks that every answer
// and every log entry belongs to the token that was sent. Run with -race.
func TestConcurrentUse(t *testing.T) {
	ws, host := newDemo(t)
	ws.SetPaging(1, true)
	ctx := context.Background()
	type who struct {
		user     string
		token    string
		catalogs int
	}
	users := []who{
		{fakeworkspace.Alice, ws.IssueToken(fakeworkspace.Alice, fakeworkspace.AllScopes...), 3},
		{fakeworkspace.Bob, ws.IssueToken(fakeworkspace.Bob, fakeworkspace.AllScopes...), 2},
	}
	ws.ResetRequests()

	const workers = 16
	var wg sync.WaitGroup
	errs := make(chan error, workers*2)
	for i := range workers {
		u := users[i%2]
		client := patClient(t, host, u.token)
		wg.Go(func() {
			for range 5 {
				me, err := client.CurrentUser.Me(ctx)
				if err != nil || me.UserName != u.user {
					errs <- fmt.Errorf("%s got Me %v, %v", u.user, me, err)
					return
				}
				cats, err := client.Catalogs.ListAll(ctx, catalog.ListCatalogsRequest{})
				if err != nil || len(cats) != u.catalogs {
					errs <- fmt.Errorf("%s got %d catalogs, %v", u.user, len(cats), err)
					return
				}
			}
		})
	}
	// Meanwhile, change the workspace and read its state.
	wg.Go(func() {
		for i := range 50 {
			ws.InjectFault(fakeworkspace.Fault{Path: "/nowhere", Status: 500})
			ws.IssueToken(fakeworkspace.Alice)
			ws.AddEndpoint(fakeworkspace.Endpoint{Name: fmt.Sprintf("ep-%d", i)})
			_ = ws.Requests()
			_ = ws.DatabaseCredentials()
			ws.ClearFaults()
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	byToken := map[string]string{users[0].token: users[0].user, users[1].token: users[1].user}
	n := 0
	for _, r := range ws.RequestsTo("/api/") {
		n++
		if want := byToken[r.Token]; r.UserName != want || want == "" {
			t.Errorf("%s logged as %q with the token of %q", r.Path, r.UserName, want)
		}
	}
	// Me, then catalogs one per page with an empty page after each:
	// alice 1+6 requests, bob 1+4, five rounds each.
	if want := workers / 2 * 5 * (7 + 5); n != want {
		t.Errorf("%d API requests logged, want %d", n, want)
	}
}
