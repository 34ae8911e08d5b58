import { useState } from "react";
import { api, API_TIMEOUT_MS, unwrap } from "../api";
import { useCall } from "../useCall";
import { PagedTable, Show } from "../ui";

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
          <PagedTable
            page={page}
            head={["When", "Endpoint", "Status", "HTTP", "Latency"]}
            rowKey={(l) => l.id}
            cells={(l) => (
              <>
                <td>{new Date(l.created_at).toLocaleString()}</td>
                <td>{l.endpoint_name}</td>
                <td>{l.status}</td>
                <td>{l.http_status ?? "—"}</td>
                <td>{l.latency_ms} ms</td>
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
