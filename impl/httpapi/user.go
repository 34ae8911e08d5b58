package httpapi

import (
	"context"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/databricks"
	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// GetCurrentUser answers with the identity of the request's own token.
func (s *Server) GetCurrentUser(ctx context.Context, _ api.GetCurrentUserRequestObject) (api.GetCurrentUserResponseObject, error) {
	u, method, err := s.identify(ctx)
	if err != nil {
		return nil, err
	}
	return api.GetCurrentUser200JSONResponse(toUserInfo(u, method)), nil
}

// GetWorkspaceInfo answers with the workspace and the request's user, from
// the same single identity call.
func (s *Server) GetWorkspaceInfo(ctx context.Context, _ api.GetWorkspaceInfoRequestObject) (api.GetWorkspaceInfoResponseObject, error) {
	u, method, err := s.identify(ctx)
	if err != nil {
		return nil, err
	}
	info := api.WorkspaceInfo{
		WorkspaceUrl: s.user.Host(),
		User:         toUserInfo(u, method),
		AuthMethod:   api.AuthMethod(method),
	}
	if u.WorkspaceID != "" {
		info.WorkspaceId = &u.WorkspaceID
	}
	return api.GetWorkspaceInfo200JSONResponse(info), nil
}

// toUserInfo is the contract's view of a Databricks user. The user id is the
// Databricks user name, as in the seed documents: stable, and what Lakebase
// rows are tagged with.
func toUserInfo(u databricks.User, method reqctx.AuthMethod) api.UserInfo {
	return api.UserInfo{
		UserId:      u.UserName,
		Email:       u.Email,
		Username:    u.UserName,
		DisplayName: u.DisplayName,
		AuthMethod:  api.AuthMethod(method),
	}
}
