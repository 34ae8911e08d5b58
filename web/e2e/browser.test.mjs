// The browser test: playwright-core drives Debian's Chromium (CHROMIUM, by
// default /usr/bin/chromium; never a downloaded browser) against the real
// server binary in demo mode. Run by `make browser-test`; screenshots go to
// web/e2e/artifacts/.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { chromium } from "playwright-core";
import { startServer } from "../../tests/client/server.mjs";

const artifacts = new URL("./artifacts/", import.meta.url).pathname;
const WAIT = { timeout: 20_000 };

/** @type {import("../../tests/client/server.mjs").DemoServer} */
let server;
/** @type {import("playwright-core").Browser} */
let browser;

before(async () => {
  mkdirSync(artifacts, { recursive: true });
  // A short upstream timeout so the timeout step below ends quickly; agent
  // invocations keep their own (APP_INVOKE_TIMEOUT).
  server = await startServer({ APP_UPSTREAM_TIMEOUT: "2s" });
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
    // Root in a container: no sandbox; small /dev/shm.
    args: ["--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"],
  });
});
after(async () => {
  await browser?.close();
  await server?.stop();
});

/**
 * A fresh browser session signed in through the demo sign-in bar.
 * @param {string} label the demo user's button
 */
async function signIn(label) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
  const page = await context.newPage();
  await page.goto(server.baseUrl + "/");
  await page.getByText("Pick a demo user above to sign in.").waitFor(WAIT);
  await page.getByRole("button", { name: label, exact: true }).click();
  return { context, page };
}

/** @param {import("playwright-core").Page} page @param {string} name */
async function open(page, name) {
  await page.getByRole("navigation", { name: "Pages" }).getByRole("link", { name, exact: true }).click();
}

/** @param {string} path @param {object} [body] */
async function fake(method, path, body) {
  const r = await fetch(server.fakeUrl + path, { method, headers: { "Content-Type": "application/json" }, body: body && JSON.stringify(body) });
  assert.ok(r.ok, `${method} ${path}: ${r.status}`);
}

