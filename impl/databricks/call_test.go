package databricks_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
)

// TestAnAnswerThatIsNotJSONIsAnUpstreamFailure: a 200 whose body is not the
// JSON expected (a proxy's HTML page) is Databricks failing, retried on the
// policy and then a 502, never a 500 of ours.
func TestAnAnswerThatIsNotJSONIsAnUpstreamFailure(t *testing.T) {
	var attempts atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		attempts.Add(1)
		w.Header().Set("Content-Type", "text/html")
		_, _ = w.Write([]byte("<html>502 from a proxy</html>"))
	}))
	t.Cleanup(srv.Close)
	c, err := databricks.New(databricks.Options{Host: srv.URL}, databricks.ServicePrincipal{})
	if err != nil {
		t.Fatal(err)
	}
	for name, call := range map[string]func() error{
		"identity": func() error { _, err := c.User.CurrentUser(as("tok")); return err },
		"catalogs": func() error { _, _, err := c.User.ListCatalogs(as("tok"), databricks.Window{Limit: 10}); return err },
	} {
		attempts.Store(0)
		if err := call(); apperr.KindOf(err) != apperr.Upstream {
			t.Errorf("%s: err %v, want Upstream", name, err)
		}
		if n := attempts.Load(); n != 4 {
			t.Errorf("%s: %d attempts, want 4 (retried on the policy)", name, n)
		}
	}
}
