package lakebase_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// asUser runs sql in a transaction that names user to the database as the
// store does (set_config('app.user_id', user, true)); user "" sets nothing.
// It returns the first column of every row.
func asUser(t *testing.T, conn *pgx.Conn, user, sql string, args ...any) ([]string, error) {
	t.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if user != "" {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.user_id', $1, true)", user); err != nil {
			t.Fatal(err)
		}
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, err
	}
	return got, tx.Commit(ctx)
}

// TestRowLevelSecurityLimitsAnUnfilteredQueryToTheCaller: a query with no
// user_id filter at all, run as the app's (non-superuser, table-owning)
// role, sees only the rows of the user its transaction names, and none when
// it names nobody; a write for another user is refused.
func TestRowLevelSecurityLimitsAnUnfilteredQueryToTheCaller(t *testing.T) {
	s, dbURL := lakebasetest.NewStore(t)
	ctx := context.Background()
	put(t, s, alice, "theme", `"dark"`)
	put(t, s, bob, "theme", `"light"`)
	put(t, s, bob, "lang", `"de"`)
	for _, u := range []string{alice, bob, bob} {
		if _, err := s.RecordInference(ctx, u, lakebase.Invocation{Endpoint: "agent-chat", Request: json.RawMessage(`{}`), Success: true, HTTPStatus: 200}); err != nil {
			t.Fatal(err)
		}
	}

	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var super, bypass bool
	if err := conn.QueryRow(ctx, "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").Scan(&super, &bypass); err != nil {
		t.Fatal(err)
	}
	if super || bypass {
		t.Fatalf("the test role bypasses row-level security (superuser %v, bypassrls %v): the test would prove nothing", super, bypass)
	}

	tests := []struct {
		user, sql, want string
	}{
		{alice, "SELECT user_id || ':' || key FROM user_preferences ORDER BY 1", "alice@example.com:theme"},
		{bob, "SELECT user_id || ':' || key FROM user_preferences ORDER BY 1", "bob@example.com:lang,bob@example.com:theme"},
		{"", "SELECT user_id || ':' || key FROM user_preferences ORDER BY 1", ""},
		{alice, "SELECT user_id FROM model_inference_logs", "alice@example.com"},
		{bob, "SELECT user_id FROM model_inference_logs", "bob@example.com,bob@example.com"},
		{"", "SELECT user_id FROM model_inference_logs", ""},
		{alice, "SELECT count(*)::text FROM user_preferences", "1"},
		// An unfiltered UPDATE touches only the caller's rows.
		{alice, "UPDATE user_preferences SET value = '\"hacked\"' RETURNING user_id", "alice@example.com"},
		{alice, "DELETE FROM model_inference_logs RETURNING user_id", "alice@example.com"},
	}
	for _, tt := range tests {
		got, err := asUser(t, conn, tt.user, tt.sql)
		if err != nil || strings.Join(got, ",") != tt.want {
			t.Errorf("as %q: %s\n got %q (err %v), want %q", tt.user, tt.sql, strings.Join(got, ","), err, tt.want)
		}
	}
	wantValue(t, s, bob, "theme", `"light"`)
	if logs, _, _ := s.ListInferenceLogs(ctx, bob, lakebase.Page{Limit: 10}); len(logs) != 2 {
		t.Errorf("bob has %d inference logs after alice's unfiltered delete, want 2", len(logs))
	}

	_, err = asUser(t, conn, alice, "INSERT INTO user_preferences (user_id, key, value) VALUES ($1, 'x', '1') RETURNING key", bob)
	if err == nil || !strings.Contains(err.Error(), "row-level security") {
		t.Errorf("alice writing a row of bob's: err %v, want a row-level security violation", err)
	}
}
