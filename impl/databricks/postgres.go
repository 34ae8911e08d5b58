package databricks

import (
	"context"

	"github.com/databricks/databricks-sdk-go/service/postgres"
)

// PostgresCredential asks Databricks for a fresh credential to log in to a
// Lakebase Autoscaling endpoint as the service principal (POST
// /api/2.0/postgres/credentials). endpoint is the endpoint's resource path,
// projects/{project}/branches/{branch}/endpoints/{endpoint}, as
// LAKEBASE_ENDPOINT holds it. Like DatabaseCredential, for a Lakebase
// Provisioned instance, it is a use of the app's own identity; no user
// token ever reaches it. The call follows the retry policy. Errors are
// apperr kinds: Unauthenticated, Forbidden, Internal (Databricks refused
// the call: no such endpoint, say), RateLimited, Upstream (an answer
// without a token too), Timeout.
func (c *AppClient) PostgresCredential(ctx context.Context, endpoint string) (DatabaseCredential, error) {
	req := postgres.GenerateDatabaseCredentialRequest{Endpoint: endpoint}
	return c.askCredential(ctx, "postgres.credentials.generate", "/api/2.0/postgres/credentials", req)
}
