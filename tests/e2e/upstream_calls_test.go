package e2e

import (
	"testing"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// Each listing and endpoint read is exactly one call to Databricks, counted
// where it arrives: no identity lookup before it, no client or token set-up
// per request. (The fake pages at 1000 items here, so one page holds each
// demo listing.)
func TestOneUpstreamCallPerRequest(t *testing.T) {
	st := startStack(t, []string{"-page-size", "1000"})
	alice := st.fake.userToken(t, fakeworkspace.Alice)
	st.server.get(t, "/api/user/me", alice) // warm up: host metadata, once per process

	for _, c := range []struct{ path, upstream string }{
		{"/api/unity-catalog/catalogs", "/api/2.1/unity-catalog/catalogs"},
		{"/api/unity-catalog/catalogs/sales/schemas", "/api/2.1/unity-catalog/schemas"},
		{"/api/unity-catalog/catalogs/sales/schemas/orders/tables", "/api/2.1/unity-catalog/tables"},
		{"/api/model-serving/endpoints", "/api/2.0/serving-endpoints"},
		{"/api/model-serving/endpoints/agent-chat", "/api/2.0/serving-endpoints/agent-chat"},
		{"/api/user/me", "/api/2.0/preview/scim/v2/Me"},
	} {
		st.fake.resetRequests(t)
		for range 3 {
			if a := st.server.get(t, c.path, alice); a.Status != 200 {
				t.Fatalf("%s: %d %s", c.path, a.Status, a.Raw)
			}
		}
		reqs := st.fake.requests(t)
		if len(reqs) != 3 {
			t.Errorf("%s: 3 requests made %d calls to Databricks, want 3: %v", c.path, len(reqs), paths(reqs))
			continue
		}
		for _, r := range reqs {
			if r.Path != c.upstream || r.Token != alice {
				t.Errorf("%s: called %s (as %q), want %s as alice", c.path, r.Path, r.UserName, c.upstream)
			}
		}
	}
}

func paths(reqs []fakeworkspace.Request) []string {
	out := make([]string, len(reqs))
	for i, r := range reqs {
		out[i] = r.Method + " " + r.Path
	}
	return out
}
