package lakebase_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/lakebase/lakebasetest"
)

const (
	alice = "alice@example.com"
	bob   = "bob@example.com"
)

func put(t *testing.T, s *lakebase.Store, user, key, value string) lakebase.Preference {
	t.Helper()
	p, err := s.PutPreference(context.Background(), user, key, json.RawMessage(value))
	if err != nil {
		t.Fatalf("put %s %s: %v", user, key, err)
	}
	return p
}

func wantValue(t *testing.T, s *lakebase.Store, user, key, want string) {
	t.Helper()
	p, err := s.GetPreference(context.Background(), user, key)
	if err != nil {
		t.Fatalf("get %s %s: %v", user, key, err)
	}
	if got := compact(t, p.Value); got != want {
		t.Errorf("%s's %s = %s, want %s", user, key, got, want)
	}
}

func wantKind(t *testing.T, err error, want apperr.Kind) {
	t.Helper()
	if got := apperr.KindOf(err); err == nil || got != want {
		t.Fatalf("error %v (kind %v), want kind %v", err, got, want)
	}
}

func compact(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func keys(ps []lakebase.Preference) string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Key
	}
	return strings.Join(out, ",")
}

func TestPreferencesOfTwoUsersStayApart(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	ctx := context.Background()
	put(t, s, alice, "theme", `"dark"`)
	put(t, s, alice, "lang", `"fr"`)
	put(t, s, bob, "theme", `"light"`) // same key: must not overwrite alice's

	wantValue(t, s, alice, "theme", `"dark"`)
	wantValue(t, s, bob, "theme", `"light"`)
	if _, err := s.GetPreference(ctx, bob, "lang"); apperr.KindOf(err) != apperr.NotFound {
		t.Errorf("bob reads alice's lang: err %v, want NotFound", err)
	}
	got, _, err := s.ListPreferences(ctx, bob, lakebase.Page{Limit: 50})
	if err != nil || keys(got) != "theme" {
		t.Errorf("bob lists %q (err %v), want only his theme", keys(got), err)
	}

	// Deleting is as isolated: bob cannot delete alice's key, and deleting
	// his own theme leaves hers.
	wantKind(t, s.DeletePreference(ctx, bob, "lang"), apperr.NotFound)
	if err := s.DeletePreference(ctx, bob, "theme"); err != nil {
		t.Fatal(err)
	}
	wantValue(t, s, alice, "theme", `"dark"`)
	wantValue(t, s, alice, "lang", `"fr"`)
}

func TestPutPreferenceReplacesTheValue(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	first := put(t, s, alice, "layout", `{"cols":2}`)
	second := put(t, s, alice, "layout", `{"cols":3,"dense":true}`)
	wantValue(t, s, alice, "layout", `{"cols":3,"dense":true}`)
	if !second.CreatedAt.Equal(first.CreatedAt) || second.UpdatedAt.Before(first.UpdatedAt) {
		t.Errorf("created %v -> %v, updated %v -> %v: an upsert keeps created_at and moves updated_at",
			first.CreatedAt, second.CreatedAt, first.UpdatedAt, second.UpdatedAt)
	}
	put(t, s, alice, "nothing", `null`)
	wantValue(t, s, alice, "nothing", `null`)
}

func TestListPreferencesPagesByKey(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	for _, k := range []string{"c", "a", "d", "b"} {
		put(t, s, alice, k, `1`)
	}
	tests := []struct {
		page     lakebase.Page
		want     string
		wantMore bool
	}{
		{lakebase.Page{Limit: 2}, "a,b", true},
		{lakebase.Page{Limit: 2, Offset: 2}, "c,d", false},
		{lakebase.Page{Limit: 10, Offset: 3}, "d", false},
		{lakebase.Page{Limit: 10, Offset: 9}, "", false},
	}
	for _, tt := range tests {
		got, more, err := s.ListPreferences(context.Background(), alice, tt.page)
		if err != nil || keys(got) != tt.want || more != tt.wantMore {
			t.Errorf("page %+v: %q more=%v err=%v, want %q more=%v", tt.page, keys(got), more, err, tt.want, tt.wantMore)
		}
	}
}

