package lakebase_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// TestJSONBLengthIsWhatPostgresGivesBack holds jsonbLength against the length
// of what Postgres itself gives back for each value stored as jsonb: never
// shorter, and, for a value sent without whitespace, at most one character
// longer (a minus sign on a zero).
func TestJSONBLengthIsWhatPostgresGivesBack(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, lakebasetest.AdminURL())
	if err != nil {
		t.Fatalf("the test Postgres is not reachable (set DATABASE_URL): %v", err)
	}
	defer conn.Close(ctx)
	for _, v := range []string{
		`0`, `-0`, `7`, `-7`, `100`, `12345678901234567890`, `0.5`, `-0.5`, `123.45`, `0.0100`,
		`1e3`, `1E+3`, `1e-3`, `1.50e1`, `1.500e2`, `-123.45e-7`, `1.0e0`, `5e-1`, `-1e-20`,
		`0e100`, `0.00e-5`, `1e1000`, `-2.5e-999`, `1e65000`,
		`"1e131071"`, `"a\"1e999\"b"`, `true`, `null`, `[1e2]`, `{"k":1e2,"l":[1,-0.5e1,"x,y:z"]}`, `[[-1.5e3]]`,
	} {
		var stored int
		if err := conn.QueryRow(ctx, `SELECT length($1::jsonb::text)`, v).Scan(&stored); err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		if got := lakebase.JSONBLength([]byte(v)); got < stored || got > stored+1 {
			t.Errorf("jsonbLength(%.40s) = %d, Postgres gives back %d characters", v, got, stored)
		}
	}
}
