import { useEffect, useState, type ReactNode } from "react";
import type { ApiError } from "./api";
import type { CallState } from "./useCall";

/**
 * Loading is the transparent loading state: it says what is awaited and
 * for how long, and stays until the answer or the timeout.
 */
export function Loading({ what, since, timeoutMs }: { what: string; since: number; timeoutMs: number }) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(t);
  }, []);
  const waited = Math.max(0, Math.floor((now - since) / 1000));
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {what}… {waited > 0 && <span>waiting {waited} s (gives up after {Math.round(timeoutMs / 1000)} s)</span>}
    </div>
  );
}

/** ErrorView shows a failed call: the problem's detail, and for a missing scope the re-consent steps. */
export function ErrorView({ error }: { error: ApiError }) {
  const p = error.problem;
  return (
    <div className="error" role="alert">
      <strong>{error.timedOut ? "No answer in time" : p ? `${p.title} (${p.status})` : "Request failed"}</strong>
      <p className="detail">{error.message}</p>
      {p?.missing_scopes && p.missing_scopes.length > 0 && (
        <p>
          Missing scopes: {p.missing_scopes.map((s) => <code key={s}>{s} </code>)}
        </p>
      )}
      {p?.remediation && p.remediation.length > 0 && (
        <div className="remediation">
          <p>To fix it:</p>
          <ol>
            {p.remediation.map((step, i) => (
              <li key={i}>{step}</li>
            ))}
          </ol>
        </div>
      )}
      {p?.errors && p.errors.length > 0 && (
        <ul>
          {p.errors.map((e, i) => (
            <li key={i}>
              <code>{e.name}</code> ({e.location}): {e.message}
            </li>
          ))}
        </ul>
      )}
      {p?.correlation_id && <p className="muted">Correlation id: {p.correlation_id}</p>}
    </div>
  );
}

/** Show renders a call's state: the loading state, the error, or children with the data. */
export function Show<T>({ state, what, timeoutMs, children }: { state: CallState<T> | undefined; what: string; timeoutMs: number; children: (data: T) => ReactNode }) {
  if (!state) return null;
  if (state.status === "loading") return <Loading what={what} since={state.since} timeoutMs={timeoutMs} />;
  if (state.status === "error") return <ErrorView error={state.error} />;
  return <>{children(state.data)}</>;
}

/** Pager moves through a paged listing. */
export function Pager({ offset, limit, count, hasMore, onOffset }: { offset: number; limit: number; count: number; hasMore: boolean; onOffset: (o: number) => void }) {
  return (
    <div className="pager">
      <button onClick={() => onOffset(Math.max(0, offset - limit))} disabled={offset === 0}>
        Previous
      </button>
      <span>
        {count === 0 ? "none" : `${offset + 1}–${offset + count}`}
      </span>
      <button onClick={() => onOffset(offset + limit)} disabled={!hasMore}>
        Next
      </button>
    </div>
  );
}

/**
 * PagedTable shows one page of a listing: a table with a row per item
 * (cells gives the row's <td> cells) and the pager under it. An empty
 * heading ("") leaves its column unnamed (a column of buttons, say).
 */
export function PagedTable<T>({ page, head, rowKey, cells, offset, limit, onOffset }: {
  page: { items: T[]; has_more: boolean };
  head: string[];
  rowKey: (item: T) => string | number;
  cells: (item: T) => ReactNode;
  offset: number;
  limit: number;
  onOffset: (o: number) => void;
}) {
  return (
    <>
      <table>
        <thead>
          <tr>{head.map((h, i) => <th key={i}>{h}</th>)}</tr>
        </thead>
        <tbody>
          {page.items.map((item) => (
            <tr key={rowKey(item)}>{cells(item)}</tr>
          ))}
        </tbody>
      </table>
      <Pager offset={offset} limit={limit} count={page.items.length} hasMore={page.has_more} onOffset={onOffset} />
    </>
  );
}
