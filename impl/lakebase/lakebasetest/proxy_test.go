package lakebasetest

import (
	"errors"
	"net/url"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// With RequirePassword, a login with a password the check refuses gets
// Postgres' own refusal (28P01) and never reaches Postgres; a good one gets
// through.
func TestProxyChecksEachLoginsPassword(t *testing.T) {
	dbURL := NewDatabase(t)
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	p := NewProxy(t, u.Host)
	p.RequirePassword(func(pw string) bool { return pw == "fresh" })
	through, err := url.Parse(p.Through(t, dbURL))
	if err != nil {
		t.Fatal(err)
	}
	login := func(password string) (*pgx.Conn, error) {
		through.User = url.UserPassword(Role, password)
		return pgx.Connect(t.Context(), through.String())
	}

	_, err = login("expired")
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "28P01" {
		t.Fatalf("login with a refused password: %v, want SQLSTATE 28P01", err)
	}
	conn, err := login("fresh")
	if err != nil {
		t.Fatalf("login with a good password: %v", err)
	}
	defer conn.Close(t.Context())
	var one int
	if err := conn.QueryRow(t.Context(), "SELECT 1").Scan(&one); err != nil || one != 1 {
		t.Fatalf("query after login: %d, %v", one, err)
	}
	if accepted, refused := p.Logins(); accepted != 1 || refused != 1 {
		t.Fatalf("logins: %d accepted, %d refused; want 1 and 1", accepted, refused)
	}
}
