import { useState, type FormEvent } from "react";
import { api, API_TIMEOUT_MS, unwrap, type Schemas } from "../api";
import { parseExact, stringifyExact } from "../exactJson";
import { useAction, useCall } from "../useCall";
import { ErrorView, Loading, PagedTable, Show } from "../ui";

const PAGE = 20;

/**
 * parseValue reads the value field as JSON, every number as written, or as
 * a plain string when it is not JSON.
 */
function parseValue(text: string): unknown {
  try {
    return parseExact(text);
  } catch (e) {
    if (e instanceof SyntaxError) return text;
    throw e;
  }
}

/**
 * readPage reads a page of preferences from the answer's text, not through
 * JSON.parse, so that the values shown, and saved back by Edit, keep every
 * digit the server kept.
 */
function readPage(text: string): Schemas["PreferencePage"] {
  return parseExact(text) as Schemas["PreferencePage"];
}

/** Preferences views, edits and deletes the user's preferences (kept in Lakebase). */
export function Preferences() {
  const [offset, setOffset] = useState(0);
  // The form's key and value, set together by Edit and compared together
  // when a save answers.
  const [form, setForm] = useState({ key: "", value: "" });
  const [list, reload] = useCall(async () => readPage(await unwrap(api.GET("/api/preferences", { params: { query: { limit: PAGE, offset } }, parseAs: "text" }))), [offset]);
  const [saving, save] = useAction((k: string, text: string) =>
    unwrap(api.PUT("/api/preferences/{key}", { params: { path: { key: k } }, body: { value: parseValue(text) }, bodySerializer: stringifyExact })),
  );
  const [deleting, remove] = useAction((k: string) => unwrap(api.DELETE("/api/preferences/{key}", { params: { path: { key: k } } })));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const sent = form;
    if ((await save(sent.key, sent.value)).status === "ok") {
      // A save may take long, and the form stays live meanwhile: it is
      // cleared only if it still holds what was saved, so nothing typed or
      // loaded by Edit during the save is lost.
      setForm((now) => (now.key === sent.key && now.value === sent.value ? { key: "", value: "" } : now));
      reload();
    }
  };
  const del = async (k: string) => {
    await remove(k);
    reload();
  };
  return (
    <section>
      <h2>Your preferences</h2>
      <form className="pref-form" onSubmit={submit}>
        <input value={form.key} onChange={(e) => setForm({ ...form, key: e.target.value })} placeholder="key, e.g. theme" aria-label="Preference key" required />
        <input value={form.value} onChange={(e) => setForm({ ...form, value: e.target.value })} placeholder='value (JSON, e.g. "dark" or {"a":1})' aria-label="Preference value" />
        <button type="submit" disabled={saving?.status === "loading"}>Save</button>
      </form>
      {saving?.status === "loading" && <Loading what="Saving" since={saving.since} timeoutMs={API_TIMEOUT_MS} />}
      {saving?.status === "error" && <ErrorView error={saving.error} />}
      {deleting?.status === "error" && <ErrorView error={deleting.error} />}
      <Show state={list} what="Loading your preferences" timeoutMs={API_TIMEOUT_MS}>
        {(page) => (
          <PagedTable
            page={page}
            head={["Key", "Value", "Updated", ""]}
            rowKey={(p) => p.key}
            cells={(p) => (
              <>
                <td>{p.key}</td>
                <td><code>{stringifyExact(p.value)}</code></td>
                <td>{new Date(p.updated_at).toLocaleString()}</td>
                <td>
                  <button onClick={() => setForm({ key: p.key, value: stringifyExact(p.value) })} aria-label={`Edit ${p.key}`}>Edit</button>{" "}
                  <button onClick={() => del(p.key)} aria-label={`Delete ${p.key}`}>Delete</button>
                </td>
              </>
            )}
            offset={offset}
            limit={PAGE}
            onOffset={setOffset}
          />
        )}
      </Show>
    </section>
  );
}
