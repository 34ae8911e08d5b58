// The front end's only way to the API: the generated client (gen/ts, made
// by openapi-typescript from the contract) through openapi-fetch. Nothing
// here describes a request by hand; paths, parameters, bodies and answers
// are the contract's types.
import createClient from "openapi-fetch";
import type { components, paths } from "../../gen/ts/schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

// The browser waits longer than the server can take, so that it never gives
// up on an answer still to come. The server says how long it may take in
// index.html (<meta name="onbehalf:longest-request-ms"> and
// "onbehalf:longest-invocation-ms", from its own timeouts: see
// impl/httpapi/web.go). Without them (the Vite dev server, tests), the
// defaults are the server's with its default timeouts: one Databricks call,
// or a whole listing, up to 35 s (RetryPolicy.Longest: the 5 s retry budget
// + APP_UPSTREAM_TIMEOUT, 30 s); an agent's call up to 125 s (the same budget
// + APP_INVOKE_TIMEOUT, 120 s); one Lakebase operation up to 5 s
// (lakebase.DefaultTimeout). On top, 15 s for the answer to arrive, as the
// server leaves itself (answerMargin in cmd/server).

/** ANSWER_MARGIN_MS is waited beyond the longest the server takes. */
const ANSWER_MARGIN_MS = 15_000;

/**
 * serverLongest returns the milliseconds the page's meta `onbehalf:<name>`
 * gives, or fallback when the page has none (or no page: Node).
 */
export function serverLongest(name: string, fallback: number): number {
  const content = globalThis.document?.querySelector(`meta[name="onbehalf:${name}"]`)?.getAttribute("content");
  const ms = Number(content);
  return content && Number.isSafeInteger(ms) && ms > 0 ? ms : fallback;
}

/**
 * How long the front end waits for one API answer: the slowest is a
 * preference or inference-log call, the user's identity (35 s) then one
 * Lakebase operation (5 s).
 */
export const API_TIMEOUT_MS = serverLongest("longest-request-ms", (35 + 5) * 1000) + ANSWER_MARGIN_MS;
/**
 * How long it waits for an agent's answer: httpapi.LongestInvocation, the
 * user's identity (35 s), the agent's call (125 s) and the inference log's
 * write (5 s).
 */
export const INVOKE_TIMEOUT_MS = serverLongest("longest-invocation-ms", (35 + 125 + 5) * 1000) + ANSWER_MARGIN_MS;

/** ApiError is every failed call: a problem answer from the server, a timeout, or no answer at all. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The server's problem (RFC 9457), when it answered with one. */
    readonly problem?: Problem,
    /** True when no answer came before the timeout. */
    readonly timedOut = false,
    /** The HTTP status the server answered with, when it answered. */
    readonly status?: number,
  ) {
    super(message);
    this.name = "ApiError";
  }

  /**
   * refused is true when the server answered with a 4xx: it, or Databricks,
   * refused the request (invalid, not signed in, forbidden, not found, too
   * large, rate-limited), so nothing was carried out; an agent cannot have
   * acted. After a 5xx, a timeout or no answer at all, it may have.
   */
  get refused(): boolean {
    return this.status !== undefined && this.status >= 400 && this.status < 500;
  }
}

/**
 * createApi returns the typed client of the server at baseUrl ("" for the
 * page's own origin), whose every request ends at timeoutMs, so a loading
 * state never outlives it.
 */
export function createApi(baseUrl: string, timeoutMs: number) {
  return createClient<paths>({
    baseUrl,
    fetch: (request: Request) => fetch(request, { signal: AbortSignal.timeout(timeoutMs) }),
  });
}

/** api is the typed client for every operation. */
export const api = createApi("", API_TIMEOUT_MS);
/** invokeApi is the same client with the longer timeout of agent invocations. */
export const invokeApi = createApi("", INVOKE_TIMEOUT_MS);

function isProblem(v: unknown): v is Problem {
  return typeof v === "object" && v !== null && typeof (v as Problem).detail === "string" && typeof (v as Problem).status === "number";
}

/**
 * unwrap waits for a call of the client and returns its data, or throws an
 * ApiError carrying the problem the server answered with. acts marks a call
 * that may act (an agent invocation): when it times out, the message says it
 * may have been carried out rather than inviting the user to try again.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>, timeoutMs = API_TIMEOUT_MS, { acts = false } = {}): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
      const waited = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      const next = acts
        ? "The server may still be carrying it out, and the agent may have acted: check (your inference log lists the invocations that ended) before sending it again."
        : "The request was abandoned; try again.";
      throw new ApiError(`No answer from the server within ${waited}. ${next}`, undefined, true);
    }
    throw new ApiError(`The server could not be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { data, error, response } = result;
  if (error !== undefined || !response.ok) {
    if (isProblem(error)) throw new ApiError(error.detail, error, false, response.status);
    throw new ApiError(`The server answered ${response.status} ${response.statusText} without a problem description.`, undefined, false, response.status);
  }
  return data as T;
}
