package databricks

import (
	"context"
	"net/http"
	"time"

	"github.com/databricks/databricks-sdk-go/service/postgres"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// postgresCredentialAnswer is the answer of POST /api/2.0/postgres/credentials
// (postgres.DatabaseCredential). The SDK's type reads expire_time as a
// protobuf timestamp and fails the whole answer on one it cannot read;
// here, as for an instance's credential, a token without a readable expiry
// is still a credential, and the store then assumes the usual hour.
type postgresCredentialAnswer struct {
	Token      string `json:"token"`
	ExpireTime string `json:"expire_time"`
}

// PostgresCredential asks Databricks for a fresh credential to log in to a
// Lakebase Autoscaling endpoint as the service principal (POST
// /api/2.0/postgres/credentials). endpoint is the endpoint's resource path,
// projects/{project}/branches/{branch}/endpoints/{endpoint}, as
// LAKEBASE_ENDPOINT holds it. Like DatabaseCredential, for a Lakebase
// Provisioned instance, it is a use of the app's own identity; no user
// token ever reaches it. The call follows the retry policy. Errors are
// apperr kinds: Unauthenticated, Forbidden, NotFound (no such endpoint),
// RateLimited, Upstream (an answer without a token too), Timeout.
func (c *AppClient) PostgresCredential(ctx context.Context, endpoint string) (DatabaseCredential, error) {
	req := postgres.GenerateDatabaseCredentialRequest{Endpoint: endpoint}
	var resp postgresCredentialAnswer
	err := c.retry.do(ctx, "postgres.credentials.generate", c.observe, func(ctx context.Context) error {
		resp = postgresCredentialAnswer{} // a failed attempt may have filled it in part
		return c.api.Do(ctx, http.MethodPost, "/api/2.0/postgres/credentials",
			map[string]string{"Accept": "application/json", "Content-Type": "application/json"}, nil, req, &resp)
	})
	if err != nil {
		return DatabaseCredential{}, err
	}
	if resp.Token == "" {
		return DatabaseCredential{}, apperr.New(apperr.Upstream, "Databricks answered without a database credential.")
	}
	cred := DatabaseCredential{Token: resp.Token}
	cred.ExpiresAt, _ = time.Parse(time.RFC3339, resp.ExpireTime)
	return cred, nil
}
