package databricks

import (
	"context"
	"errors"
	"net/http"

	"github.com/databricks/databricks-sdk-go/config"
	"github.com/databricks/databricks-sdk-go/config/credentials"

	"github.com/onbehalf/onbehalf/impl/reqctx"
)

// errNoCredential is returned when a Databricks call is made outside a
// request that carries a credential: a bug, never a reason to fall back to
// another identity.
var errNoCredential = errors.New("no request credential in the context")

// requestCredentials is the credentials strategy of the one process-wide user
// client: on every HTTP request the SDK makes, it reads the token from that
// request's context (put there by the auth middleware) and sets it as the
// bearer token. It stores nothing, so no token outlives its request and a
// call can never go out with another request's token or with the app's.
type requestCredentials struct{}

func (requestCredentials) Name() string { return "pat" }

func (requestCredentials) Configure(context.Context, *config.Config) (credentials.CredentialsProvider, error) {
	return credentials.CredentialsProviderFn(func(r *http.Request) error {
		c, ok := reqctx.CredentialFrom(r.Context())
		if !ok {
			return errNoCredential
		}
		r.Header.Set("Authorization", "Bearer "+c.Token)
		return nil
	}), nil
}

// noEnvironment is a config loader that loads nothing. The SDK's default
// loaders read DATABRICKS_* variables and ~/.databrickscfg even when a token
// is set, and on Databricks Apps DATABRICKS_CLIENT_ID/SECRET are always set:
// that is how "more than one authorization method configured: oauth and pat"
// happens. Our clients get every setting explicitly instead.
type noEnvironment struct{}

func (noEnvironment) Name() string                   { return "explicit" }
func (noEnvironment) Configure(*config.Config) error { return nil }
