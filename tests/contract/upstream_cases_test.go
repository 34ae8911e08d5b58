package contract

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// upstreamOp is an operation that calls Databricks, and the upstream path
// its call goes to.
type upstreamOp struct {
	name, method, path, body, upstream string
}

// upstreamOps are the operations of the user, Unity Catalog and Model
// Serving domains, each with a request that succeeds for alice.
var upstreamOps = []upstreamOp{
	{name: "catalogs", method: "GET", path: "/api/unity-catalog/catalogs", upstream: "/api/2.1/unity-catalog/catalogs"},
	{name: "schemas", method: "GET", path: "/api/unity-catalog/catalogs/sales/schemas", upstream: "/api/2.1/unity-catalog/schemas"},
	{name: "tables", method: "GET", path: "/api/unity-catalog/catalogs/sales/schemas/orders/tables", upstream: "/api/2.1/unity-catalog/tables"},
	{name: "endpoints", method: "GET", path: "/api/model-serving/endpoints", upstream: "/api/2.0/serving-endpoints"},
	{name: "endpoint", method: "GET", path: "/api/model-serving/endpoints/agent-chat", upstream: "/api/2.0/serving-endpoints/agent-chat"},
	{name: "invoke", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations",
		body: `{"input":[{"role":"user","content":"hello"}]}`, upstream: "/serving-endpoints/agent-chat/invocations"},
	{name: "workspace", method: "GET", path: "/api/user/me/workspace", upstream: "/api/2.0/preview/scim/v2/Me"},
}

// upstreamFailureCases are, for every operation that calls Databricks, the
// answers the contract promises when Databricks fails: no token and a token
// Databricks rejects (401), rate limiting passed on with Retry-After (429),
// a failure that outlasts the retry policy (502) and an attempt that runs
// out of time (504).
func upstreamFailureCases(f *fixture) []contractCase {
	fault := func(fl fakeworkspace.Fault) func(*testing.T) {
		return func(t *testing.T) { f.ws.InjectFault(fl); t.Cleanup(f.ws.ClearFaults) }
	}
	var out []contractCase
	for _, op := range upstreamOps {
		base := contractCase{method: op.method, path: op.path, body: op.body}
		with := func(name string, c contractCase) contractCase {
			c.name, c.method, c.path, c.body = op.name+" "+name, base.method, base.path, base.body
			return c
		}
		out = append(out,
			with("without a token", contractCase{want: 401, check: wantField("urn:onbehalf:problem:missing_token", "type")}),
			with("with a token Databricks rejects", contractCase{token: f.unknownToken, want: 401, check: wantField("urn:onbehalf:problem:upstream_401", "type")}),
			with("rate limited", contractCase{token: f.alice, want: 429,
				setup: fault(fakeworkspace.Fault{Path: op.upstream, Status: 429, RetryAfter: "11"}),
				check: func(_ map[string]any, r *http.Response) error {
					if r.Header.Get("Retry-After") != "11" {
						return fmt.Errorf("Retry-After %q, want Databricks' 11 passed on", r.Header.Get("Retry-After"))
					}
					return nil
				}}),
			with("upstream failing", contractCase{token: f.alice, want: 502,
				setup: fault(fakeworkspace.Fault{Path: op.upstream, Status: 500})}),
			with("upstream too slow", contractCase{token: f.alice, want: 504,
				setup: fault(fakeworkspace.Fault{Path: op.upstream, Delay: time.Second})}),
		)
	}
	bigContent := strings.Repeat("x", 32768)
	bigInput := strings.TrimSuffix(strings.Repeat(`{"role":"user","content":"`+bigContent+`"},`, 40), ",")
	out = append(out,
		contractCase{name: "endpoint with a bad name", method: "GET", path: "/api/model-serving/endpoints/bad.name", token: f.alice, want: 400, check: wantBadField("endpoint_name")},
		contractCase{name: "invoke a missing endpoint", method: "POST", path: "/api/model-serving/endpoints/nope/invocations", token: f.alice,
			body: `{"input":[{"role":"user","content":"hello"}]}`, want: 404},
		contractCase{name: "invoke with a body over the limit", method: "POST", path: "/api/model-serving/endpoints/agent-chat/invocations", token: f.alice,
			body: `{"input":[` + bigInput + `]}`, want: 413},
		contractCase{name: "tables of an ungranted catalog", method: "GET", path: "/api/unity-catalog/catalogs/hr/schemas/payroll/tables", token: f.alice, want: 403},
		contractCase{name: "tables with a bad limit", method: "GET", path: "/api/unity-catalog/catalogs/sales/schemas/orders/tables?limit=1000", token: f.alice, want: 400, check: wantBadField("limit")},
	)
	return out
}
