package lakebase

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/onbehalf/onbehalf/gen/db"
	"github.com/onbehalf/onbehalf/impl/apperr"
)

// MaxValueBytes bounds a preference's value, JSON-encoded, both as sent and
// as stored (with its numbers written out in full: see jsonbLength).
const MaxValueBytes = 64 << 10

// Preference is one of a user's preferences.
type Preference struct {
	Key string
	// Value is the stored JSON value (JSON null is "null").
	Value     json.RawMessage
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Page is a window of a listing: Limit items (1 to 100; default 50) from
// Offset.
type Page struct {
	Limit, Offset int
}

// bounded returns p with its limit and offset in range.
func (p Page) bounded() Page {
	if p.Limit <= 0 {
		p.Limit = 50
	}
	return Page{Limit: min(p.Limit, 100), Offset: max(p.Offset, 0)}
}

// ListPreferences returns the page of userID's preferences, ordered by key,
// and whether more follow. Errors: Unavailable, Internal.
func (s *Store) ListPreferences(ctx context.Context, userID string, p Page) ([]Preference, bool, error) {
	p = p.bounded()
	var rows []db.ListPreferencesRow
	err := s.inTx(ctx, userID, func(ctx context.Context, q *db.Queries) error {
		var err error
		rows, err = q.ListPreferences(ctx, db.ListPreferencesParams{UserID: userID, RowLimit: int32(p.Limit + 1), RowOffset: int32(p.Offset)})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	more := len(rows) > p.Limit
	rows = rows[:min(len(rows), p.Limit)]
	out := make([]Preference, len(rows))
	for i, r := range rows {
		out[i] = Preference{Key: r.Key, Value: r.Value, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
	}
	return out, more, nil
}

// GetPreference returns userID's preference key. Errors: NotFound,
// Unavailable, Internal.
func (s *Store) GetPreference(ctx context.Context, userID, key string) (Preference, error) {
	var r db.GetPreferenceRow
	err := s.inTx(ctx, userID, func(ctx context.Context, q *db.Queries) error {
		var err error
		r, err = q.GetPreference(ctx, db.GetPreferenceParams{UserID: userID, Key: key})
		if errors.Is(err, pgx.ErrNoRows) {
			return noPreference(key)
		}
		return err
	})
	if err != nil {
		return Preference{}, err
	}
	return Preference{Key: r.Key, Value: r.Value, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

// PutPreference creates or replaces userID's preference key with value (JSON)
// and returns it as stored, once committed. Errors: Invalid (not JSON),
// TooLarge (over MaxValueBytes as sent or as stored), Unavailable, Internal.
func (s *Store) PutPreference(ctx context.Context, userID, key string, value json.RawMessage) (Preference, error) {
	if len(value) > MaxValueBytes {
		return Preference{}, &apperr.Error{Kind: apperr.TooLarge, Detail: "The preference value is larger than 64 KiB once encoded as JSON.", Reason: "value_too_large"}
	}
	if !json.Valid(value) {
		return Preference{}, &apperr.Error{Kind: apperr.Invalid, Detail: "The preference value is not valid JSON.", Reason: "invalid_value",
			Fields: []apperr.Field{{Location: "body", Name: "/value", Message: "not valid JSON"}}}
	}
	if jsonbLength(value) > MaxValueBytes {
		return Preference{}, &apperr.Error{Kind: apperr.TooLarge, Reason: "value_too_large",
			Detail: "The preference value is larger than 64 KiB once stored: its numbers are stored written out in full (1e6 as 1000000)."}
	}
	var r db.UpsertPreferenceRow
	err := s.inTx(ctx, userID, func(ctx context.Context, q *db.Queries) error {
		var err error
		r, err = q.UpsertPreference(ctx, db.UpsertPreferenceParams{UserID: userID, Key: key, Value: value})
		return err
	})
	if err != nil {
		return Preference{}, err
	}
	return Preference{Key: r.Key, Value: r.Value, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}, nil
}

// DeletePreference deletes userID's preference key, once committed.
// Errors: NotFound, Unavailable, Internal.
func (s *Store) DeletePreference(ctx context.Context, userID, key string) error {
	return s.inTx(ctx, userID, func(ctx context.Context, q *db.Queries) error {
		n, err := q.DeletePreference(ctx, db.DeletePreferenceParams{UserID: userID, Key: key})
		if err == nil && n == 0 {
			return noPreference(key)
		}
		return err
	})
}

func noPreference(key string) error {
	return &apperr.Error{Kind: apperr.NotFound, Detail: "You have no preference " + key + ".", Reason: "no_such_preference"}
}
