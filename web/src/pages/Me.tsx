import { api, API_TIMEOUT_MS, unwrap } from "../api";
import { useCall } from "../useCall";
import { Show } from "../ui";

/** Me shows the signed-in user and the workspace the app acts in. */
export function Me() {
  const [state] = useCall(() => unwrap(api.GET("/api/user/me/workspace")), []);
  return (
    <section>
      <h2>You and your workspace</h2>
      <Show state={state} what="Asking Databricks who you are" timeoutMs={API_TIMEOUT_MS}>
        {(w) => (
          <dl className="facts">
            <dt>Name</dt>
            <dd data-testid="display-name">{w.user.display_name}</dd>
            <dt>User id</dt>
            <dd>{w.user.user_id}</dd>
            <dt>E-mail</dt>
            <dd>{w.user.email || "—"}</dd>
            <dt>Acting as</dt>
            <dd>{w.auth_method === "obo" ? "you (on-behalf-of token)" : "the app's service principal (local development only)"}</dd>
            <dt>Workspace</dt>
            <dd>
              {w.workspace_url}
              {w.workspace_id ? ` (id ${w.workspace_id})` : ""}
            </dd>
          </dl>
        )}
      </Show>
    </section>
  );
}