func TestPreferenceErrors(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	ctx := context.Background()
	wantKind(t, s.DeletePreference(ctx, alice, "missing"), apperr.NotFound)
	_, err := s.GetPreference(ctx, alice, "missing")
	wantKind(t, err, apperr.NotFound)

	big := `"` + strings.Repeat("x", lakebase.MaxValueBytes-1) + `"` // 64 KiB + 1 encoded
	_, err = s.PutPreference(ctx, alice, "big", json.RawMessage(big))
	wantKind(t, err, apperr.TooLarge)
	// Valid JSON that JSONB cannot store is the client's to fix, not a 500.
	for _, v := range []string{`"a\u0000b"`, `{"k\u0000": 1}`} {
		_, err = s.PutPreference(ctx, alice, "nul", json.RawMessage(v))
		wantKind(t, err, apperr.Invalid)
	}
	justFits := `"` + strings.Repeat("x", lakebase.MaxValueBytes-2) + `"`
	if _, err := s.PutPreference(ctx, alice, "big", json.RawMessage(justFits)); err != nil {
		t.Errorf("a 64 KiB value is refused: %v", err)
	}
}

// TestAPreferenceIsBoundedAsStored: jsonb writes a number out in full, so
// a value of a few bytes could come back as megabytes (1e131071 is 131,072
// characters as jsonb). The 64 KiB bound holds for the value as stored.
func TestAPreferenceIsBoundedAsStored(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	ctx := context.Background()
	for _, v := range []string{`1e131071`, `[1e40000, 1e40000]`, `{"tiny": -1e-70000}`} {
		_, err := s.PutPreference(ctx, alice, "huge", json.RawMessage(v))
		wantKind(t, err, apperr.TooLarge)
	}
	if _, err := s.GetPreference(ctx, alice, "huge"); err == nil {
		t.Error("a refused value was stored")
	}
	p := put(t, s, alice, "wide", `1e65000`)
	if want := "1" + strings.Repeat("0", 65000); string(p.Value) != want {
		t.Errorf("1e65000 came back %d characters long, want %d", len(p.Value), len(want))
	}
}

// TestAQueryWhoseClientLeftIsCanceled: an operation whose request's client
// has gone away is Canceled (logged as 499), not an internal error.
func TestAQueryWhoseClientLeftIsCanceled(t *testing.T) {
	s, _ := lakebasetest.NewStore(t)
	ctx, leave := context.WithCancel(context.Background())
	leave()
	_, err := s.GetPreference(ctx, alice, "theme")
	wantKind(t, err, apperr.Canceled)

	// A caller's deadline that passed is the database not answering in
	// time (503), not a client that left.
	ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	defer cancel()
	_, err = s.GetPreference(ctx, alice, "theme")
	wantKind(t, err, apperr.Unavailable)
}

// TestBadUserIDIsRefusedBeforeAnyQuery: the store is pointed at a port where
// nothing listens, so a query would answer Unavailable; a refused user id
// answers before that.
func TestBadUserIDIsRefusedBeforeAnyQuery(t *testing.T) {
	s, err := lakebase.Open(lakebase.Connection{URL: "postgres://nobody@127.0.0.1:1/none?sslmode=disable"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	for _, id := range []string{"", " ", "alice@example.com\n", "a b", strings.Repeat("a", 256)} {
		_, err := s.GetPreference(ctx, id, "k")
		if e := apperr.As(err); e == nil || e.Reason != "invalid_user_id" {
			t.Errorf("user id %q: err %v, want invalid_user_id before any query", id, err)
		}
	}
	_, err = s.GetPreference(ctx, alice, "k")
	wantKind(t, err, apperr.Unavailable)
}
