// Package fakeworkspace is a fake Databricks workspace: a real HTTP server
// that answers the REST paths onbehalf calls with the real API's JSON
// shapes, so the real Databricks Go SDK talks to it unmodified.
//
// It models what matters for acting on behalf of a user:
//
//   - users and one service principal (the app's identity);
//   - Unity Catalog catalogs, schemas and tables with per-user catalog
//     grants, listed page by page as the real API does (optionally with
//     empty pages that still carry a next_page_token);
//   - serving endpoints with per-user grants, and agent invocations in the
//     Agent Framework (Responses API) shape that echo the caller's name;
//   - JWT-shaped user tokens carrying scopes, enforced per path as the
//     platform does ("Invalid scope"), opaque personal access tokens, and
//     OAuth M2M (client credentials) for the service principal;
//   - Lakebase database instances with their DNS names, listed page by page,
//     and Lakebase Autoscaling endpoints (resource path and host), and their
//     credentials, for the service principal only;
//   - injectable faults (status, Retry-After, delay, connection reset) and a
//     log of every request received, with the token it carried.
//
// Tests start it in-process with httptest.NewServer(ws.Handler()) or
// ws.Start(); cmd/fakeworkspace runs the demo workspace as a process.
//
// # Paths served
//
//	GET  /.well-known/databricks-config                  host metadata
//	GET  /oidc/.well-known/oauth-authorization-server    OIDC discovery (also under /oidc/v1/)
//	POST /oidc/v1/token                                  client credentials for the service principal
//	GET  /api/2.0/preview/scim/v2/Me                     the caller (scope iam.current-user:read)
//	GET  /api/2.1/unity-catalog/catalogs                 scope catalog.catalogs:read
//	GET  /api/2.1/unity-catalog/schemas?catalog_name=    scope catalog.schemas:read
//	GET  /api/2.1/unity-catalog/tables?catalog_name=&schema_name=   scope catalog.tables:read
//	GET  /api/2.0/serving-endpoints                      scope serving.serving-endpoints
//	GET  /api/2.0/serving-endpoints/{name}               scope serving.serving-endpoints
//	POST /serving-endpoints/{name}/invocations           scope serving.serving-endpoints
//	GET  /api/2.0/database/instances                     any authenticated caller
//	POST /api/2.0/database/credentials                   the service principal only, for an instance listed
//	POST /api/2.0/postgres/credentials                   the service principal only, for an Autoscaling endpoint added
//
// Anything else answers 404 ENDPOINT_NOT_FOUND. Every error body is
// {"error_code": "...", "message": "..."}, which the SDK's apierr parses,
// but the token endpoint's, which are OAuth errors (RFC 6749 section 5.2:
// {"error": "...", "error_description": "..."}), injected faults' included.
//
// # Control endpoints
//
// [Workspace.HandlerWithControl] (what cmd/fakeworkspace serves) adds
// endpoints under /_fake/ so a test that runs the fake as a process can
// drive it. They are neither logged nor subject to faults.
//
//	POST   /_fake/tokens          {"user_name": "...", "scopes": ["..."], "opaque": false} -> {"token": "..."}
//	                              (opaque true issues a personal access token; scopes are ignored then)
//	POST   /_fake/tokens/revoke   {"token": "..."} -> 204
//	POST   /_fake/faults          a Fault as JSON, see Fault.MarshalJSON (delay_ms in milliseconds) -> 204
//	DELETE /_fake/faults          clears every fault -> 204
//	GET    /_fake/requests        the request log as a JSON array of Request, tokens included -> 200
//	DELETE /_fake/requests        clears the log -> 204
//	GET    /_fake/database-credentials   the Lakebase credentials issued, instances' and endpoints' -> 200
//	POST   /_fake/database-credentials/expire   every credential issued so far expires now -> 204
package fakeworkspace
