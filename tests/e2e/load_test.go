package e2e

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

var (
	loadUsers    = flag.Int("load.users", 0, "concurrent users of the load tests (0: 50, or 20 under the race detector)")
	loadDuration = flag.Duration("load.duration", 0, "length of each load phase (0: 3s, or 2s under the race detector)")
)

// loadSize is the size of the load tests: 50 users by default, smaller
// under the race detector (CI), or what the flags say.
func loadSize() (users int, phase time.Duration) {
	users, phase = 50, 3*time.Second
	if raceEnabled {
		users, phase = 20, 2*time.Second
	}
	if *loadUsers > 0 {
		users = *loadUsers
	}
	if *loadDuration > 0 {
		phase = *loadDuration
	}
	return users, phase
}

// loadUser is one user of the load workspace and what only they may see.
type loadUser struct {
	name, token               string
	catalog, schema, endpoint string
}

// markers are the strings only this user's answers may hold.
func (u loadUser) markers() []string {
	return []string{u.name, u.catalog, u.schema, u.endpoint}
}

// loadWorkspace is a fake workspace with n users. Each has a catalog (with a
// schema and a table) and a serving endpoint of their own; all share the
// catalog main. Listings fit in one page.
func loadWorkspace(n int) (*fakeworkspace.Workspace, []loadUser) {
	ws := fakeworkspace.New()
	ws.SetPaging(1000, false)
	ws.AddCatalog(fakeworkspace.Catalog{Name: "main", Schemas: []fakeworkspace.Schema{{Name: "default"}}})
	users := make([]loadUser, n)
	for i := range users {
		u := loadUser{
			name:    fmt.Sprintf("load-%02d@example.com", i),
			catalog: fmt.Sprintf("cat_%02d", i), schema: fmt.Sprintf("sch_%02d", i), endpoint: fmt.Sprintf("ep_%02d", i),
		}
		ws.AddUser(fakeworkspace.User{UserName: u.name, DisplayName: fmt.Sprintf("Load User %02d", i)})
		ws.AddCatalog(fakeworkspace.Catalog{Name: u.catalog, Schemas: []fakeworkspace.Schema{
			{Name: u.schema, Tables: []fakeworkspace.Table{{Name: fmt.Sprintf("tbl_%02d", i)}}},
		}})
		ws.AddEndpoint(fakeworkspace.Endpoint{Name: u.endpoint, Task: "agent/v1/responses"})
		ws.Grant(u.name, "main", u.catalog)
		ws.GrantEndpoint(u.name, u.endpoint)
		u.token = ws.IssueToken(u.name, fakeworkspace.AllScopes...)
		users[i] = u
	}
	return ws, users
}

// connCounter counts a server's open connections through http.Server.ConnState.
type connCounter struct{ open atomic.Int64 }

func (c *connCounter) track(_ net.Conn, s http.ConnState) {
	switch s {
	case http.StateNew:
		c.open.Add(1)
	case http.StateClosed, http.StateHijacked:
		c.open.Add(-1)
	}
}

// loadResult is what a load phase saw.
type loadResult struct {
	mu                          sync.Mutex
	total, serverErrors, errors int
	prefsSkipped                int
	byStatus                    map[int]int
	wrong                       []string
}

func (r *loadResult) add(status int, wrong string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.total++
	r.byStatus[status]++
	if status >= 500 {
		r.serverErrors++
	}
	if err != nil {
		r.errors++
		wrong = err.Error()
	}
	if wrong != "" && len(r.wrong) < 20 {
		r.wrong = append(r.wrong, wrong)
	}
}

// runLoad makes every user send a mixed stream of requests for d: their
// identity, catalogs, a schema listing of their own catalog and of someone
// else's, their endpoints, and preference writes and reads. Each answer is
// checked to hold what this user may see and nothing of any other user.
func runLoad(s *serverProc, users []loadUser, d time.Duration) *loadResult {
	res := &loadResult{byStatus: map[int]int{}}
	deadline := time.Now().Add(d)
	var wg sync.WaitGroup
	for i, u := range users {
		other := users[(i+1)%len(users)]
		wg.Go(func() {
			for n := 0; time.Now().Before(deadline); n++ {
				status, wrong, err := loadStep(s, u, other, users, n)
				if status == -1 {
					res.mu.Lock()
					res.prefsSkipped++
					res.mu.Unlock()
					continue
				}
				res.add(status, wrong, err)
			}
		})
	}
	wg.Wait()
	return res
}

