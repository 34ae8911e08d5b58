package httpapi

import (
	"net/http"

	"github.com/onbehalf/onbehalf/impl/observe"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// labelRoute records the route pattern and operation of each API request
// before it is validated, so that a request refused as invalid is still
// reported (logs, metrics) under its operation, and one that matches no
// operation under observe.Unmatched, never under its raw path.
func labelRoute(routes *http.ServeMux, ops map[string]operation) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			meta := reqctx.MetaFrom(r.Context())
			_, pattern := routes.Handler(r)
			if op, ok := ops[pattern]; ok {
				meta.Route, meta.Operation = pattern, op.ID
			} else {
				meta.Route = observe.Unmatched
			}
			next.ServeHTTP(w, r)
		})
	}
}
