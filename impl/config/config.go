// Package config reads the server's configuration once, from the
// environment, into a typed Config. Secrets are of type Secret, which never
// prints its value.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Secret is a string that is never printed: not by fmt (whatever the verb),
// not by slog, not as JSON.
type Secret string

// String hides the value.
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return "<redacted>"
}

// Format hides the value from every fmt verb: with String alone, %#v and
// %x would print it.
func (s Secret) Format(f fmt.State, _ rune) { _, _ = io.WriteString(f, s.String()) }

// LogValue hides the value from slog.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText hides the value from encoders.
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// Reveal returns the value, for the one place that must use it.
func (s Secret) Reveal() string { return string(s) }

// Config is the server's configuration.
type Config struct {
	// Port is the listen port (DATABRICKS_APP_PORT, default 8000; 0 picks a free one).
	Port int
	// ListenHost is the address listened on (APP_LISTEN_HOST): by default
	// loopback only (127.0.0.1) in local development and the demo, which
	// answer requests without a token as the developer, the service
	// principal or the demo's users; every interface ("") otherwise, as
	// Databricks Apps' proxy needs.
	ListenHost string
	// Host is the workspace URL (DATABRICKS_HOST). Empty starts the demo mode.
	Host string
	// ClientID and ClientSecret are the app's service principal
	// (DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET), set by Databricks Apps.
	ClientID     string
	ClientSecret Secret
	// AppName is DATABRICKS_APP_NAME, set only on Databricks Apps.
	AppName string
	// Local is APP_ENV=local: local development rules apply.
	Local bool
	// UserToken is DATABRICKS_USER_TOKEN: in local development, the token of
	// requests that come without the header.
	UserToken Secret
	// SPFallback is APP_SP_FALLBACK=true: in local development, requests
	// without any user token use the app's service principal.
	SPFallback bool
	// LogLevel is LOG_LEVEL (debug, info, warn, error; default info).
	LogLevel slog.Level
	// UpstreamTimeout bounds one Databricks call (APP_UPSTREAM_TIMEOUT, default 30s).
	UpstreamTimeout time.Duration
	// InvokeTimeout bounds one agent invocation (APP_INVOKE_TIMEOUT, default 120s).
	InvokeTimeout time.Duration
	// DatabaseURL is DATABASE_URL: a Postgres URL used as given (local development, tests).
	DatabaseURL Secret
	// Lakebase is the Lakebase instance as Databricks Apps injects it, used
	// when DatabaseURL is empty.
	Lakebase Lakebase
	// Migrate is false when APP_MIGRATE=off.
	Migrate bool
	// MetricsPerUser is false when APP_METRICS_PER_USER=off: no
	// auth_requests_by_user metric, whose series grow with the users.
	MetricsPerUser bool
}

// Lakebase is a Lakebase instance reached as the app's service principal.
// It holds no password: the service principal asks for the credential.
type Lakebase struct {
	Host     string // PGHOST; empty: no Lakebase instance
	Port     string // PGPORT (default 5432)
	Database string // PGDATABASE (default databricks_postgres)
	User     string // PGUSER: the service principal's Postgres role (default DATABRICKS_CLIENT_ID)
	SSLMode  string // PGSSLMODE (default require)
	// Instance is LAKEBASE_INSTANCE_NAME, the instance the credentials are
	// asked for; when empty, the instance whose DNS name is PGHOST. It is
	// Lakebase Provisioned's, and not used with Endpoint.
	Instance string
	// Endpoint is LAKEBASE_ENDPOINT, the resource path
	// (projects/<id>/branches/<id>/endpoints/<id>) of a Lakebase Autoscaling
	// endpoint, which app.yaml takes from the app's postgres resource. When
	// set, the credentials are asked for that endpoint, and no instance.
	Endpoint string
}

// OnDatabricksApps reports whether the server runs on Databricks Apps.
func (c Config) OnDatabricksApps() bool { return c.AppName != "" }

// Demo reports whether the server runs the demo: no workspace configured.
func (c Config) Demo() bool { return c.Host == "" }

// Load reads the configuration through getenv and checks that it is safe:
// the local-development switches are refused on Databricks Apps.
func Load(getenv func(string) string) (Config, error) {
	c := Config{
		Host:         strings.TrimRight(strings.TrimSpace(getenv("DATABRICKS_HOST")), "/"),
		ClientID:     getenv("DATABRICKS_CLIENT_ID"),
		ClientSecret: Secret(getenv("DATABRICKS_CLIENT_SECRET")),
		AppName:      getenv("DATABRICKS_APP_NAME"),
		UserToken:    Secret(strings.TrimSpace(getenv("DATABRICKS_USER_TOKEN"))),
		DatabaseURL:  Secret(getenv("DATABASE_URL")),
		Lakebase: Lakebase{
			Host:     strings.TrimSpace(getenv("PGHOST")),
			Port:     strings.TrimSpace(getenv("PGPORT")),
			Database: strings.TrimSpace(getenv("PGDATABASE")),
			User:     strings.TrimSpace(getenv("PGUSER")),
			SSLMode:  strings.TrimSpace(getenv("PGSSLMODE")),
			Instance: strings.TrimSpace(getenv("LAKEBASE_INSTANCE_NAME")),
			Endpoint: strings.TrimSpace(getenv("LAKEBASE_ENDPOINT")),
		},
	}
	var errs []error
	var err error
	if c.Port, err = intVar(getenv, "DATABRICKS_APP_PORT", 8000); err != nil || c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("DATABRICKS_APP_PORT must be a port number"))
	}
	switch env := strings.ToLower(getenv("APP_ENV")); env {
	case "", "production", "prod":
	case "local", "development", "dev":
		c.Local = true
	default:
		errs = append(errs, fmt.Errorf("APP_ENV must be local or production, not %q", env))
	}
	for _, v := range []struct {
		name string
		def  bool
		to   *bool
	}{
		{"APP_SP_FALLBACK", false, &c.SPFallback},
		{"APP_MIGRATE", true, &c.Migrate},
		{"APP_METRICS_PER_USER", true, &c.MetricsPerUser},
	} {
		if *v.to, err = boolVar(getenv, v.name, v.def); err != nil {
			errs = append(errs, err)
		}
	}
	if c.LogLevel, err = logLevel(getenv("LOG_LEVEL")); err != nil {
		errs = append(errs, err)
	}
	if c.UpstreamTimeout, err = durationVar(getenv, "APP_UPSTREAM_TIMEOUT", 30*time.Second); err != nil {
		errs = append(errs, err)
	}
	if c.InvokeTimeout, err = durationVar(getenv, "APP_INVOKE_TIMEOUT", 120*time.Second); err != nil {
		errs = append(errs, err)
	}
	c.ListenHost = strings.TrimSpace(getenv("APP_LISTEN_HOST"))
	if c.ListenHost == "" && (c.Local || c.Demo()) {
		c.ListenHost = "127.0.0.1"
	}
	errs = append(errs, c.Lakebase.check()...)
	errs = append(errs, c.checkSafety()...)
	return c, errors.Join(errs...)
}