// loadStep sends one request of u's stream and says what is wrong with its
// answer ("" for nothing). Status -1 means preferences are not available
// in this build (503 lakebase_not_configured).
func loadStep(s *serverProc, u, other loadUser, all []loadUser, n int) (int, string, error) {
	var (
		a    answer
		err  error
		want func(answer) string
	)
	names := func(want ...string) func(answer) string {
		return func(a answer) string {
			got := itemNames(a)
			slices.Sort(got)
			if a.Status != 200 || !slices.Equal(got, want) {
				return fmt.Sprintf("%s got %d %v, want %v", u.name, a.Status, got, want)
			}
			return ""
		}
	}
	switch n % 7 {
	case 0:
		a, err = s.try("GET", "/api/user/me", u.token, nil)
		want = func(a answer) string {
			if a.Status != 200 || a.JSON["user_id"] != u.name {
				return fmt.Sprintf("%s got identity %d %v", u.name, a.Status, a.JSON["user_id"])
			}
			return ""
		}
	case 1:
		a, err = s.try("GET", "/api/unity-catalog/catalogs", u.token, nil)
		want = names(u.catalog, "main")
	case 2:
		a, err = s.try("GET", "/api/unity-catalog/catalogs/"+u.catalog+"/schemas", u.token, nil)
		want = names(u.schema)
	case 3:
		a, err = s.try("GET", "/api/unity-catalog/catalogs/"+other.catalog+"/schemas", u.token, nil)
		want = func(a answer) string {
			if a.Status != 403 {
				return fmt.Sprintf("%s reading %s's catalog got %d", u.name, other.name, a.Status)
			}
			return ""
		}
	case 4:
		a, err = s.try("GET", "/api/model-serving/endpoints", u.token, nil)
		want = names(u.endpoint)
	case 5:
		body := fmt.Appendf(nil, `{"value":{"owner":%q,"seq":%d}}`, u.name, n)
		a, err = s.try("PUT", "/api/preferences/load-test", u.token, body)
		want = func(a answer) string {
			if a.Status != 200 || field(a.JSON, "value", "owner") != u.name {
				return fmt.Sprintf("%s put preference: %d %s", u.name, a.Status, a.Raw)
			}
			return ""
		}
	case 6:
		a, err = s.try("GET", "/api/preferences/load-test", u.token, nil)
		want = func(a answer) string {
			if a.Status == 404 { // not written yet by this user
				return ""
			}
			if a.Status != 200 || field(a.JSON, "value", "owner") != u.name {
				return fmt.Sprintf("%s read preference: %d %s", u.name, a.Status, a.Raw)
			}
			return ""
		}
	}
	if err != nil {
		return 0, "", err
	}
	if a.Status == 503 && a.JSON["type"] == "urn:onbehalf:problem:lakebase_not_configured" {
		return -1, "", nil
	}
	if w := want(a); w != "" {
		return a.Status, w, nil
	}
	raw := string(a.Raw)
	for _, o := range all {
		if o.name == u.name {
			continue
		}
		for _, m := range o.markers() {
			if n%7 == 3 && m == other.catalog {
				continue // the 403 names the catalog this user asked for
			}
			if strings.Contains(raw, m) {
				return a.Status, fmt.Sprintf("%s's answer holds %q of %s: %.200s", u.name, m, o.name, raw), nil
			}
		}
	}
	return a.Status, "", nil
}

// openFDs counts a process's open file descriptors (its sockets included).
func openFDs(t *testing.T, pid int) int {
	entries, err := os.ReadDir(filepath.Join("/proc", fmt.Sprint(pid), "fd"))
	if err != nil {
		t.Skipf("cannot count open files of the server: %v", err)
	}
	return len(entries)
}

// settle lets connections the test closed close on the server's side too.
func settle(s *serverProc) {
	s.client.CloseIdleConnections()
	time.Sleep(500 * time.Millisecond)
}

// Load with isolation against the real binary: many users, each with their
// own token, send a mixed stream of requests at once. No answer carries
// another user's data, none is a 5xx, and a second phase of the same load
// leaves the server with no more open files and the workspace with no more
// open connections than the first did: nothing leaks per request.
func TestLoadIsolation(t *testing.T) {
	n, phase := loadSize()
	ws, users := loadWorkspace(n)
	conns := &connCounter{}
	fake := httptest.NewUnstartedServer(ws.Handler())
	fake.Config.ConnState = conns.track
	fake.Start()
	t.Cleanup(fake.Close)
	id, secret := ws.ServicePrincipal()
	env := serverEnv(fake.URL, id, secret)
	env = append(env, "DATABASE_URL="+testDatabase(t))
	s := startServer(t, env)

	warm := runLoad(s, users, 300*time.Millisecond)
	if warm.total == 0 {
		t.Fatal("warm-up sent nothing")
	}
	settle(s)
	var fds, upstream [2]int
	var results [2]*loadResult
	for i := range results {
		results[i] = runLoad(s, users, phase)
		settle(s)
		fds[i], upstream[i] = openFDs(t, s.cmd.Process.Pid), int(conns.open.Load())
	}
	for i, r := range results {
		t.Logf("phase %d: %d users, %d requests in %v (%.0f req/s), by status %v, preferences skipped %d; then %d open files, %d connections to the workspace",
			i+1, n, r.total, phase, float64(r.total)/phase.Seconds(), r.byStatus, r.prefsSkipped, fds[i], upstream[i])
		if len(r.wrong) > 0 || r.serverErrors > 0 || r.errors > 0 {
			t.Errorf("phase %d: %d answers wrong or from another user, %d 5xx, %d transport errors; e.g.:\n%s",
				i+1, len(r.wrong), r.serverErrors, r.errors, strings.Join(r.wrong, "\n"))
		}
		// A count, not a speed: every user must have sent a stream, however
		// slow the machine.
		if r.total < 10*n {
			t.Errorf("phase %d sent only %d requests for %d users: not a load", i+1, r.total, n)
		}
	}
	// The keep-alive pool to the workspace may still be filling after the
	// first phase (one connection per concurrent user at most), so its
	// sockets are counted apart: every other open file must stay level, and
	// the pool within its bound. A leak per request would grow by thousands.
	if other0, other1 := fds[0]-upstream[0], fds[1]-upstream[1]; other1 > other0+5 {
		t.Errorf("open files other than connections to the workspace grew from %d to %d between two equal phases", other0, other1)
	}
	if upstream[1] > 2*n+10 {
		t.Errorf("%d connections to the workspace after phase 2 for %d users", upstream[1], n)
	}
	if bad := s.logsWhere("level", "ERROR"); len(bad) > 0 {
		t.Errorf("the server logged %d errors, e.g. %v", len(bad), bad[0])
	}
}
