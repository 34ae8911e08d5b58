package lakebase

import (
	"context"
	"encoding/json"
	"time"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/onbehalf/onbehalf/gen/db"
	"github.com/onbehalf/onbehalf/impl/apperr"
)

// Invocation is one call to a serving endpoint, to record in the caller's
// inference log.
type Invocation struct {
	Endpoint string
	// Request is what was sent (JSON); Response what came back (JSON), or nil.
	Request, Response json.RawMessage
	Success           bool
	// HTTPStatus is the endpoint's answer status; 0 when it did not answer.
	HTTPStatus int
	Latency    time.Duration
}

// InferenceLog is one recorded invocation.
type InferenceLog struct {
	ID         int64
	Endpoint   string
	Success    bool
	HTTPStatus int // 0 when the endpoint did not answer
	Latency    time.Duration
	CreatedAt  time.Time
}

const (
	statusSuccess = "success"
	statusError   = "error"
)

// RecordInference adds inv to userID's inference log, once committed, and
// returns its id. Errors: Invalid (request or response not JSON),
// Unavailable, Internal.
func (s *Store) RecordInference(ctx context.Context, userID string, inv Invocation) (int64, error) {
	if !json.Valid(inv.Request) || (inv.Response != nil && !json.Valid(inv.Response)) {
		return 0, apperr.New(apperr.Invalid, "An inference log's request and response must be JSON.")
	}
	arg := db.InsertInferenceLogParams{
		UserID:       userID,
		EndpointName: inv.Endpoint,
		Request:      inv.Request,
		Response:     inv.Response,
		Status:       statusError,
		LatencyMs:    max(0, inv.Latency.Milliseconds()),
	}
	if inv.Success {
		arg.Status = statusSuccess
	}
	if inv.HTTPStatus > 0 {
		arg.HttpStatus = pgtype.Int4{Int32: int32(inv.HTTPStatus), Valid: true}
	}
	var id int64
	err := s.inTx(ctx, userID, func(ctx context.Context, q *db.Queries) error {
		row, err := q.InsertInferenceLog(ctx, arg)
		id = row.ID
		return err
	})
	return id, err
}

// ListInferenceLogs returns the page of userID's inference log, newest
// first, and whether more follow. Errors: Unavailable, Internal.
func (s *Store) ListInferenceLogs(ctx context.Context, userID string, p Page) ([]InferenceLog, bool, error) {
	p = p.bounded()
	var rows []db.ListInferenceLogsRow
	err := s.inTx(ctx, userID, func(ctx context.Context, q *db.Queries) error {
		var err error
		rows, err = q.ListInferenceLogs(ctx, db.ListInferenceLogsParams{UserID: userID, RowLimit: int32(p.Limit + 1), RowOffset: int32(p.Offset)})
		return err
	})
	if err != nil {
		return nil, false, err
	}
	more := len(rows) > p.Limit
	rows = rows[:min(len(rows), p.Limit)]
	out := make([]InferenceLog, len(rows))
	for i, r := range rows {
		out[i] = toInferenceLog(r)
	}
	return out, more, nil
}

func toInferenceLog(r db.ListInferenceLogsRow) InferenceLog {
	l := InferenceLog{
		ID:        r.ID,
		Endpoint:  r.EndpointName,
		Success:   r.Status == statusSuccess,
		Latency:   time.Duration(r.LatencyMs) * time.Millisecond,
		CreatedAt: r.CreatedAt,
	}
	if r.HttpStatus.Valid {
		l.HTTPStatus = int(r.HttpStatus.Int32)
	}
	return l
}
