package config

import (
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// env is a getenv over a map, so tests never read the real environment.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestLoadDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 8000 || c.UpstreamTimeout != 30*time.Second || c.InvokeTimeout != 120*time.Second ||
		c.LogLevel != slog.LevelInfo || !c.Migrate || c.Local || c.SPFallback || !c.Demo() || c.OnDatabricksApps() {
		t.Errorf("defaults: %+v", c)
	}
}

func TestLoadReadsEachSetting(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DATABRICKS_APP_PORT":      "0",
		"DATABRICKS_HOST":          " https://adb-1.azuredatabricks.net/ ",
		"DATABRICKS_CLIENT_ID":     "client",
		"DATABRICKS_CLIENT_SECRET": "s3cret-value",
		"APP_ENV":                  "local",
		"DATABRICKS_USER_TOKEN":    "dapi-user",
		"APP_SP_FALLBACK":          "true",
		"APP_UPSTREAM_TIMEOUT":     "2s",
		"APP_INVOKE_TIMEOUT":       "3m",
		"APP_MIGRATE":              "OFF",
		"LOG_LEVEL":                "debug",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Port != 0 || c.Host != "https://adb-1.azuredatabricks.net" || c.ClientID != "client" ||
		c.ClientSecret.Reveal() != "s3cret-value" || !c.Local || c.UserToken.Reveal() != "dapi-user" || !c.SPFallback ||
		c.UpstreamTimeout != 2*time.Second || c.InvokeTimeout != 3*time.Minute || c.Migrate || c.LogLevel != slog.LevelDebug {
		t.Errorf("loaded: %+v", c)
	}
}

// The local-development switches let a request act as someone other than
// its own user; on Databricks Apps (DATABRICKS_APP_NAME set) the server must
// refuse to start with any of them.
func TestLoadRefusesUnsafeSettings(t *testing.T) {
	onApps := map[string]string{"DATABRICKS_APP_NAME": "my-app", "DATABRICKS_HOST": "https://h"}
	with := func(base map[string]string, kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := []struct {
		name string
		vars map[string]string
		want string
	}{
		{"local env on Databricks Apps", with(onApps, "APP_ENV", "local"), "APP_ENV=local is refused on Databricks Apps"},
		{"user token on Databricks Apps", with(onApps, "DATABRICKS_USER_TOKEN", "dapi-x"), "DATABRICKS_USER_TOKEN is refused on Databricks Apps"},
		{"SP fallback on Databricks Apps", with(onApps, "APP_SP_FALLBACK", "true"), "APP_SP_FALLBACK is refused on Databricks Apps"},
		{"no host on Databricks Apps", with(nil, "DATABRICKS_APP_NAME", "my-app"), "DATABRICKS_HOST must be set"},
		{"user token outside local", with(nil, "DATABRICKS_USER_TOKEN", "dapi-x"), "only used with APP_ENV=local"},
		{"SP fallback outside local", with(nil, "APP_SP_FALLBACK", "true"), "only allowed with APP_ENV=local"},
		{"SP fallback without credentials", with(nil, "APP_ENV", "local", "APP_SP_FALLBACK", "true", "DATABRICKS_HOST", "https://h"), "needs DATABRICKS_CLIENT_ID"},
		{"bad port", with(nil, "DATABRICKS_APP_PORT", "http"), "DATABRICKS_APP_PORT"},
		{"port out of range", with(nil, "DATABRICKS_APP_PORT", "70000"), "DATABRICKS_APP_PORT"},
		{"bad APP_ENV", with(nil, "APP_ENV", "staging"), "APP_ENV must be"},
		{"bad fallback flag", with(nil, "APP_SP_FALLBACK", "maybe"), "APP_SP_FALLBACK must be"},
		{"bad migrate switch", with(nil, "APP_MIGRATE", "skip"), "APP_MIGRATE must be on or off"},
		{"bad metrics switch", with(nil, "APP_METRICS_PER_USER", "none"), "APP_METRICS_PER_USER must be on or off"},
		{"bad timeout", with(nil, "APP_UPSTREAM_TIMEOUT", "30"), "APP_UPSTREAM_TIMEOUT"},
		{"negative timeout", with(nil, "APP_INVOKE_TIMEOUT", "-1s"), "APP_INVOKE_TIMEOUT"},
		{"bad log level", with(nil, "LOG_LEVEL", "loud"), "LOG_LEVEL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(env(tc.vars))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err %v, want one containing %q", err, tc.want)
			}
		})
	}
}

// TestSwitchesReadEitherWay: every on/off setting takes the same words, so
// APP_MIGRATE=false does what it says.
func TestSwitchesReadEitherWay(t *testing.T) {
	for _, v := range []struct {
		value string
		want  bool
	}{{"off", false}, {"false", false}, {"No", false}, {"0", false}, {"on", true}, {"TRUE", true}, {"yes", true}, {"1", true}} {
		c, err := Load(env(map[string]string{"APP_MIGRATE": v.value, "APP_METRICS_PER_USER": v.value, "APP_ENV": "local", "APP_SP_FALLBACK": v.value}))
		if err != nil {
			t.Fatalf("%s: %v", v.value, err)
		}
		if c.Migrate != v.want || c.MetricsPerUser != v.want || c.SPFallback != v.want {
			t.Errorf("%s: migrate %v, per-user metrics %v, fallback %v; want all %v", v.value, c.Migrate, c.MetricsPerUser, c.SPFallback, v.want)
		}
	}
}

func TestLoadNamesEveryProblemAtOnce(t *testing.T) {
	_, err := Load(env(map[string]string{"DATABRICKS_APP_PORT": "x", "LOG_LEVEL": "loud", "APP_ENV": "staging"}))
	for _, want := range []string{"DATABRICKS_APP_PORT", "LOG_LEVEL", "APP_ENV"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err %v does not name %s", err, want)
		}
	}
}

func TestSecretsNeverPrint(t *testing.T) {
	c, err := Load(env(map[string]string{
		"DATABRICKS_CLIENT_SECRET": "client-secret-value", "APP_ENV": "local",
		"DATABRICKS_USER_TOKEN": "user-token-value", "DATABASE_URL": "postgres://u:db-password-value@h/d",
	}))
	if err != nil {
		t.Fatal(err)
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "%v %+v %#v %s %q %x %X", c, c, c, c.ClientSecret, c.ClientSecret, c.UserToken, c.DatabaseURL)
	slog.New(slog.NewJSONHandler(&sb, nil)).Info("config", "config", c, "secret", c.ClientSecret)
	slog.New(slog.NewTextHandler(&sb, nil)).Info("config", "secret", c.UserToken)
	for _, secret := range []string{"client-secret-value", "user-token-value", "db-password-value"} {
		if strings.Contains(sb.String(), secret) {
			t.Errorf("%q printed: %s", secret, sb.String())
		}
	}
}