// checkSafety refuses the settings that would let a request act as anyone
// but its own user on Databricks Apps.
func (c Config) checkSafety() []error {
	var errs []error
	if c.OnDatabricksApps() {
		if c.Local {
			errs = append(errs, errors.New("APP_ENV=local is refused on Databricks Apps (DATABRICKS_APP_NAME is set)"))
		}
		if c.UserToken != "" {
			errs = append(errs, errors.New("DATABRICKS_USER_TOKEN is refused on Databricks Apps (DATABRICKS_APP_NAME is set): requests must use their own user's token"))
		}
		if c.SPFallback {
			errs = append(errs, errors.New("APP_SP_FALLBACK is refused on Databricks Apps (DATABRICKS_APP_NAME is set): the app never stands in for a user"))
		}
		if c.Host == "" {
			errs = append(errs, errors.New("DATABRICKS_HOST must be set on Databricks Apps"))
		}
		return errs
	}
	if c.UserToken != "" && !c.Local {
		errs = append(errs, errors.New("DATABRICKS_USER_TOKEN is only used with APP_ENV=local"))
	}
	if c.SPFallback && !c.Local {
		errs = append(errs, errors.New("APP_SP_FALLBACK=true is only allowed with APP_ENV=local"))
	}
	if c.SPFallback && (c.ClientID == "" || c.ClientSecret == "") && c.Host != "" {
		errs = append(errs, errors.New("APP_SP_FALLBACK=true needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET"))
	}
	return errs
}

// check refuses Lakebase settings that could not work.
func (l Lakebase) check() []error {
	var errs []error
	if l.Port != "" {
		if p, err := strconv.Atoi(l.Port); err != nil || p <= 0 || p > 65535 {
			errs = append(errs, errors.New("PGPORT must be a port number"))
		}
	}
	switch l.SSLMode {
	case "", "disable", "allow", "prefer", "require", "verify-ca", "verify-full":
	default:
		errs = append(errs, fmt.Errorf("PGSSLMODE must be disable, allow, prefer, require, verify-ca or verify-full, not %q", l.SSLMode))
	}
	if l.Endpoint != "" {
		// The two name different kinds of database, Autoscaling and
		// Provisioned; using one and ignoring the other would hide a
		// mistake until the credential is refused.
		if l.Instance != "" {
			errs = append(errs, errors.New("LAKEBASE_ENDPOINT and LAKEBASE_INSTANCE_NAME are both set: set LAKEBASE_ENDPOINT for a Lakebase Autoscaling endpoint, or LAKEBASE_INSTANCE_NAME for a Lakebase Provisioned instance, not both"))
		}
		// The value is not echoed: a misplaced value could be anything.
		if !endpointPath.MatchString(l.Endpoint) {
			errs = append(errs, errors.New("LAKEBASE_ENDPOINT must be an endpoint's resource path, projects/<project>/branches/<branch>/endpoints/<endpoint>"))
		}
	}
	return errs
}

// endpointPath is the shape of a Lakebase Autoscaling endpoint's resource
// path. Databricks makes ids of lowercase letters, digits and hyphens; the
// check is a little wider (any case, underscores), to catch a host, a URL
// or a bare endpoint name given by mistake without refusing a real path.
var endpointPath = regexp.MustCompile(`^projects/[A-Za-z0-9_-]+/branches/[A-Za-z0-9_-]+/endpoints/[A-Za-z0-9_-]+$`)

func intVar(getenv func(string) string, name string, def int) (int, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

// boolVar reads a switch: on, true, yes or 1; off, false, no or 0 (any
// case); def when unset. Anything else is refused rather than read as
// either: APP_MIGRATE=false once ran the migrations.
func boolVar(getenv func(string) string, name string, def bool) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(getenv(name))) {
	case "":
		return def, nil
	case "on", "true", "yes", "1":
		return true, nil
	case "off", "false", "no", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s must be on or off (or true or false)", name)
}

func durationVar(getenv func(string) string, name string, def time.Duration) (time.Duration, error) {
	v := strings.TrimSpace(getenv(name))
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s must be a positive duration such as 30s", name)
	}
	return d, nil
}

func logLevel(v string) (slog.Level, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "", "info":
		return slog.LevelInfo, nil
	case "debug":
		return slog.LevelDebug, nil
	case "warn", "warning":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("LOG_LEVEL must be debug, info, warn or error")
}
