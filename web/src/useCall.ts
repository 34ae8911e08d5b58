import { useCallback, useEffect, useState } from "react";
import { ApiError } from "./api";

/** CallState is where one API call stands: waiting, answered, or failed. */
export type CallState<T> =
  | { status: "loading"; since: number }
  | { status: "ok"; data: T }
  | { status: "error"; error: ApiError };

function asApiError(e: unknown): ApiError {
  return e instanceof ApiError ? e : new ApiError(e instanceof Error ? e.message : String(e));
}

/**
 * useCall runs fn when deps change and keeps its state. The state stays
 * "loading" until the answer or the client's timeout; a stale answer (deps
 * changed meanwhile) is dropped.
 */
export function useCall<T>(fn: () => Promise<T>, deps: unknown[]): [CallState<T>, () => void] {
  const [state, setState] = useState<CallState<T>>({ status: "loading", since: Date.now() });
  const [round, setRound] = useState(0);
  useEffect(() => {
    let current = true;
    setState({ status: "loading", since: Date.now() });
    fn().then(
      (data) => current && setState({ status: "ok", data }),
      (e) => current && setState({ status: "error", error: asApiError(e) }),
    );
    return () => {
      current = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, round]);
  const reload = useCallback(() => setRound((r) => r + 1), []);
  return [state, reload];
}

/** useAction runs a call on demand (a form submit) and keeps its state. */
export function useAction<A extends unknown[], T>(fn: (...args: A) => Promise<T>) {
  const [state, setState] = useState<CallState<T> | undefined>(undefined);
  const run = useCallback(
    async (...args: A): Promise<T | undefined> => {
      setState({ status: "loading", since: Date.now() });
      try {
        const data = await fn(...args);
        setState({ status: "ok", data });
        return data;
      } catch (e) {
        setState({ status: "error", error: asApiError(e) });
        return undefined;
      }
    },
    [fn],
  );
  return [state, run, () => setState(undefined)] as const;
}
