import { useState } from "react";
import { api, API_TIMEOUT_MS, unwrap } from "../api";
import { useCall } from "../useCall";
import { Pager, Show } from "../ui";

const PAGE = 20;

/** InferenceLog lists the user's own agent invocations, newest first. */
export function InferenceLog() {
  const [offset, setOffset] = useState(0);
  const [state, reload] = useCall(() => unwrap(api.GET("/api/model-serving/inference-logs", { params: { query: { limit: PAGE, offset } } })), [offset]);
  return (
    <section>
      <h2>Your inference log <button onClick={reload}>Refresh</button></h2>
      <Show state={state} what="Loading your inference log" timeoutMs={API_TIMEOUT_MS}>
        {(page) => (
          <>
            <table>
              <thead>
                <tr><th>When</th><th>Endpoint</th><th>Status</th><th>HTTP</th><th>Latency</th></tr>
              </thead>
              <tbody>
                {page.items.map((l) => (
                  <tr key={l.id}>
                    <td>{new Date(l.created_at).toLocaleString()}</td>
                    <td>{l.endpoint_name}</td>
                    <td>{l.status}</td>
                    <td>{l.http_status ?? "—"}</td>
                    <td>{l.latency_ms} ms</td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager offset={offset} limit={PAGE} count={page.items.length} hasMore={page.has_more} onOffset={setOffset} />
          </>
        )}
      </Show>
    </section>
  );
}
