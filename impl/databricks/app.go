package databricks

import (
	"context"

	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/config"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// AppClient is the app's service principal, authenticated with OAuth M2M
// (DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET). It is built once at
// start-up and never serves a user's request on Databricks Apps.
type AppClient struct {
	cfg     *config.Config
	api     *client.DatabricksClient
	retry   RetryPolicy
	observe RetryObserver
}

func newAppClient(opts Options, sp ServicePrincipal, meta *hostMetadata) (*AppClient, error) {
	cfg := &config.Config{AuthType: "oauth-m2m", ClientID: sp.ClientID, ClientSecret: sp.ClientSecret}
	api, err := newSDKClient(cfg, opts, meta)
	if err != nil {
		return nil, err
	}
	return &AppClient{cfg: cfg, api: api, retry: opts.Retry, observe: opts.OnRetry}, nil
}

// Token returns an access token of the service principal, from the SDK's
// token cache (refreshed before it expires). Errors are apperr kinds.
func (c *AppClient) Token(ctx context.Context) (string, error) {
	tok, err := c.cfg.GetTokenSource().Token(ctx)
	if err != nil {
		return "", apperr.Wrap(apperr.Upstream, "The app's service principal could not get a Databricks token.", err)
	}
	return tok.AccessToken, nil
}
