package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/onbehalf/onbehalf/impl/config"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/lakebase"
)

// migrateTimeout bounds applying the migrations at start-up, and
// instanceLookupTimeout finding the Lakebase instance's name.
const (
	migrateTimeout        = time.Minute
	instanceLookupTimeout = time.Minute
)

// openStore opens the Lakebase store the configuration names, and applies
// the pending migrations unless APP_MIGRATE=off. It returns nil when
// Lakebase is not configured: DATABASE_URL is used as given; otherwise, out
// of the demo, the PG* variables with the credential of the service
// principal (app), shared by the new connections: a Lakebase Autoscaling
// endpoint's when LAKEBASE_ENDPOINT is set, else a Provisioned instance's.
func openStore(ctx context.Context, cfg config.Config, demo bool, app *databricks.AppClient, log *slog.Logger) (*lakebase.Store, error) {
	var conn lakebase.Connection
	switch lb := cfg.Lakebase; {
	case cfg.DatabaseURL != "":
		conn.URL = cfg.DatabaseURL.Reveal()
		log.Info("Lakebase: using DATABASE_URL")
	case lb.Host != "" && !demo:
		if app == nil {
			return nil, errors.New("lakebase: PGHOST is set but the service principal (DATABRICKS_CLIENT_ID, DATABRICKS_CLIENT_SECRET) is not, and it is what asks for database credentials")
		}
		user := lb.User
		if user == "" {
			user = cfg.ClientID
		}
		password, err := credentialSource(ctx, lb, user, app, log)
		if err != nil {
			return nil, err
		}
		conn = lakebase.Connection{Host: lb.Host, Port: lb.Port, Database: lb.Database, User: user, SSLMode: lb.SSLMode, Password: password}
	default:
		log.Info("Lakebase is not configured (no DATABASE_URL or PGHOST): its endpoints answer 503")
		return nil, nil
	}
	store, err := lakebase.Open(conn)
	if err != nil {
		return nil, err
	}
	if !cfg.Migrate {
		log.Info("Lakebase: migrations skipped (APP_MIGRATE=off)")
		return store, nil
	}
	mctx, cancel := context.WithTimeout(ctx, migrateTimeout)
	defer cancel()
	if err := store.Migrate(mctx); err != nil {
		store.Close()
		return nil, fmt.Errorf("applying the Lakebase migrations: %w", err)
	}
	log.Info("Lakebase: schema up to date")
	return store, nil
}

// credentialSource returns how the service principal (app) asks for a
// credential to log in to Lakebase as user: for the Lakebase Autoscaling
// endpoint LAKEBASE_ENDPOINT names, when set (there is no instance to find
// then); otherwise for the Lakebase Provisioned instance, named by
// LAKEBASE_INSTANCE_NAME or found from PGHOST. config.Load refuses both set.
func credentialSource(ctx context.Context, lb config.Lakebase, user string, app *databricks.AppClient, log *slog.Logger) (func(context.Context) (string, time.Time, error), error) {
	if lb.Endpoint != "" {
		log.Info("Lakebase: using the endpoint as the service principal", "endpoint", lb.Endpoint, "host", lb.Host, "user", user)
		return func(ctx context.Context) (string, time.Time, error) {
			cred, err := app.PostgresCredential(ctx, lb.Endpoint)
			return cred.Token, cred.ExpiresAt, err
		}, nil
	}
	instance := lb.Instance
	if instance == "" {
		var err error
		if instance, err = instanceByHost(ctx, app, lb.Host); err != nil {
			return nil, err
		}
	}
	log.Info("Lakebase: using the instance as the service principal", "host", lb.Host, "instance", instance, "user", user)
	return func(ctx context.Context) (string, time.Time, error) {
		cred, err := app.DatabaseCredential(ctx, instance)
		return cred.Token, cred.ExpiresAt, err
	}, nil
}

// instanceByHost finds the name of the Lakebase instance at host (PGHOST),
// once, at start-up. Databricks Apps injects the instance's DNS name
// (instance-<uid>.database.cloud.databricks.com) but not its name, which is
// what credentials are asked for; a name guessed from the host would be
// refused on every connection. When the service principal cannot list the
// instances, or none is at host, the server does not start.
func instanceByHost(ctx context.Context, app *databricks.AppClient, host string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, instanceLookupTimeout)
	defer cancel()
	name, err := app.DatabaseInstanceByHost(ctx, host)
	if err != nil {
		return "", fmt.Errorf("lakebase: finding the Lakebase instance at PGHOST %s: %w; set LAKEBASE_INSTANCE_NAME to the instance's name, or, for a Lakebase Autoscaling database, LAKEBASE_ENDPOINT to its endpoint's path", host, err)
	}
	return name, nil
}
