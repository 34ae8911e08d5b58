package databricks

import (
	"context"

	"github.com/databricks/databricks-sdk-go/client"
	"github.com/databricks/databricks-sdk-go/config"
)

// AppClient is the app's service principal, authenticated with OAuth M2M
// (DATABRICKS_CLIENT_ID / DATABRICKS_CLIENT_SECRET). It is built once at
// start-up and never serves a user's request on Databricks Apps.
//
// Its token comes from spTokens, not from the SDK's oauth-m2m credentials:
// each token request is made under the context of the call that needs it,
// so it is bounded by the attempt's timeout and the caller's deadline, and
// its failures are the attempt's, translated and retried by RetryPolicy
// alone.
type AppClient struct {
	api     *client.DatabricksClient
	tokens  *spTokens
	retry   RetryPolicy
	observe RetryObserver
}

func newAppClient(opts Options, sp ServicePrincipal, meta *hostMetadata) (*AppClient, error) {
	cfg := &config.Config{}
	api, err := newSDKClient(cfg, opts, meta)
	if err != nil {
		return nil, err
	}
	// cfg is resolved now (host metadata read, transport set), and no call
	// has authenticated yet: the SDK reads Credentials at the first one.
	tokens := newSPTokens(sp, cfg)
	cfg.Credentials = spCredentials{tokens: tokens}
	return &AppClient{api: api, tokens: tokens, retry: opts.Retry, observe: opts.OnRetry}, nil
}

// Token returns an access token of the service principal: the cached one
// (shared with the client's own calls) until shortly before it expires, else
// a new one, fetched under ctx and the retry policy. Errors are apperr
// kinds: Upstream, RateLimited, Timeout, Canceled, and Internal when the
// service principal cannot sign in (a wrong client id or secret).
func (c *AppClient) Token(ctx context.Context) (string, error) {
	var token string
	err := c.retry.do(ctx, "oauth.token", c.observe, func(ctx context.Context) error {
		tok, err := c.tokens.Token(ctx)
		if err != nil {
			return err
		}
		token = tok.AccessToken
		return nil
	})
	return token, err
}
