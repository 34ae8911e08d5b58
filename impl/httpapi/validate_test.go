package httpapi_test

import (
	"strings"
	"testing"
)

// TestValidation: a request is validated against its operation (its own
// parameters, with path parameters in the route), each bad parameter named,
// and one that matches no operation says whether the path or only the
// method is unknown.
func TestValidation(t *testing.T) {
	srv := webServer(t, nil)
	for _, tc := range []struct {
		name, method, path string
		status             int
		says               []string
	}{
		{"valid: on to authentication", "GET", "/api/unity-catalog/catalogs?limit=5", 401, []string{"missing_token"}},
		{"a bad query parameter", "GET", "/api/unity-catalog/catalogs?limit=abc", 400, []string{"invalid_request", "query limit"}},
		{"out of range, with a path parameter", "GET", "/api/unity-catalog/catalogs/main/schemas/default/tables?limit=101&offset=-1", 400,
			[]string{"invalid_request", "query limit", "query offset"}},
		{"valid, with path parameters", "GET", "/api/unity-catalog/catalogs/main/schemas/default/tables?offset=3", 401, []string{"missing_token"}},
		{"a path with no operation", "GET", "/api/unity-catalog/nothing", 404, []string{"no_such_path"}},
		{"a method the path does not have", "DELETE", "/api/unity-catalog/catalogs", 404, []string{"no_such_operation"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := fetch(t, tc.method, srv.URL+tc.path)
			if resp.StatusCode != tc.status {
				t.Fatalf("%s %s: %d %s, want %d", tc.method, tc.path, resp.StatusCode, body, tc.status)
			}
			for _, s := range tc.says {
				if !strings.Contains(body, s) {
					t.Errorf("%s %s: %s, want it to say %q", tc.method, tc.path, body, s)
				}
			}
		})
	}
}
