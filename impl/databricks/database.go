package databricks

import (
	"cmp"
	"context"
	"crypto/rand"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/databricks/databricks-sdk-go/service/database"

	"github.com/onbehalf/onbehalf/impl/apperr"
)

// DatabaseCredential is a Lakebase (Postgres) password of the service
// principal. Token is a secret: never log it.
type DatabaseCredential struct {
	Token     string
	ExpiresAt time.Time // zero when Databricks did not say
}

// String hides the token.
func (c DatabaseCredential) String() string {
	return fmt.Sprintf("database credential (expires %s)", c.ExpiresAt.Format(time.RFC3339))
}

// DatabaseCredential asks Databricks for a fresh credential to log in to the
// Lakebase instance as the service principal (POST
// /api/2.0/database/credentials). It is the only use of the app's identity
// on Databricks Apps; no user token ever reaches it. The call follows the
// retry policy. Errors are apperr kinds: Unauthenticated, Forbidden,
// Internal (Databricks refused the call: no such instance, say),
// RateLimited, Upstream, Timeout.
func (c *AppClient) DatabaseCredential(ctx context.Context, instance string) (DatabaseCredential, error) {
	req := database.GenerateDatabaseCredentialRequest{InstanceNames: []string{instance}, RequestId: requestID()}
	return c.askCredential(ctx, "database.credentials.generate", "/api/2.0/database/credentials", req)
}

// credentialAnswer is the answer of either credentials API: an instance's
// (database.DatabaseCredential, expiration_time) or an Autoscaling
// endpoint's (postgres.DatabaseCredential, expire_time). Not the SDK's
// types: the postgres one reads expire_time as a protobuf timestamp and
// fails the whole answer on one it cannot read, where a token without a
// readable expiry is still a credential (the store then assumes the usual
// hour).
type credentialAnswer struct {
	Token          string `json:"token"`
	ExpirationTime string `json:"expiration_time"`
	ExpireTime     string `json:"expire_time"`
}

// askCredential makes the service principal's credential call req to path,
// under the retry policy, as operation.
func (c *AppClient) askCredential(ctx context.Context, operation, path string, req any) (DatabaseCredential, error) {
	var resp credentialAnswer
	err := c.retry.do(ctx, operation, c.observe, func(ctx context.Context) error {
		resp = credentialAnswer{} // a failed attempt may have filled it in part
		return c.api.Do(ctx, http.MethodPost, path,
			map[string]string{"Accept": "application/json", "Content-Type": "application/json"}, nil, req, &resp)
	})
	if err != nil {
		return DatabaseCredential{}, err
	}
	if resp.Token == "" {
		return DatabaseCredential{}, apperr.New(apperr.Upstream, "Databricks answered without a database credential.")
	}
	cred := DatabaseCredential{Token: resp.Token}
	cred.ExpiresAt, _ = time.Parse(time.RFC3339, cmp.Or(resp.ExpirationTime, resp.ExpireTime))
	return cred, nil
}

// DatabaseInstanceByHost returns the name of the Lakebase instance reached
// at host: the instance whose read-write or read-only DNS name it is. On
// Databricks Apps PGHOST is that DNS name (instance-<uid>.database...),
// while the credentials API wants the name, and only the instances' listing
// (GET /api/2.0/database/instances, page by page, as the service principal)
// ties the two together. Each page follows the retry policy. Errors are
// apperr kinds: NotFound when no instance the service principal can see is
// reached at host; Unauthenticated, Forbidden, RateLimited, Upstream,
// Timeout.
func (c *AppClient) DatabaseInstanceByHost(ctx context.Context, host string) (string, error) {
	req := database.ListDatabaseInstancesRequest{PageSize: 100} // the most the API gives at once
	for {
		var page database.ListDatabaseInstancesResponse
		err := c.retry.do(ctx, "database.instances.list", c.observe, func(ctx context.Context) error {
			page = database.ListDatabaseInstancesResponse{} // a failed attempt may have filled it in part
			return c.api.Do(ctx, http.MethodGet, "/api/2.0/database/instances",
				map[string]string{"Accept": "application/json"}, nil, req, &page)
		})
		if err != nil {
			return "", err
		}
		for _, inst := range page.DatabaseInstances {
			if sameHost(inst.ReadWriteDns, host) || sameHost(inst.ReadOnlyDns, host) {
				return inst.Name, nil
			}
		}
		if page.NextPageToken == "" {
			return "", apperr.New(apperr.NotFound, "No Lakebase instance the service principal can see is reached at "+host+".")
		}
		req.PageToken = page.NextPageToken
	}
}

// sameHost reports whether the DNS name dns is host. DNS names are
// case-insensitive; an instance without readable secondaries has an empty
// read-only name, which is no host.
func sameHost(dns, host string) bool {
	return dns != "" && strings.EqualFold(dns, host)
}

// requestID is a random UUID (version 4), so Databricks can tell requests
// apart in its logs.
func requestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
