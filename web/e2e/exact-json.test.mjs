// src/exactJson.ts in Node: JSON read and written back keeps every number
// as it was written, where JSON.parse and JSON.stringify round it to a
// 64-bit float. The Preferences page shows and saves values through it.
// src/exactJson.ts is bundled by esbuild (Vite's own) into a temporary module.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";

/** @type {any} */
let mod;
let dir = "";

before(async () => {
  dir = mkdtempSync(join(tmpdir(), "onbehalf-exact-json-"));
  const out = join(dir, "exactJson.mjs");
  await build({ entryPoints: [new URL("../src/exactJson.ts", import.meta.url).pathname], bundle: true, format: "esm", platform: "neutral", outfile: out, logLevel: "silent" });
  mod = await import(out);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe("src/exactJson.ts", () => {
  test("a value read and written back keeps every digit", () => {
    const cases = [
      '{"id":12345678901234567890}',
      "-98765432109876543210987654321",
      '[0.10000000000000000000001,1.0,1e2,-0,1E+400,3.141592653589793238462643383279]',
      '{"a":[{"b":18446744073709551615}],"s":"12345678901234567890","t":true,"n":null}',
      "42",
    ];
    for (const text of cases) {
      assert.equal(mod.stringifyExact(mod.parseExact(text)), text);
    }
  });

  test("a page of preferences keeps its values' digits, and its own numbers are numbers", () => {
    const page = mod.parseExact('{"items":[{"key":"k","value":{"id":12345678901234567890},"created_at":"2025-01-01T00:00:00Z","updated_at":"2025-01-01T00:00:00Z"}],"limit":20,"offset":0,"has_more":false}');
    assert.equal(mod.stringifyExact(page.items[0].value), '{"id":12345678901234567890}');
    assert.equal(page.limit, 20);
    assert.equal(page.offset, 0);
    assert.equal(page.has_more, false);
  });

  test("text that is not JSON is a SyntaxError", () => {
    for (const text of ["dark", "{", "[1,]", "01", ""]) {
      assert.throws(() => mod.parseExact(text), SyntaxError, text);
    }
  });

  test("a repeated key keeps its last value, as JSON.parse does", () => {
    assert.equal(mod.stringifyExact(mod.parseExact('{"a":1,"a":12345678901234567890}')), '{"a":12345678901234567890}');
  });

  test("a __proto__ key is a value, not the object's prototype", () => {
    const v = mod.parseExact('{"__proto__":{"x":1}}');
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
    assert.equal(mod.stringifyExact(v), '{"__proto__":{"x":1}}');
  });
});
