// A type-level test of the generated TypeScript client: `tsc -p tests/ts`
// (part of `make lint`) compiles it, and fails when the client drifts from
// what a front end relies on. The @ts-expect-error lines must stay errors.
import createClient from "openapi-fetch";
import type { components, paths } from "../../gen/ts/schema";

const client = createClient<paths>({ baseUrl: "/" });

export async function currentUser(): Promise<string> {
  const { data, error } = await client.GET("/api/user/me");
  if (error) {
    const problem: components["schemas"]["Problem"] = error;
    return problem.correlation_id;
  }
  const method: "obo" | "service_principal" = data.auth_method;
  return `${data.display_name} (${method})`;
}

export async function catalogs(): Promise<string[]> {
  const { data } = await client.GET("/api/unity-catalog/catalogs", { params: { query: { limit: 10, offset: 0 } } });
  return (data?.items ?? []).map((c) => c.name);
}

export async function invoke(text: string): Promise<string | undefined> {
  const { data } = await client.POST("/api/model-serving/endpoints/{endpoint_name}/invocations", {
    params: { path: { endpoint_name: "agent-chat" } },
    body: { input: [{ role: "user", content: text }] },
  });
  return data?.output_text;
}

export async function wrongField(): Promise<void> {
  const { data } = await client.GET("/api/user/me");
  // @ts-expect-error: the contract has no `userid` field (it is `user_id`).
  void data?.userid;
  await client.POST("/api/model-serving/endpoints/{endpoint_name}/invocations", {
    params: { path: { endpoint_name: "agent-chat" } },
    // @ts-expect-error: agent endpoints take `input`, never `messages`.
    body: { messages: [{ role: "user", content: "hi" }] },
  });
}
