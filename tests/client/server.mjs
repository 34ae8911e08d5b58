// Starts the real server binary in demo mode for the Node and browser tests,
// and reads what it prints: its port (the JSON "listening" line), the demo
// users' tokens and the fake workspace's URL (the demo welcome).
import { spawn } from "node:child_process";
import { once } from "node:events";

/**
 * @typedef {object} DemoServer
 * @property {string} baseUrl     the server, e.g. http://127.0.0.1:40123
 * @property {string} fakeUrl     the in-process fake workspace (its /_fake/ control API)
 * @property {{alice: string, bob: string, aliceNoServing: string}} tokens  demo tokens, as the Apps proxy would send them
 * @property {() => string} output everything the server printed so far
 * @property {() => Promise<void>} stop
 */

/**
 * startServer runs the binary SERVER_BIN (default build/server) with
 * DATABRICKS_APP_PORT=0 and no DATABRICKS_HOST (demo mode), plus env.
 * @param {Record<string, string>} [env]
 * @returns {Promise<DemoServer>}
 */
export async function startServer(env = {}) {
  const bin = process.env.SERVER_BIN ?? "build/server";
  /** @type {Record<string, string | undefined>} */
  const childEnv = { ...process.env, DATABRICKS_APP_PORT: "0", ...env };
  delete childEnv.DATABRICKS_HOST;
  const child = spawn(bin, [], { env: childEnv, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d) => (out += d));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server not ready in 30 s:\n${out}`)), 30_000);
    child.on("exit", (code) => reject(new Error(`server exited (${code}):\n${out}`)));
    child.stdout.on("data", (d) => {
      out += d;
      // The welcome ends with alice's token without the serving scope.
      const m = parse(out);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    });
  });
  const info = await ready;
  return {
    ...info,
    output: () => out,
    stop: async () => {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        await once(child, "exit");
      }
    },
  };
}

/** @param {string} out */
function parse(out) {
  const listening = out
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l))
    .find((l) => l.msg === "listening");
  const fake = out.match(/fake Databricks workspace runs at (\S+)/);
  const alice = out.match(/alice@example\.com:\n\s+export TOKEN=(\S+)/);
  const bob = out.match(/bob@example\.com:\n\s+export TOKEN=(\S+)/);
  const noServing = out.match(/without the serving scope[^\n]*\n[^\n]*X-Forwarded-Access-Token: ([^"\s]+)"/);
  if (!listening || !fake || !alice || !bob || !noServing) return undefined;
  return {
    baseUrl: `http://127.0.0.1:${listening.port}`,
    fakeUrl: fake[1],
    tokens: { alice: alice[1], bob: bob[1], aliceNoServing: noServing[1] },
  };
}
