package databricks

import (
	"context"
	"net/http"
	"time"
)

// UserClient calls Databricks on behalf of the user whose credential is in
// each call's context (see reqctx.WithCredential). It is safe for concurrent
// use and holds no token.
type UserClient struct {
	host    string
	http    *http.Client
	retry   RetryPolicy
	invoke  RetryPolicy
	observe RetryObserver
}

// newUserClient builds the user client: one plain HTTP client over the
// pooled transport. It reads no environment and holds no credential; each
// request takes its token from its own context (see send).
func newUserClient(opts Options, host string) *UserClient {
	invoke := opts.Retry
	invoke.AttemptTimeout = opts.InvokeTimeout
	invoke.OnlyUnprocessed = true // an agent may act: never run it twice
	return &UserClient{
		host:    host,
		http:    &http.Client{Transport: newTransport(opts.Transport)},
		retry:   opts.Retry,
		invoke:  invoke,
		observe: opts.OnRetry,
	}
}

// LongestCall is the most one call but Invoke (CurrentUser, a whole
// listing with all its pages) can take, its retries included.
func (c *UserClient) LongestCall() time.Duration { return c.retry.Longest() }

// LongestInvoke is the most Invoke can take, its retries included.
func (c *UserClient) LongestInvoke() time.Duration { return c.invoke.Longest() }

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
	var (
		me          scimUser
		workspaceID string
	)
	err := c.retry.do(ctx, "scim.me", c.observe, func(ctx context.Context) error {
		raw, err := c.send(ctx, call{method: http.MethodGet, path: "/api/2.0/preview/scim/v2/Me"}, "X-Databricks-Org-Id", &workspaceID)
		if err != nil {
			return err
		}
		return decodeAnswer(raw, &me)
	})
	if err != nil {
		return User{}, err
	}
	return toUser(me, workspaceID), nil
}

func toUser(u scimUser, workspaceID string) User {
	email := ""
	for _, e := range u.Emails {
		if e.Primary || email == "" {
			email = e.Value
		}
	}
	return User{ID: u.Id, UserName: u.UserName, Email: email, DisplayName: u.DisplayName, WorkspaceID: workspaceID}
}