describe("the app in Chromium, demo mode", () => {
  test("alice: who she is, her catalogs, a preference, a chat", async (t) => {
    const { context, page } = await signIn("Alice Analyst");
    try {
      await page.getByTestId("display-name").filter({ hasText: "Alice Analyst" }).waitFor(WAIT);
      assert.match(await page.locator(".facts").innerText(), /alice@example\.com/);

      await open(page, "Catalogs");
      await page.getByRole("button", { name: "sales", exact: true }).click();
      await page.getByRole("button", { name: "orders", exact: true }).click();
      await page.getByRole("cell", { name: "sales.orders.open_orders" }).waitFor(WAIT);
      await page.getByRole("navigation", { name: "Catalog path" }).getByRole("button", { name: "Catalogs" }).click();
      await page.getByRole("button", { name: "samples", exact: true }).waitFor(WAIT);
      assert.equal(await page.getByRole("button", { name: "hr", exact: true }).count(), 0, "alice must not see bob's hr catalog");

      // Preferences need Lakebase: the full edit when the server has it, else the 503 problem shown plainly.
      await open(page, "Preferences");
      const lakebase = (await page.request.get(server.baseUrl + "/api/preferences")).status();
      if (lakebase === 200) {
        await page.getByLabel("Preference key").fill("browser.theme");
        await page.getByLabel("Preference value").fill('"dark"');
        await page.getByRole("button", { name: "Save" }).click();
        const row = page.getByRole("row").filter({ hasText: "browser.theme" });
        await row.getByText('"dark"').waitFor(WAIT);
        await page.screenshot({ path: artifacts + "preferences.png", fullPage: true });
        await row.getByRole("button", { name: "Delete browser.theme" }).click();
        await row.waitFor({ state: "detached", ...WAIT });

        // A number beyond a float's digits, stored through the API, is shown
        // and saved back by Edit→Save digit for digit.
        const big = '{"id":12345678901234567890,"ratio":0.10000000000000000000001}';
        const put = await page.request.put(server.baseUrl + "/api/preferences/browser.big", { headers: { "Content-Type": "application/json" }, data: `{"value":${big}}` });
        assert.equal(put.status(), 200, await put.text());
        await open(page, "Me");
        await open(page, "Preferences");
        const bigRow = page.getByRole("row").filter({ hasText: "browser.big" });
        await bigRow.getByText(big, { exact: true }).waitFor(WAIT);
        await bigRow.getByRole("button", { name: "Edit browser.big" }).click();
        assert.equal(await page.getByLabel("Preference value").inputValue(), big);
        await page.getByRole("button", { name: "Save" }).click();
        await page.getByLabel("Preference value").and(page.locator(":placeholder-shown")).waitFor(WAIT);
        const saved = await page.request.get(server.baseUrl + "/api/preferences/browser.big");
        assert.match(await saved.text(), /"value":\{"id":12345678901234567890,"ratio":0.10000000000000000000001\}/);
        await bigRow.getByRole("button", { name: "Delete browser.big" }).click();
        await bigRow.waitFor({ state: "detached", ...WAIT });
      } else {
        assert.notEqual(process.env.E2E_REQUIRE_LAKEBASE, "1", `E2E_REQUIRE_LAKEBASE=1 but GET /api/preferences answered ${lakebase}`);
        assert.equal(lakebase, 503);
        await page.getByRole("alert").filter({ hasText: "Lakebase is not configured" }).waitFor(WAIT);
        await page.screenshot({ path: artifacts + "preferences-unavailable.png", fullPage: true });
        t.diagnostic("Lakebase not configured: checked that the page shows the 503 problem");
      }

      await open(page, "Serving & chat");
      // A chat model (llm/v1/chat) does not take the agent's request: no Chat for it.
      const forecast = page.getByRole("row").filter({ hasText: "sales-forecast" });
      await forecast.getByText("not an agent").waitFor(WAIT);
      assert.equal(await page.getByRole("button", { name: "Chat with sales-forecast" }).count(), 0);
      await page.getByRole("button", { name: "Chat with agent-chat" }).click();
      await page.getByLabel("Message").fill("Hello from Chromium");
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByRole("list", { name: "Conversation" }).getByText("Echo for alice@example.com: Hello from Chromium").waitFor(WAIT);
      await page.screenshot({ path: artifacts + "alice-chat.png", fullPage: true });

      // The invocation above is in alice's inference log when Lakebase keeps it, else the 503 problem shows.
      await open(page, "Inference log");
      await page.getByRole("heading", { name: /Your inference log/ }).waitFor(WAIT);
      if (lakebase === 200) {
        await page.getByRole("row").filter({ hasText: "agent-chat" }).first().waitFor(WAIT);
      } else {
        await page.getByRole("alert").filter({ hasText: "Lakebase is not configured" }).waitFor(WAIT);
      }
    } finally {
      await context.close();
    }
  });

  test("what is typed while a preference is being saved is kept when the save answers", async () => {
    const { context, page } = await signIn("Alice Analyst");
    try {
      // The save is held here until the user has typed on, then answered
      // (by the test, so that it needs no Lakebase).
      /** @type {(route: import("playwright-core").Route) => void} */
      let held = () => {};
      const saving = new Promise((resolve) => (held = resolve));
      await page.route("**/api/preferences/browser.first", (route) => (route.request().method() === "PUT" ? held(route) : route.fallback()));
      await open(page, "Preferences");
      await page.getByLabel("Preference key").fill("browser.first");
      await page.getByLabel("Preference value").fill('"one"');
      await page.getByRole("button", { name: "Save" }).click();
      const route = /** @type {import("playwright-core").Route} */ (await saving);
      await page.getByRole("status").filter({ hasText: "Saving" }).waitFor(WAIT);

      await page.getByLabel("Preference key").fill("browser.second");
      await page.getByLabel("Preference value").fill('"two"');
      // The page reloads the list after the render that follows the save's
      // answer: once it asks, the form is as the answer left it.
      const relisted = page.waitForRequest((r) => r.method() === "GET" && new URL(r.url()).pathname === "/api/preferences", WAIT);
      await route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify({ key: "browser.first", value: "one", updated_at: new Date().toISOString() }) });
      await relisted;
      await page.getByRole("status").filter({ hasText: "Saving" }).waitFor({ state: "detached", ...WAIT });
      assert.equal(await page.getByLabel("Preference key").inputValue(), "browser.second");
      assert.equal(await page.getByLabel("Preference value").inputValue(), '"two"');
    } finally {
      await context.close();
    }
  });

  test("a chat message the server refused goes back to the input; after a 5xx it stays", async () => {
    const { context, page } = await signIn("Alice Analyst");
    const invocation = "/serving-endpoints/agent-chat/invocations";
    /** @type {any[]} */
    const sent = [];
    page.on("request", (r) => r.url().endsWith("/invocations") && sent.push(r.postDataJSON().input));
    const conversation = page.getByRole("list", { name: "Conversation" });
    try {
      await open(page, "Serving & chat");
      await page.getByRole("button", { name: "Chat with agent-chat" }).click();

      // Databricks refuses the input (a 400): the agent never saw it.
      await fake("POST", "/_fake/faults", { path: invocation, status: 400, message: "input refused", count: 1 });
      await page.getByLabel("Message").fill("Book the room");
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByRole("alert").filter({ hasText: "input refused" }).waitFor(WAIT);
      assert.equal(await page.getByText("The agent may have acted").count(), 0, "a refusal says the agent may have acted");
      assert.equal(await page.getByLabel("Message").inputValue(), "Book the room");
      assert.equal(await conversation.getByRole("listitem").count(), 0, "the refused message left the conversation");

      // Sent again, the agent gets it once.
      await page.getByRole("button", { name: "Send" }).click();
      await conversation.getByText("Echo for alice@example.com: Book the room").waitFor(WAIT);
      assert.deepEqual(sent.at(-1), [{ role: "user", content: "Book the room" }]);

      // Databricks fails mid-call (a 500, the server's 502): the agent may
      // have acted, so the message stays in the conversation, unanswered.
      await fake("POST", "/_fake/faults", { path: invocation, status: 500, count: 1 });
      await page.getByLabel("Message").fill("And lunch");
      await page.getByRole("button", { name: "Send" }).click();
      await page.getByRole("alert").filter({ hasText: "(502)" }).waitFor(WAIT);
      await page.getByText("The agent may have acted before this failure").waitFor(WAIT);
      assert.equal(await page.getByLabel("Message").inputValue(), "");
      assert.equal(await conversation.getByRole("listitem").count(), 3);
      assert.match(await conversation.getByRole("listitem").last().innerText(), /And lunch/);
    } finally {
      await fake("DELETE", "/_fake/faults");
      await context.close();
    }
  });

  test("bob sees his own catalogs", async () => {
    const { context, page } = await signIn("Bob Builder");
    try {
      await page.getByTestId("display-name").filter({ hasText: "Bob Builder" }).waitFor(WAIT);
      await open(page, "Catalogs");
      await page.getByRole("button", { name: "hr", exact: true }).click();
      await page.getByRole("button", { name: "payroll", exact: true }).waitFor(WAIT);
      await page.getByRole("navigation", { name: "Catalog path" }).getByRole("button", { name: "Catalogs" }).click();
      await page.getByRole("button", { name: "main", exact: true }).waitFor(WAIT);
      assert.equal(await page.getByRole("button", { name: "sales", exact: true }).count(), 0, "bob must not see alice's sales catalog");
      await page.screenshot({ path: artifacts + "bob-catalogs.png", fullPage: true });
    } finally {
      await context.close();
    }
  });

  test("alice without the serving scope sees the re-consent steps", async () => {
    const { context, page } = await signIn("Alice Analyst, without the serving scope");
    try {
      await open(page, "Serving & chat");
      const alert = page.getByRole("alert");
      await alert.filter({ hasText: "serving.serving-endpoints" }).waitFor(WAIT);
      assert.match(await alert.innerText(), /Forbidden \(403\)/);
      assert.ok((await alert.locator(".remediation li").count()) >= 2, "the problem's remediation steps are listed");
      assert.match(await alert.locator(".remediation").innerText(), /re-consent/);
      await page.screenshot({ path: artifacts + "scope-error.png", fullPage: true });
    } finally {
      await context.close();
    }
  });

  test("behind a proxy that sets the header, as on Databricks Apps: no demo bar", async () => {
    const context = await browser.newContext({ extraHTTPHeaders: { "X-Forwarded-Access-Token": server.tokens.bob } });
    // Outside demo mode /_demo/ is a 404 (TestDemoProxyOnlyInDemoMode); play that here.
    await context.route("**/_demo/**", (route) => route.fulfill({ status: 404, contentType: "application/problem+json", body: "{}" }));
    const page = await context.newPage();
    try {
      await page.goto(server.baseUrl + "/");
      await page.getByTestId("display-name").filter({ hasText: "Bob Builder" }).waitFor(WAIT);
      assert.equal(await page.locator(".demo-bar").count(), 0, "no demo bar outside demo mode");
      await open(page, "Catalogs");
      await page.getByRole("button", { name: "hr", exact: true }).waitFor(WAIT);
    } finally {
      await context.close();
    }
  });

  test("a slow upstream: the loading state stays until the answer, then until the timeout's error", async () => {
    const { context, page } = await signIn("Bob Builder");
    try {
      await page.getByTestId("display-name").waitFor(WAIT);
      // Slow but in time (1.5 s < the 2 s upstream timeout): loading, then the answer.
      await fake("POST", "/_fake/faults", { path: "/api/2.1/unity-catalog/catalogs", delay_ms: 1500, count: 1 });
      await open(page, "Catalogs");
      await page.getByRole("status").filter({ hasText: "Listing your catalogs" }).waitFor(WAIT);
      await page.getByRole("button", { name: "hr", exact: true }).waitFor(WAIT);
      assert.equal(await page.getByRole("status").count(), 0, "the loading state ends with the answer");

      // Too slow on every attempt: loading until the server's timeout, then a clear error.
      await fake("POST", "/_fake/faults", { path: "/api/2.1/unity-catalog/catalogs", delay_ms: 30000 });
      await open(page, "Me");
      await page.getByTestId("display-name").waitFor(WAIT);
      await open(page, "Catalogs");
      await page.getByRole("status").filter({ hasText: "Listing your catalogs" }).waitFor(WAIT);
      const alert = page.getByRole("alert");
      await alert.waitFor({ timeout: 30_000 });
      assert.equal(await page.getByRole("status").count(), 0, "the loading state ends with the error");
      assert.match(await alert.innerText(), /\((504|502)\)/);
      await page.screenshot({ path: artifacts + "timeout.png", fullPage: true });
    } finally {
      await fake("DELETE", "/_fake/faults");
      await context.close();
    }
  });
});
