package httpapi

import (
	"context"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/apperr"
	"github.com/onbehalf/onbehalf/impl/databricks"
)

// errNoLakebase answers the Lakebase operations while no store is wired.
func errNoLakebase() error {
	return &apperr.Error{Kind: apperr.Unavailable, Detail: "Lakebase is not configured: set DATABASE_URL or the PG* variables.", Reason: "lakebase_not_configured"}
}

// ListPreferences answers with the user's preferences.
func (s *Server) ListPreferences(ctx context.Context, _ api.ListPreferencesRequestObject) (api.ListPreferencesResponseObject, error) {
	return nil, errNoLakebase()
}

// GetPreference answers with one of the user's preferences.
func (s *Server) GetPreference(ctx context.Context, _ api.GetPreferenceRequestObject) (api.GetPreferenceResponseObject, error) {
	return nil, errNoLakebase()
}

// PutPreference creates or replaces one of the user's preferences.
func (s *Server) PutPreference(ctx context.Context, _ api.PutPreferenceRequestObject) (api.PutPreferenceResponseObject, error) {
	return nil, errNoLakebase()
}

// DeletePreference deletes one of the user's preferences.
func (s *Server) DeletePreference(ctx context.Context, _ api.DeletePreferenceRequestObject) (api.DeletePreferenceResponseObject, error) {
	return nil, errNoLakebase()
}

// ListInferenceLogs answers with the user's own inference log.
func (s *Server) ListInferenceLogs(ctx context.Context, _ api.ListInferenceLogsRequestObject) (api.ListInferenceLogsResponseObject, error) {
	return nil, errNoLakebase()
}

// recordInference is the seam where each invocation is recorded in the
// user's inference log, once Lakebase is wired.
func (s *Server) recordInference(ctx context.Context, userID, endpoint string, inv databricks.Invocation, res databricks.InvocationResult, err error) {
}
