package lakebase_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestSQLCVetRefusesAQueryWithoutUserID runs `go tool sqlc vet` (what make
// lint runs) on a copy of sqlc.yaml and sql/ with one query added: the
// repository's own queries pass, and each query that forgets user_id, or
// names it in a way that reaches other users' rows (an OR, a NOT, a
// subquery, an INSERT whose rows come from a SELECT), fails with the
// user-scoped rule.
func TestSQLCVetRefusesAQueryWithoutUserID(t *testing.T) {
	if testing.Short() {
		t.Skip("runs sqlc")
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, query string
		wantFail    bool
	}{
		{"the repository's queries", "", false},
		{"filtered select", "-- name: Extra :many\nSELECT key FROM user_preferences WHERE user_id = @user_id AND key > @key;", false},
		{"select without filter", "-- name: Extra :many\nSELECT key FROM user_preferences WHERE key = @key;", true},
		{"select of another table's user_id", "-- name: Extra :many\nSELECT user_id FROM model_inference_logs;", true},
		{"update without filter", "-- name: Extra :exec\nUPDATE user_preferences SET value = @value WHERE key = @key;", true},
		{"delete without filter", "-- name: Extra :exec\nDELETE FROM user_sessions WHERE id = @id;", true},
		{"insert without user_id", "-- name: Extra :exec\nINSERT INTO user_sessions (expires_at) VALUES (@expires_at);", true},
		{"insert with values", "-- name: Extra :exec\nINSERT INTO user_sessions (user_id, expires_at) VALUES (@user_id, @expires_at);", false},
		{"upsert with values", "-- name: Extra :one\nINSERT INTO user_preferences (user_id, key, value) VALUES (@user_id, @key, @value)\n" +
			"ON CONFLICT (user_id, key) DO UPDATE SET value = EXCLUDED.value, updated_at = GREATEST(now(), user_preferences.updated_at) RETURNING key;", false},
		// Naming user_id among the columns is not enough: an INSERT takes
		// its row from VALUES, and reads no table.
		{"insert of every user's rows", "-- name: Extra :exec\nINSERT INTO model_inference_logs (user_id, endpoint_name, request, status, latency_ms)\n" +
			"SELECT user_id, key, value, 'success', 0 FROM user_preferences;", true},
		{"values read from every user's rows", "-- name: Extra :exec\nINSERT INTO model_inference_logs (user_id, endpoint_name, request, status, latency_ms)\n" +
			"VALUES (@user_id, 'x', (SELECT value FROM user_preferences LIMIT 1), 'success', 0);", true},
		{"filter then and, returning", "-- name: Extra :one\nUPDATE user_preferences SET value = @value WHERE user_id = @user_id AND key = @key RETURNING key;", false},
		// The filter is there, and undone.
		{"or beside the filter", "-- name: Extra :exec\nDELETE FROM user_preferences WHERE key = @key OR user_id = @user_id;", true},
		{"or true after the filter", "-- name: Extra :many\nSELECT key FROM user_preferences WHERE user_id = @user_id OR true;", true},
		{"or after an and", "-- name: Extra :exec\nDELETE FROM user_preferences WHERE user_id = @user_id AND key = @key OR key = 'theme';", true},
		{"negated filter", "-- name: Extra :exec\nDELETE FROM user_preferences WHERE NOT user_id = @user_id;", true},
		{"filter tested by is", "-- name: Extra :exec\nDELETE FROM user_preferences WHERE user_id = @user_id IS NOT TRUE;", true},
		{"filter only in a subquery", "-- name: Extra :exec\nDELETE FROM user_preferences WHERE key IN (SELECT p.key FROM user_preferences p WHERE p.user_id = @user_id);", true},
		// Stricter than needed, to keep the rule a simple one: the filter
		// comes first, and an INSERT never takes its rows from a SELECT.
		{"filter after another condition", "-- name: Extra :many\nSELECT key FROM user_preferences WHERE key = @key AND user_id = @user_id;", true},
		{"insert from a select of no table", "-- name: Extra :exec\nINSERT INTO user_sessions (user_id, expires_at) SELECT @user_id, now();", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.CopyFS(filepath.Join(dir, "sql"), os.DirFS(filepath.Join(root, "sql"))); err != nil {
				t.Fatal(err)
			}
			cfg, err := os.ReadFile(filepath.Join(root, "sqlc.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, "sqlc.yaml"), cfg, 0o644); err != nil {
				t.Fatal(err)
			}
			if tt.query != "" {
				if err := os.WriteFile(filepath.Join(dir, "sql", "queries", "extra.sql"), []byte(tt.query+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command("go", "tool", "sqlc", "vet", "-f", filepath.Join(dir, "sqlc.yaml"))
			cmd.Dir = root
			out, err := cmd.CombinedOutput()
			failed := err != nil
			if failed != tt.wantFail {
				t.Fatalf("sqlc vet failed=%v, want %v: %s", failed, tt.wantFail, out)
			}
			if tt.wantFail && !strings.Contains(string(out), "Extra: user-scoped") {
				t.Errorf("sqlc vet failed for another reason than the user-scoped rule: %s", out)
			}
		})
	}
}
