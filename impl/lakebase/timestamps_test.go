package lakebase_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/gen/db"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

// TestAnEarlierTransactionNeverMovesUpdatedAtBack forces the interleaving of
// two writers of one key: a transaction begins (its now() is fixed from
// then), another write of the key commits, and only then does the first
// transaction upsert. Its write comes last, so its updated_at is at or after
// the other write's, and never before created_at, whether the other write
// created the key or updated it.
func TestAnEarlierTransactionNeverMovesUpdatedAtBack(t *testing.T) {
	s, dbURL := lakebasetest.NewStore(t)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	put(t, s, alice, "existing", `1`)

	for _, key := range []string{"new", "existing"} {
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var began time.Time
		if err := tx.QueryRow(ctx, "SELECT now(), set_config('app.user_id', $1, true)", alice).Scan(&began, new(string)); err != nil {
			t.Fatal(err)
		}
		other := put(t, s, alice, key, `2`)
		if !began.Before(other.UpdatedAt) {
			t.Fatalf("%s: the other write (%v) is not later than the transaction's start (%v): the test forces nothing", key, other.UpdatedAt, began)
		}
		got, err := db.New(tx).UpsertPreference(ctx, db.UpsertPreferenceParams{UserID: alice, Key: key, Value: json.RawMessage(`3`)})
		if err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
		if got.UpdatedAt.Before(other.UpdatedAt) || got.UpdatedAt.Before(got.CreatedAt) {
			t.Errorf("%s: the last write has updated_at %v, before the previous write's %v or its created_at %v",
				key, got.UpdatedAt, other.UpdatedAt, got.CreatedAt)
		}
		wantValue(t, s, alice, key, `3`)
	}
}

// TestConcurrentFirstWritesNeverLeaveUpdatedAtBeforeCreatedAt: writers race
// to create the same keys through the store, as concurrent requests do, and
// every key ends with updated_at at or after its created_at and at or after
// the updated_at of every write of it.
func TestConcurrentFirstWritesNeverLeaveUpdatedAtBeforeCreatedAt(t *testing.T) {
	const keys, writers = 200, 8
	dbURL := lakebasetest.NewDatabase(t)
	s := lakebasetest.OpenStore(t, lakebase.Connection{URL: dbURL + fmt.Sprintf("&pool_max_conns=%d", writers)})
	ctx := context.Background()

	// One key at a time, its writers all at once: each holds a connection
	// of its own, so the order in which their transactions begin and the
	// order in which they insert are left to the scheduler.
	latest := make(map[string]time.Time) // the latest updated_at a write returned, by key
	for k := range keys {
		key := fmt.Sprintf("k%03d", k)
		var wg sync.WaitGroup
		written := make([]lakebase.Preference, writers)
		errs := make([]error, writers)
		for w := range writers {
			wg.Go(func() {
				written[w], errs[w] = s.PutPreference(ctx, alice, key, json.RawMessage(fmt.Sprint(w)))
			})
		}
		wg.Wait()
		for w := range writers {
			if errs[w] != nil {
				t.Fatal(errs[w])
			}
			if written[w].UpdatedAt.After(latest[key]) {
				latest[key] = written[w].UpdatedAt
			}
		}
	}

	var got []lakebase.Preference
	for more := true; more; {
		var page []lakebase.Preference
		var err error
		page, more, err = s.ListPreferences(ctx, alice, lakebase.Page{Limit: 100, Offset: len(got)})
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, page...)
	}
	if len(got) != keys {
		t.Fatalf("%d keys, want %d", len(got), keys)
	}
	bad := 0
	for _, p := range got {
		if p.UpdatedAt.Before(p.CreatedAt) || p.UpdatedAt.Before(latest[p.Key]) {
			bad++
			if bad <= 3 {
				t.Errorf("%s: updated_at %v is before created_at %v or an earlier write's updated_at %v", p.Key, p.UpdatedAt, p.CreatedAt, latest[p.Key])
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d keys have updated_at before created_at or moved back", bad, keys)
	}
}
