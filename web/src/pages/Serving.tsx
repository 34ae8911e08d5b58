import { useState, type FormEvent } from "react";
import { api, API_TIMEOUT_MS, invokeApi, INVOKE_TIMEOUT_MS, unwrap, type Schemas } from "../api";
import { useAction, useCall } from "../useCall";
import { ErrorView, Loading, PagedTable, Show } from "../ui";

const PAGE = 10;

/**
 * RESPONSES_AGENT is the task of an Agent Framework agent: the only kind of
 * endpoint that takes the request the server sends (`input`); Databricks
 * refuses it for a chat model (`llm/v1/chat`, which takes `messages`) or any
 * other, so only agents get a Chat button.
 */
const RESPONSES_AGENT = "agent/v1/responses";

/** Serving lists the serving endpoints the user may use, and chats with one. */
export function Serving() {
  const [offset, setOffset] = useState(0);
  const [endpoint, setEndpoint] = useState<string>();
  const [state] = useCall(() => unwrap(api.GET("/api/model-serving/endpoints", { params: { query: { limit: PAGE, offset } } })), [offset]);
  return (
    <section>
      <h2>Serving endpoints</h2>
      <Show state={state} what="Listing your serving endpoints" timeoutMs={API_TIMEOUT_MS}>
        {(page) => (
          <PagedTable
            page={page}
            head={["Endpoint", "Task", "State", ""]}
            rowKey={(e) => e.name}
            cells={(e) => (
              <>
                <td>{e.name}</td>
                <td>{e.task}</td>
                <td>{e.state.ready}{e.state.config_update !== "NOT_UPDATING" ? ` (${e.state.config_update})` : ""}</td>
                <td>
                  {e.task === RESPONSES_AGENT ? (
                    <button onClick={() => setEndpoint(e.name)} aria-label={`Chat with ${e.name}`}>Chat</button>
                  ) : (
                    <span className="muted" title="The chat sends the Agent Framework's request, which only agents (task agent/v1/responses) take.">not an agent</span>
                  )}
                </td>
              </>
            )}
            offset={offset}
            limit={PAGE}
            onOffset={setOffset}
          />
        )}
      </Show>
      {endpoint && <Chat key={endpoint} endpoint={endpoint} />}
    </section>
  );
}

type Message = Schemas["Message"];

/** Chat sends the whole conversation to an agent endpoint and shows its answers. */
function Chat({ endpoint }: { endpoint: string }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const [text, setText] = useState("");
  const [state, invoke] = useAction((input: Message[]) =>
    unwrap(invokeApi.POST("/api/model-serving/endpoints/{endpoint_name}/invocations", { params: { path: { endpoint_name: endpoint } }, body: { input } }), INVOKE_TIMEOUT_MS, { acts: true }),
  );
  const send = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim() || state?.status === "loading") return;
    const said = text;
    const input: Message[] = [...messages, { role: "user", content: said.trim() }];
    setMessages(input);
    setText("");
    const ended = await invoke(input);
    if (ended.status === "ok") {
      setMessages([...input, { role: "assistant", content: ended.data.output_text }]);
    } else if (ended.error.refused) {
      // Refused (a 4xx): the agent never saw the message. It leaves the
      // conversation and goes back to the input, ahead of anything typed
      // meanwhile, so that sending it again does not send it twice. After a
      // timeout, a 5xx or no answer the agent may have acted: it stays.
      setMessages(messages);
      setText((now) => (now.trim() ? `${said} ${now}` : said));
    }
  };
  return (
    <div className="chat">
      <h3>Chat with {endpoint}</h3>
      <ol className="messages" aria-label="Conversation">
        {messages.map((m, i) => (
          <li key={i} className={m.role}>
            <span className="role">{m.role === "user" ? "You" : endpoint}</span> {m.content}
          </li>
        ))}
      </ol>
      {state?.status === "loading" && <Loading what={`Waiting for ${endpoint}`} since={state.since} timeoutMs={INVOKE_TIMEOUT_MS} />}
      {state?.status === "error" && <ErrorView error={state.error} />}
      {state?.status === "error" && !state.error.refused && !state.error.timedOut && (
        // A 5xx or no answer: the call may have reached the agent. (A
        // timeout's own message says so already.)
        <p className="muted">The agent may have acted before this failure: check your inference log before sending the message again.</p>
      )}
      <form onSubmit={send}>
        <input value={text} onChange={(e) => setText(e.target.value)} placeholder="Your message" aria-label="Message" />
        <button type="submit" disabled={state?.status === "loading"}>Send</button>
      </form>
    </div>
  );
}
