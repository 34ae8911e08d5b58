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

/** Ended is the state a call ends in: answered or failed. */
export type Ended<T> = Exclude<CallState<T>, { status: "loading" }>;

/**
 * useAction runs a call on demand (a form submit) and keeps its state; the
 * run returns the state the call ended in.
 */
export function useAction<A extends unknown[], T>(fn: (...args: A) => Promise<T>) {
  const [state, setState] = useState<CallState<T> | undefined>(undefined);
  const run = useCallback(
    async (...args: A): Promise<Ended<T>> => {
      setState({ status: "loading", since: Date.now() });
      let ended: Ended<T>;
      try {
        ended = { status: "ok", data: await fn(...args) };
      } catch (e) {
        ended = { status: "error", error: asApiError(e) };
      }
      setState(ended);
      return ended;
    },
    [fn],
  );
  return [state, run, () => setState(undefined)] as const;
}
