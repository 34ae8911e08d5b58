// The front end's API wrapper (src/api.ts) in Node, against a small HTTP
// server that answers what a test needs: a problem becomes an ApiError with
// the typed problem, a request without an answer ends at the timeout with a
// clear ApiError (an invocation's without inviting a blind retry), and an
// answer that is not a problem still says what came; only a 4xx is a
// refusal (nothing was carried out).
// src/api.ts is bundled by esbuild (Vite's own) into a temporary module.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** @type {any} */
let mod;
/** @type {import("node:http").Server} */
let server;
let base = "";
let dir = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "onbehalf-api-"));
  const out = join(dir, "api.mjs");
  await build({ entryPoints: [new URL("../src/api.ts", import.meta.url).pathname], bundle: true, format: "esm", platform: "neutral", outfile: out, logLevel: "silent" });
  mod = await import(out);
  server = createServer((req, res) => {
    if (req.url?.startsWith("/api/user/me/workspace") || req.url?.endsWith("/invocations")) return; // never answers
    if (req.url?.startsWith("/api/model-serving/endpoints")) {
      res.writeHead(403, { "Content-Type": "application/problem+json" });
      res.end(JSON.stringify({ type: "urn:onbehalf:problem:missing_scope", title: "Forbidden", status: 403, detail: "Your access token lacks serving.serving-endpoints.", correlation_id: "c1", missing_scopes: ["serving.serving-endpoints"], remediation: ["restart", "re-consent"] }));
      return;
    }
    if (req.url?.startsWith("/api/user/me")) {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ user_id: "alice@example.com", username: "alice@example.com", display_name: "Alice", email: "", auth_method: "obo" }));
      return;
    }
    res.writeHead(502, { "Content-Type": "text/html" });
    res.end("<html>bad gateway</html>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve(undefined)));
  const addr = server.address();
  base = `http://127.0.0.1:${typeof addr === "object" && addr ? addr.port : 0}`;
});
after(() => {
  server?.closeAllConnections();
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("src/api.ts", () => {
  test("an answer is the data", async () => {
    const data = await mod.unwrap(mod.createApi(base, 5000).GET("/api/user/me"));
    assert.equal(data.user_id, "alice@example.com");
  });

  test("a problem is an ApiError carrying it", async () => {
    const err = await mod.unwrap(mod.createApi(base, 5000).GET("/api/model-serving/endpoints")).catch((/** @type {any} */ e) => e);
    assert.ok(err instanceof mod.ApiError, String(err));
    assert.equal(err.message, "Your access token lacks serving.serving-endpoints.");
    assert.deepEqual(err.problem.remediation, ["restart", "re-consent"]);
    assert.equal(err.timedOut, false);
    assert.equal(err.status, 403);
    assert.equal(err.refused, true, "a 4xx is a refusal: nothing was carried out");
  });

  test("no answer ends at the timeout with a clear error", { timeout: 10_000 }, async () => {
    const err = await mod.unwrap(mod.createApi(base, 300).GET("/api/user/me/workspace"), 300).catch((/** @type {any} */ e) => e);
    assert.ok(err instanceof mod.ApiError, String(err));
    assert.equal(err.timedOut, true);
    assert.equal(err.problem, undefined);
    assert.match(err.message, /^No answer from the server within 300 ms\./);
    assert.equal(err.status, undefined);
    assert.equal(err.refused, false, "without an answer the call may have been carried out");
  });

  test("an invocation's timeout says the agent may have acted, not to try again", { timeout: 10_000 }, async () => {
    const call = mod.createApi(base, 300).POST("/api/model-serving/endpoints/{endpoint_name}/invocations", { params: { path: { endpoint_name: "agent-chat" } }, body: { input: [{ role: "user", content: "hi" }] } });
    const err = await mod.unwrap(call, 300, { acts: true }).catch((/** @type {any} */ e) => e);
    assert.ok(err instanceof mod.ApiError, String(err));
    assert.equal(err.timedOut, true);
    assert.match(err.message, /^No answer from the server within 300 ms\. .*the agent may have acted/);
    assert.doesNotMatch(err.message, /try again/);
  });

  test("the browser waits longer than the server's own bounds", () => {
    // The server's longest with its defaults: a preference call is the
    // identity (35 s) and one Lakebase operation (5 s); an agent invocation
    // is httpapi.LongestInvocation, 35 s + 125 s + 5 s.
    assert.ok(mod.API_TIMEOUT_MS > 40_000, `API_TIMEOUT_MS ${mod.API_TIMEOUT_MS}`);
    assert.ok(mod.INVOKE_TIMEOUT_MS > 165_000, `INVOKE_TIMEOUT_MS ${mod.INVOKE_TIMEOUT_MS}`);
  });

  test("the browser waits as long as the page says the server may take", async () => {
    // index.html carries the server's own longest (impl/httpapi/web.go); a
    // server run with longer timeouts says so, and the front end waits that
    // long and the margin. An unreadable value keeps the default.
    /** @type {Record<string, string>} */
    const meta = { "onbehalf:longest-request-ms": "100000", "onbehalf:longest-invocation-ms": "not a number" };
    globalThis.document = /** @type {any} */ ({
      querySelector: (/** @type {string} */ sel) => {
        const name = /name="([^"]+)"/.exec(sel)?.[1] ?? "";
        return name in meta ? { getAttribute: () => meta[name] } : null;
      },
    });
    try {
      const withPage = await import(`${dir}/api.mjs?page`);
      assert.equal(withPage.API_TIMEOUT_MS, 115_000);
      assert.equal(withPage.INVOKE_TIMEOUT_MS, mod.INVOKE_TIMEOUT_MS);
    } finally {
      delete (/** @type {any} */ (globalThis)).document;
    }
  });

  test("an answer that is not a problem says what came", async () => {
    const err = await mod.unwrap(mod.createApi(base, 5000).GET("/api/unity-catalog/catalogs")).catch((/** @type {any} */ e) => e);
    assert.ok(err instanceof mod.ApiError, String(err));
    assert.match(err.message, /answered 502/);
    assert.equal(err.problem, undefined);
    assert.equal(err.status, 502);
    assert.equal(err.refused, false, "after a 5xx the call may have been carried out");
  });
});
