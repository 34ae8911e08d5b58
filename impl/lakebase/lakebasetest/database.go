// Package lakebasetest gives tests a real Postgres database of their own, as
// the app would use it: freshly created, reached as a role that is not a
// superuser (superusers bypass row-level security even when it is forced),
// and dropped when the test ends. It also holds a TCP proxy that a test can
// cut and restore, to take the database away and bring it back.
//
// The Postgres is DATABASE_URL's (a role that may create roles and
// databases), or postgres@127.0.0.1:5432 with trust authentication.
package lakebasetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/lakebase"
)

// Role is the role the tests connect as: LOGIN, and nothing else (not a
// superuser, no BYPASSRLS, no CREATEDB), like the app's service principal.
const Role = "onbehalf_test_app"

// AdminURL is the URL of the test Postgres, as an administrator.
func AdminURL() string {
	if u := os.Getenv("DATABASE_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// NewDatabase creates an empty database for the test, on which Role may
// connect and create tables, drops it when the test ends, and returns the
// URL to reach it as Role.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		t.Fatalf("lakebasetest: the test Postgres is not reachable (set DATABASE_URL): %v", err)
	}
	defer admin.Close(ctx)
	// Two test binaries may create the role at once: the loser's error is
	// a duplicate either way.
	if _, err := admin.Exec(ctx, `DO $$ BEGIN
		CREATE ROLE `+Role+` LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
	EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
	END $$`); err != nil {
		t.Fatalf("lakebasetest: create role: %v", err)
	}
	name := "onbehalf_test_" + randomHex()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("lakebasetest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgx.Connect(ctx, AdminURL())
		if err != nil {
			t.Errorf("lakebasetest: drop database %s: %v", name, err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("lakebasetest: drop database %s: %v", name, err)
		}
	})

	u, err := url.Parse(AdminURL())
	if err != nil {
		t.Fatalf("lakebasetest: DATABASE_URL: %v", err)
	}
	u.Path = "/" + name
	dbAdmin, err := pgx.Connect(ctx, u.String())
	if err != nil {
		t.Fatalf("lakebasetest: connect to %s: %v", name, err)
	}
	defer dbAdmin.Close(ctx)
	if _, err := dbAdmin.Exec(ctx, "GRANT USAGE, CREATE ON SCHEMA public TO "+Role); err != nil {
		t.Fatalf("lakebasetest: grant: %v", err)
	}
	u.User = url.User(Role)
	return u.String()
}

// NewStore returns a store on a new, migrated database (see NewDatabase),
// closed when the test ends, and the database's URL.
func NewStore(t testing.TB) (*lakebase.Store, string) {
	t.Helper()
	dbURL := NewDatabase(t)
	return OpenStore(t, lakebase.Connection{URL: dbURL}), dbURL
}

// OpenStore opens a store on conn, closed when the test ends, and migrates
// its database.
func OpenStore(t testing.TB, conn lakebase.Connection) *lakebase.Store {
	t.Helper()
	store, err := lakebase.Open(conn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(store.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := store.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return store
}

func randomHex() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
