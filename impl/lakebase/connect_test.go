package lakebase

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// TestLakebaseConnectionsLogInWithAFreshCredentialEach: every new
// connection asks the credential source again and logs in with its answer;
// a failing source makes the connection Unavailable without its error text.
func TestLakebaseConnectionsLogInWithAFreshCredentialEach(t *testing.T) {
	n := 0
	cfg, err := poolConfig(Connection{Host: "instance-1.database.example.com", User: "sp-client-id", Database: "db",
		Password: func(context.Context) (string, error) { n++; return "cred-" + string(rune('0'+n)), nil }})
	if err != nil {
		t.Fatal(err)
	}
	cc := cfg.ConnConfig
	if cc.Host != "instance-1.database.example.com" || cc.Port != 5432 || cc.User != "sp-client-id" || cc.Database != "db" || cc.TLSConfig == nil {
		t.Errorf("connection %s:%d user %s db %s tls %v", cc.Host, cc.Port, cc.User, cc.Database, cc.TLSConfig != nil)
	}
	if cfg.MaxConnLifetime+cfg.MaxConnLifetimeJitter >= 55*60e9 {
		t.Errorf("connections live up to %v, too close to the credential's hour", cfg.MaxConnLifetime+cfg.MaxConnLifetimeJitter)
	}
	for _, want := range []string{"cred-1", "cred-2"} {
		c := cc.Copy()
		if err := cfg.BeforeConnect(context.Background(), c); err != nil {
			t.Fatal(err)
		}
		if c.Password != want {
			t.Errorf("password %q, want %q", c.Password, want)
		}
	}

	cfg, _ = poolConfig(Connection{Host: "h", User: "u", Password: func(context.Context) (string, error) {
		return "", errors.New("secret-bearing failure")
	}})
	err = cfg.BeforeConnect(context.Background(), cfg.ConnConfig.Copy())
	if e := apperr.As(err); e == nil || e.Kind != apperr.Unavailable || strings.Contains(e.Detail, "secret") {
		t.Errorf("failing credential source: %v", err)
	}
}

// TestANewConnectionsCredentialIsAskedForWithoutTheRequestsValues: pgxpool
// opens a connection with the values of the request that asked for it, in a
// goroutine that may outlive that request; the credential source sees none
// of them, and still ends when the pool's context does.
func TestANewConnectionsCredentialIsAskedForWithoutTheRequestsValues(t *testing.T) {
	type key struct{}
	var seen any
	var ended bool
	cfg, err := poolConfig(Connection{Host: "h", User: "u", Password: func(ctx context.Context) (string, error) {
		seen = ctx.Value(key{})
		<-ctx.Done()
		ended = true
		return "cred", nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "the request's"))
	cancel()
	if err := cfg.BeforeConnect(ctx, cfg.ConnConfig.Copy()); err != nil {
		t.Fatal(err)
	}
	if seen != nil || !ended {
		t.Errorf("the credential source saw the value %v (want none) and ended=%v (want true)", seen, ended)
	}
}

func TestDatabaseURLIsNeverQuotedInErrors(t *testing.T) {
	_, err := poolConfig(Connection{URL: "postgres://u:hunter2@host:notaport/db"})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("err %v", err)
	}
}
