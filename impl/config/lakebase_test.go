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
