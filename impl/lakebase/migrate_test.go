package lakebase_test

import (
	"context"
	"slices"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

func userTables(t *testing.T, conn *pgx.Conn) []string {
	t.Helper()
	rows, err := conn.Query(context.Background(),
		`SELECT c.relname || CASE WHEN c.relforcerowsecurity THEN ' (forced rls)' ELSE '' END
		 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		 WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'schema_version' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestMigrationsGoUpDownAndUpAgain(t *testing.T) {
	dbURL := lakebasetest.NewDatabase(t)
	s, err := lakebase.Open(lakebase.Connection{URL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)

	all := []string{"model_inference_logs (forced rls)", "user_preferences (forced rls)", "user_sessions (forced rls)"}
	steps := []struct {
		name    string
		migrate func() error
		want    []string
	}{
		{"up", func() error { return s.Migrate(ctx) }, all},
		{"up again (nothing pending)", func() error { return s.Migrate(ctx) }, all},
		{"down to 1", func() error { return s.MigrateTo(ctx, 1) }, []string{"user_preferences (forced rls)"}},
		{"down to 0", func() error { return s.MigrateTo(ctx, 0) }, []string{}},
		{"up from 0", func() error { return s.Migrate(ctx) }, all},
	}
	for _, st := range steps {
		if err := st.migrate(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if got := userTables(t, conn); !slices.Equal(got, st.want) {
			t.Fatalf("%s: tables %q, want %q", st.name, got, st.want)
		}
	}
	put(t, s, alice, "after", `true`)
	wantValue(t, s, alice, "after", `true`)
}
