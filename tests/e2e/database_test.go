package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// defaultDatabaseURL is the local Postgres of the README; DATABASE_URL
// overrides it.
const defaultDatabaseURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"

// testDatabase creates a database of its own for the test, dropped when the
// test ends, and returns its URL. It skips the test when no Postgres
// answers.
func testDatabase(t *testing.T) string {
	t.Helper()
	url, err := newDatabase(t)
	if err != nil {
		t.Skipf("no Postgres at DATABASE_URL (%v): Lakebase scenarios need one", err)
	}
	return url
}

// optionalDatabase is testDatabase for tests that also run without
// Postgres: it returns "" when none answers.
func optionalDatabase(t *testing.T) string {
	t.Helper()
	url, err := newDatabase(t)
	if err != nil {
		t.Logf("no Postgres at DATABASE_URL (%v): preferences are not exercised", err)
		return ""
	}
	return url
}

// newDatabase creates the test's database, dropped when the test ends.
func newDatabase(t *testing.T) (string, error) {
	t.Helper()
	admin := os.Getenv("DATABASE_URL")
	if admin == "" {
		admin = defaultDatabaseURL
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)

	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "onbehalf_e2e_" + hex.EncodeToString(b)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String(), nil
}
