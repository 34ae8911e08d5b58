package databricks

import (
	"context"
	"strings"

	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/httpclient"
	"github.com/databricks/databricks-sdk-go/service/iam"
)

// UserClient calls Databricks on behalf of the user whose credential is in
// each call's context (see reqctx.WithCredential). It is safe for concurrent
// use and holds no token.
type UserClient struct {
	host    string
	api     *client.DatabricksClient
	retry   RetryPolicy
	invoke  RetryPolicy
	observe RetryObserver
}

func newUserClient(opts Options, meta *hostMetadata) (*UserClient, error) {
	api, err := newSDKClient(&config.Config{Credentials: requestCredentials{}}, opts, meta)
	if err != nil {
		return nil, err
	}
	invoke := opts.Retry
	invoke.AttemptTimeout = opts.InvokeTimeout
	return &UserClient{host: strings.TrimRight(opts.Host, "/"), api: api, retry: opts.Retry, invoke: invoke, observe: opts.OnRetry}, nil
}

// Host returns the workspace URL.
func (c *UserClient) Host() string { return c.host }

// User is a Databricks identity.
type User struct {
	ID          string
	UserName    string
	Email       string
	DisplayName string
	// WorkspaceID is the workspace's id as Databricks reported it, or "".
	WorkspaceID string
}

// CurrentUser returns the identity of the context's credential, with one call
// to the SCIM Me API (which also reports the workspace id in a header).
// Errors are apperr kinds: Unauthenticated, Forbidden, RateLimited, Upstream,
// Timeout.
func (c *UserClient) CurrentUser(ctx context.Context) (User, error) {
	return currentUser(ctx, c.api, c.retry, c.observe)
}

func currentUser(ctx context.Context, api *client.DatabricksClient, retry RetryPolicy, observe RetryObserver) (User, error) {
	var (
		me          iam.User
		workspaceID string
	)
	err := retry.do(ctx, "scim.me", observe, func(ctx context.Context) error {
		return api.ApiClient().Do(ctx, "GET", "/api/2.0/preview/scim/v2/Me",
			httpclient.WithRequestHeader("Accept", "application/json"),
			httpclient.WithResponseHeader("X-Databricks-Org-Id", &workspaceID),
			httpclient.WithResponseUnmarshal(&me))
	})
	if err != nil {
		return User{}, err
	}
	return toUser(me, workspaceID), nil
}

func toUser(u iam.User, workspaceID string) User {
	email := ""
	for _, e := range u.Emails {
		if e.Primary || email == "" {
			email = e.Value
		}
	}
	return User{ID: u.Id, UserName: u.UserName, Email: email, DisplayName: u.DisplayName, WorkspaceID: workspaceID}
}
