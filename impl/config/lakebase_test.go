package config

import (
	"strings"
	"testing"
)

func TestLoadReadsTheLakebaseVariables(t *testing.T) {
	c, err := Load(env(map[string]string{
		"PGHOST": "instance-1.database.example.com", "PGPORT": "5433", "PGDATABASE": "db",
		"PGUSER": "sp-id", "PGSSLMODE": "verify-full", "LAKEBASE_INSTANCE_NAME": "my-instance",
		"DATABASE_URL": "postgres://u:pw@h/db", "APP_MIGRATE": "OFF",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Lakebase{Host: "instance-1.database.example.com", Port: "5433", Database: "db", User: "sp-id", SSLMode: "verify-full", Instance: "my-instance"}
	if c.Lakebase != want || c.Migrate || c.DatabaseURL.Reveal() != "postgres://u:pw@h/db" {
		t.Errorf("got %+v migrate=%v", c.Lakebase, c.Migrate)
	}
	if s := c.DatabaseURL.String(); strings.Contains(s, "pw") {
		t.Errorf("DATABASE_URL prints as %q", s)
	}
}

func TestLoadRefusesBadLakebaseVariables(t *testing.T) {
	tests := []struct{ name, value, want string }{
		{"PGPORT", "fivefourthreetwo", "PGPORT"},
		{"PGPORT", "70000", "PGPORT"},
		{"PGSSLMODE", "always", "PGSSLMODE"},
	}
	for _, tt := range tests {
		_, err := Load(env(map[string]string{tt.name: tt.value}))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s=%s: err %v, want one naming %s", tt.name, tt.value, err, tt.want)
		}
	}
}

// LAKEBASE_ENDPOINT names a Lakebase Autoscaling endpoint by its resource
// path, as app.yaml takes it from the app's postgres resource; it is read
// trimmed, with the PG* variables Databricks Apps injects alongside.
func TestLoadReadsTheLakebaseEndpoint(t *testing.T) {
	const path = "projects/onbehalf/branches/production/endpoints/primary"
	c, err := Load(env(map[string]string{
		"PGHOST": "ep-1.database.example.com", "PGUSER": "sp-id", "LAKEBASE_ENDPOINT": " " + path + "\n",
	}))
	if err != nil {
		t.Fatal(err)
	}
	want := Lakebase{Host: "ep-1.database.example.com", User: "sp-id", Endpoint: path}
	if c.Lakebase != want {
		t.Errorf("got %+v, want %+v", c.Lakebase, want)
	}
}

// An endpoint and an instance name two different databases (Autoscaling,
// Provisioned): the server refuses to start rather than pick one. And a
// value that is not an endpoint's path (a host, a bare name, a URL) is
// refused at start-up, not at the first credential; the error names the
// variable and the shape, never the value.
func TestLoadRefusesABadLakebaseEndpoint(t *testing.T) {
	const path = "projects/onbehalf/branches/production/endpoints/primary"
	_, err := Load(env(map[string]string{"LAKEBASE_ENDPOINT": path, "LAKEBASE_INSTANCE_NAME": "onbehalf-db"}))
	if err == nil || !strings.Contains(err.Error(), "LAKEBASE_ENDPOINT") || !strings.Contains(err.Error(), "LAKEBASE_INSTANCE_NAME") {
		t.Errorf("both set: err %v, want one naming LAKEBASE_ENDPOINT and LAKEBASE_INSTANCE_NAME", err)
	}
	for _, value := range []string{
		"primary",
		"ep-quiet-river-1.database.us-west-2.cloud.databricks.com",
		"https://example.cloud.databricks.com/api/2.0/postgres/" + path,
		"projects/onbehalf/branches/production",
		"projects/onbehalf/branches/production/endpoints/",
		"projects/onbehalf/branches/production/endpoints/primary/extra",
		"projects//branches/production/endpoints/primary",
		"projects/onbehalf/endpoints/primary/branches/production",
		"projects/on behalf/branches/production/endpoints/primary",
		"dapi0123456789abcdef-secret-pasted-here",
	} {
		_, err := Load(env(map[string]string{"LAKEBASE_ENDPOINT": value}))
		if err == nil || !strings.Contains(err.Error(), "LAKEBASE_ENDPOINT must be") || !strings.Contains(err.Error(), "projects/<project>/branches/<branch>/endpoints/<endpoint>") {
			t.Errorf("LAKEBASE_ENDPOINT=%q: err %v, want one naming the variable and the shape", value, err)
			continue
		}
		if strings.Contains(err.Error(), value) {
			t.Errorf("LAKEBASE_ENDPOINT=%q: the error echoes the value: %v", value, err)
		}
	}
	for _, value := range []string{path, "projects/my-app/branches/development/endpoints/ep-cool-dew-a1b2c3"} {
		if _, err := Load(env(map[string]string{"LAKEBASE_ENDPOINT": value})); err != nil {
			t.Errorf("LAKEBASE_ENDPOINT=%q: %v, want accepted", value, err)
		}
	}
}
