// The front end's only way to the API: the generated client (gen/ts, made
// by openapi-typescript from the contract) through openapi-fetch. Nothing
// here describes a request by hand; paths, parameters, bodies and answers
// are the contract's types.
import createClient from "openapi-fetch";
import type { components, paths } from "../../gen/ts/schema";

export type Schemas = components["schemas"];
export type Problem = Schemas["Problem"];

/** How long the front end waits for one API answer: a little more than the server's own upstream timeout (30 s). */
export const API_TIMEOUT_MS = 35_000;
/** How long it waits for an agent's answer: a little more than the server's invocation timeout (120 s). */
export const INVOKE_TIMEOUT_MS = 130_000;

/** ApiError is every failed call: a problem answer from the server, a timeout, or no answer at all. */
export class ApiError extends Error {
  constructor(
    message: string,
    /** The server's problem (RFC 9457), when it answered with one. */
    readonly problem?: Problem,
    /** True when no answer came before the timeout. */
    readonly timedOut = false,
  ) {
    super(message);
    this.name = "ApiError";
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
 * ApiError carrying the problem the server answered with.
 */
export async function unwrap<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>, timeoutMs = API_TIMEOUT_MS): Promise<T> {
  let result: { data?: T; error?: unknown; response: Response };
  try {
    result = await call;
  } catch (e) {
    if (e instanceof DOMException && (e.name === "TimeoutError" || e.name === "AbortError")) {
      const waited = timeoutMs >= 1000 ? `${Math.round(timeoutMs / 1000)} s` : `${timeoutMs} ms`;
      throw new ApiError(`No answer from the server within ${waited}. The request was abandoned; try again.`, undefined, true);
    }
    throw new ApiError(`The server could not be reached: ${e instanceof Error ? e.message : String(e)}`);
  }
  const { data, error, response } = result;
  if (error !== undefined || !response.ok) {
    if (isProblem(error)) throw new ApiError(error.detail, error);
    throw new ApiError(`The server answered ${response.status} ${response.statusText} without a problem description.`);
  }
  return data as T;
}
