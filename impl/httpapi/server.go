package httpapi

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/lakebase"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// Server implements the contract's operations.
type Server struct {
	user *databricks.UserClient
	// store is nil when Lakebase is not configured.
	store *lakebase.Store
	log   *slog.Logger
}

var _ api.StrictServerInterface = (*Server)(nil)

// identify returns the Databricks identity of the request's credential and
// records the user id for the request's logs.
func (s *Server) identify(ctx context.Context) (databricks.User, reqctx.AuthMethod, error) {
	u, err := s.user.CurrentUser(ctx)
	if err != nil {
		return databricks.User{}, "", err
	}
	cred, _ := reqctx.CredentialFrom(ctx)
	reqctx.MetaFrom(ctx).UserID = u.UserName
	return u, cred.Method, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
