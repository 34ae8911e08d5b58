package databricks

import (
	"errors"

	"github.com/databricks/databricks-sdk-go/config"
)

// errNoCredential is returned when a Databricks call is made outside a
// request that carries a credential: a bug, never a reason to fall back to
// another identity.
var errNoCredential = errors.New("no request credential in the context")

// noEnvironment is a config loader that loads nothing. The SDK's default
// loaders read DATABRICKS_* variables and ~/.databrickscfg even when a token
// is set, and on Databricks Apps DATABRICKS_CLIENT_ID/SECRET are always set:
// that is how "more than one authorization method configured: oauth and pat"
// happens. Our clients get every setting explicitly instead.
type noEnvironment struct{}

func (noEnvironment) Name() string                   { return "explicit" }
func (noEnvironment) Configure(*config.Config) error { return nil }
