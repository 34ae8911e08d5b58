// The generated TypeScript client (gen/ts/schema.d.ts through openapi-fetch)
// against the RUNNING server in demo mode: `node --test tests/client/` (run by
// `make test` after building build/server). Types: the JSDoc below binds the
// client to the generated `paths`.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import createClient from "openapi-fetch";
import { startServer } from "./server.mjs";

/** @typedef {import("../../gen/ts/schema.js").paths} paths */

/** @type {import("./server.mjs").DemoServer} */
let server;

/**
 * A client as the Apps proxy would call: the token in X-Forwarded-Access-Token.
 * @param {string} [token]
 * @returns {import("openapi-fetch").Client<paths>}
 */
function as(token) {
  return createClient({ baseUrl: server.baseUrl, headers: token ? { "X-Forwarded-Access-Token": token } : {} });
}

before(async () => {
  server = await startServer();
});
after(async () => {
  await server?.stop();
});

describe("generated client against the running server", () => {
  test("current user: alice's token is alice", async () => {
    const { data, error, response } = await as(server.tokens.alice).GET("/api/user/me");
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(response.status, 200);
    assert.equal(data?.user_id, "alice@example.com");
    assert.equal(data?.display_name, "Alice Analyst");
    assert.equal(data?.auth_method, "obo");
  });

  test("catalogs: each user sees their own, paged", async () => {
    const alice = await as(server.tokens.alice).GET("/api/unity-catalog/catalogs", { params: { query: { limit: 50 } } });
    const bob = await as(server.tokens.bob).GET("/api/unity-catalog/catalogs", { params: { query: { limit: 50 } } });
    assert.deepEqual(alice.data?.items.map((c) => c.name).sort(), ["main", "sales", "samples"]);
    assert.deepEqual(bob.data?.items.map((c) => c.name).sort(), ["hr", "main"]);
    const first = await as(server.tokens.alice).GET("/api/unity-catalog/catalogs", { params: { query: { limit: 1, offset: 0 } } });
    assert.equal(first.data?.items.length, 1);
    assert.equal(first.data?.has_more, true);
  });

  test("schemas and tables by path parameters", async () => {
    const client = as(server.tokens.alice);
    const schemas = await client.GET("/api/unity-catalog/catalogs/{catalog_name}/schemas", { params: { path: { catalog_name: "sales" } } });
    assert.deepEqual(schemas.data?.items.map((s) => s.name), ["customers", "forecast", "orders"]);
    const tables = await client.GET("/api/unity-catalog/catalogs/{catalog_name}/schemas/{schema_name}/tables", {
      params: { path: { catalog_name: "sales", schema_name: "orders" } },
    });
    assert.ok(tables.data?.items.some((t) => t.full_name === "sales.orders.open_orders" && t.table_type === "VIEW"), JSON.stringify(tables.data));
  });

  test("agent invocation: typed body and answer", async () => {
    const { data, error } = await as(server.tokens.bob).POST("/api/model-serving/endpoints/{endpoint_name}/invocations", {
      params: { path: { endpoint_name: "agent-chat" } },
      body: { input: [{ role: "user", content: "hello from node" }] },
    });
    assert.equal(error, undefined, JSON.stringify(error));
    assert.equal(data?.endpoint_name, "agent-chat");
    assert.match(data?.output_text ?? "", /hello from node/);
  });

  test("missing scope: a 403 problem with the re-consent steps", async () => {
    const { data, error, response } = await as(server.tokens.aliceNoServing).GET("/api/model-serving/endpoints");
    assert.equal(data, undefined);
    assert.equal(response.status, 403);
    assert.equal(response.headers.get("Content-Type"), "application/problem+json");
    assert.deepEqual(error?.missing_scopes, ["serving.serving-endpoints"]);
    assert.ok((error?.remediation?.length ?? 0) >= 2, JSON.stringify(error));
    assert.equal(error?.correlation_id, response.headers.get("X-Request-Id"));
  });

  test("invalid input: a 400 problem naming the parameter", async () => {
    const { error, response } = await as(server.tokens.alice).GET("/api/unity-catalog/catalogs", { params: { query: { limit: 0 } } });
    assert.equal(response.status, 400);
    assert.ok(error?.errors?.some((e) => e.name === "limit" && e.location === "query"), JSON.stringify(error));
  });

  test("no token: a 401 problem", async () => {
    const { error, response } = await as().GET("/api/user/me");
    assert.equal(response.status, 401);
    assert.equal(error?.status, 401);
  });

  test("preferences: a round trip when Lakebase is configured, else the 503 problem", async (t) => {
    const client = as(server.tokens.alice);
    const list = await client.GET("/api/preferences");
    if (list.response.status === 503) {
      assert.match(list.error?.detail ?? "", /Lakebase is not configured/);
      if (process.env.E2E_REQUIRE_LAKEBASE === "1") assert.fail("E2E_REQUIRE_LAKEBASE=1 but preferences answer 503");
      t.diagnostic("Lakebase not configured on this server: checked the 503 problem only");
      return;
    }
    const put = await client.PUT("/api/preferences/{key}", { params: { path: { key: "node-test.theme" } }, body: { value: { mode: "dark" } } });
    assert.equal(put.response.status, 200, JSON.stringify(put.error));
    assert.deepEqual(put.data?.value, { mode: "dark" });
    const got = await client.GET("/api/preferences/{key}", { params: { path: { key: "node-test.theme" } } });
    assert.deepEqual(got.data?.value, { mode: "dark" });
    const bobs = await as(server.tokens.bob).GET("/api/preferences/{key}", { params: { path: { key: "node-test.theme" } } });
    assert.equal(bobs.response.status, 404, "bob must not see alice's preference");
    const del = await client.DELETE("/api/preferences/{key}", { params: { path: { key: "node-test.theme" } } });
    assert.equal(del.response.status, 204);
  });
});
