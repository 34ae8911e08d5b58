package e2e

import (
	"context"
	"errors"
	"net/url"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// testDatabase creates a database of its own for the test, dropped when the
// test ends, and returns its URL as a role that is neither superuser nor
// BYPASSRLS, so row-level security applies as it does on Lakebase.
func testDatabase(t *testing.T) string {
	t.Helper()
	return lakebasetest.NewDatabase(t)
}

// adminOf returns a connection to the database of dbURL as the test
// Postgres's administrator, closed when the test ends.
func adminOf(t *testing.T, dbURL string) *pgx.Conn {
	t.Helper()
	db, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := url.Parse(lakebasetest.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	admin.Path = db.Path
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// allowRole makes role a login role that is neither superuser nor
// BYPASSRLS (if it does not exist yet) and lets it create tables in the
// database of dbURL: what the app's service principal is on its Lakebase
// database.
func allowRole(t *testing.T, dbURL, role string) {
	t.Helper()
	conn := adminOf(t, dbURL)
	ctx := context.Background()
	// Closed at once: the scenario counts the database's sessions.
	defer conn.Close(ctx)
	_, err := conn.Exec(ctx, "CREATE ROLE "+pgx.Identifier{role}.Sanitize()+" LOGIN NOSUPERUSER NOBYPASSRLS")
	var pgErr *pgconn.PgError
	if err != nil && !(errors.As(err, &pgErr) && (pgErr.Code == "42710" || pgErr.Code == "23505")) {
		t.Fatalf("create role %s: %v", role, err)
	}
	if _, err := conn.Exec(ctx, "GRANT USAGE, CREATE ON SCHEMA public TO "+pgx.Identifier{role}.Sanitize()); err != nil {
		t.Fatalf("grant to %s: %v", role, err)
	}
}
