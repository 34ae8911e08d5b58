package httpapi

import (
	"bytes"
	"context"
	"encoding/json"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/lakebase"
)

// errNoLakebase answers the Lakebase operations while no store is wired.
func errNoLakebase() error {
	return &apperr.Error{Kind: apperr.Unavailable, Detail: "Lakebase is not configured: set DATABASE_URL or the PG* variables.", Reason: "lakebase_not_configured"}
}

// storeUser returns the store and the id of the request's user (the user
// name Databricks reports for the request's own token), or an error when
// Lakebase is not configured or the identity cannot be had.
func (s *Server) storeUser(ctx context.Context) (*lakebase.Store, string, error) {
	if s.store == nil {
		return nil, "", errNoLakebase()
	}
	u, _, err := s.identify(ctx)
	if err != nil {
		return nil, "", err
	}
	return s.store, u.UserName, nil
}

// ListPreferences answers with the user's preferences.
func (s *Server) ListPreferences(ctx context.Context, req api.ListPreferencesRequestObject) (api.ListPreferencesResponseObject, error) {
	store, userID, err := s.storeUser(ctx)
	if err != nil {
		return nil, err
	}
	w := window(req.Params.Limit, req.Params.Offset)
	prefs, more, err := store.ListPreferences(ctx, userID, lakebase.Page{Limit: w.Limit, Offset: w.Offset})
	if err != nil {
		return nil, err
	}
	items := make([]api.Preference, len(prefs))
	for i, p := range prefs {
		items[i] = toPreference(p)
	}
	return api.ListPreferences200JSONResponse{Items: items, Limit: w.Limit, Offset: w.Offset, HasMore: more}, nil
}

// GetPreference answers with one of the user's preferences.
func (s *Server) GetPreference(ctx context.Context, req api.GetPreferenceRequestObject) (api.GetPreferenceResponseObject, error) {
	store, userID, err := s.storeUser(ctx)
	if err != nil {
		return nil, err
	}
	p, err := store.GetPreference(ctx, userID, req.Key)
	if err != nil {
		return nil, err
	}
	return api.GetPreference200JSONResponse(toPreference(p)), nil
}

// PutPreference creates or replaces one of the user's preferences, and
// answers once it is committed.
func (s *Server) PutPreference(ctx context.Context, req api.PutPreferenceRequestObject) (api.PutPreferenceResponseObject, error) {
	store, userID, err := s.storeUser(ctx)
	if err != nil {
		return nil, err
	}
	if req.Body == nil {
		return nil, &apperr.Error{Kind: apperr.Invalid, Detail: "The request body is required.", Reason: "invalid_body"}
	}
	// The value is the JSON text that was sent (the contract keeps it raw, so
	// that no number loses a digit), without its insignificant spaces: that
	// is what is stored and what the 64 KiB limit applies to. A null value
	// arrives as nil.
	value := []byte("null")
	if req.Body.Value != nil {
		var compact bytes.Buffer
		if err := json.Compact(&compact, *req.Body.Value); err != nil {
			return nil, &apperr.Error{Kind: apperr.Invalid, Detail: "The preference value is not valid JSON.", Reason: "invalid_body", Err: err}
		}
		value = compact.Bytes()
	}
	p, err := store.PutPreference(ctx, userID, req.Key, value)
	if err != nil {
		return nil, err
	}
	return api.PutPreference200JSONResponse(toPreference(p)), nil
}

// DeletePreference deletes one of the user's preferences, and answers once
// it is committed.
func (s *Server) DeletePreference(ctx context.Context, req api.DeletePreferenceRequestObject) (api.DeletePreferenceResponseObject, error) {
	store, userID, err := s.storeUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := store.DeletePreference(ctx, userID, req.Key); err != nil {
		return nil, err
	}
	return api.DeletePreference204Response{}, nil
}

func toPreference(p lakebase.Preference) api.Preference {
	return api.Preference{Key: p.Key, Value: &p.Value, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// ListInferenceLogs answers with the user's own inference log, newest first.
func (s *Server) ListInferenceLogs(ctx context.Context, req api.ListInferenceLogsRequestObject) (api.ListInferenceLogsResponseObject, error) {
	store, userID, err := s.storeUser(ctx)
	if err != nil {
		return nil, err
	}
	w := window(req.Params.Limit, req.Params.Offset)
	logs, more, err := store.ListInferenceLogs(ctx, userID, lakebase.Page{Limit: w.Limit, Offset: w.Offset})
	if err != nil {
		return nil, err
	}
	items := make([]api.InferenceLog, len(logs))
	for i, l := range logs {
		items[i] = toInferenceLog(l)
	}
	return api.ListInferenceLogs200JSONResponse{Items: items, Limit: w.Limit, Offset: w.Offset, HasMore: more}, nil
}

func toInferenceLog(l lakebase.InferenceLog) api.InferenceLog {
	out := api.InferenceLog{Id: l.ID, EndpointName: l.Endpoint, Status: api.Error, LatencyMs: l.Latency.Milliseconds(), CreatedAt: l.CreatedAt}
	if l.Success {
		out.Status = api.Success
	}
	if l.HTTPStatus > 0 {
		status := l.HTTPStatus
		out.HttpStatus = &status
	}
	return out
}

// recordInference records an invocation in the user's inference log. It
// runs after the call, within the store's bounded wait and even if the
// client went away; a failure is logged and never fails the user's answer.
func (s *Server) recordInference(ctx context.Context, userID, endpoint string, inv databricks.Invocation, res databricks.InvocationResult, callErr error) {
	if s.store == nil {
		return
	}
	request, err := json.Marshal(inv)
	if err == nil {
		_, err = s.store.RecordInference(context.WithoutCancel(ctx), userID, lakebase.Invocation{
			Endpoint:   endpoint,
			Request:    request,
			Response:   res.Raw,
			Success:    callErr == nil,
			HTTPStatus: res.Status,
			Latency:    res.Latency,
		})
	}
	if err != nil {
		s.log.WarnContext(ctx, "inference log not recorded", "endpoint", endpoint, "error", err.Error())
	}
}
