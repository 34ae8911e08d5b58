package databricks_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/fakeworkspace"
)

// TestTheLakebaseInstanceIsFoundByItsHost: on Databricks Apps PGHOST is the
// instance's DNS name (instance-<uid>.database.cloud.databricks.com), not
// its name; the name is found in the instances' listing, page by page, as
// the service principal, by the read-write or read-only DNS name. A host no
// instance has is NotFound, never a guessed name.
func TestTheLakebaseInstanceIsFoundByItsHost(t *testing.T) {
	ws, c := newWithServicePrincipal(t, fakeworkspace.DemoClientSecret)
	ws.SetPaging(1, true) // the demo instance is on a later page, after empty ones
	ws.AddDatabaseInstance(fakeworkspace.DatabaseInstance{Name: "analytics"})
	ws.AddDatabaseInstance(fakeworkspace.DatabaseInstance{Name: "reporting", ReadOnlyDNS: "instance-ro-7.database.cloud.databricks.com"})
	ctx := context.Background()

	for _, tc := range []struct{ host, want string }{
		{fakeworkspace.DemoDatabaseHost, fakeworkspace.DemoDatabaseInstance},
		{strings.ToUpper(fakeworkspace.DemoDatabaseHost), fakeworkspace.DemoDatabaseInstance},
		{"instance-ro-7.database.cloud.databricks.com", "reporting"},
	} {
		got, err := c.App.DatabaseInstanceByHost(ctx, tc.host)
		if err != nil || got != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.host, got, err, tc.want)
		}
	}
	for _, host := range []string{"instance-00000000-0000-4000-8000-000000000000.database.cloud.databricks.com", ""} {
		got, err := c.App.DatabaseInstanceByHost(ctx, host)
		if apperr.KindOf(err) != apperr.NotFound {
			t.Errorf("host %q no instance has: %q, %v; want NotFound", host, got, err)
		}
	}
	for _, r := range ws.RequestsTo("/api/2.0/database/instances") {
		if r.UserName != fakeworkspace.DemoClientID {
			t.Errorf("the instances were listed as %q, want the service principal", r.UserName)
		}
	}

	ws.InjectFault(fakeworkspace.Fault{Path: "/api/2.0/database/instances", Status: http.StatusForbidden})
	if _, err := c.App.DatabaseInstanceByHost(ctx, fakeworkspace.DemoDatabaseHost); apperr.KindOf(err) != apperr.Forbidden {
		t.Errorf("listing refused: %v, want Forbidden", err)
	}
}
