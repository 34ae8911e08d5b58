import { useState } from "react";
import { api, API_TIMEOUT_MS, unwrap } from "../api";
import { useCall } from "../useCall";
import { PagedTable, Show } from "../ui";

const PAGE = 10;

/** Catalogs browses Unity Catalog as the user sees it: catalogs, then schemas, then tables. */
export function Catalogs() {
  const [catalog, setCatalog] = useState<string>();
  const [schema, setSchema] = useState<string>();
  return (
    <section>
      <h2>Unity Catalog</h2>
      <nav className="crumbs" aria-label="Catalog path">
        <button className="link" onClick={() => (setCatalog(undefined), setSchema(undefined))}>Catalogs</button>
        {catalog && (
          <>
            {" / "}
            <button className="link" onClick={() => setSchema(undefined)}>{catalog}</button>
          </>
        )}
        {schema && <> / {schema}</>}
      </nav>
      {!catalog && <CatalogList onPick={setCatalog} />}
      {catalog && !schema && <SchemaList catalog={catalog} onPick={setSchema} />}
      {catalog && schema && <TableList catalog={catalog} schema={schema} />}
    </section>
  );
}

function CatalogList({ onPick }: { onPick: (name: string) => void }) {
  const [offset, setOffset] = useState(0);
  const [state] = useCall(() => unwrap(api.GET("/api/unity-catalog/catalogs", { params: { query: { limit: PAGE, offset } } })), [offset]);
  return (
    <Show state={state} what="Listing your catalogs" timeoutMs={API_TIMEOUT_MS}>
      {(page) => (
        <PagedTable
          page={page}
          head={["Catalog", "Type", "Owner", "Comment"]}
          rowKey={(c) => c.name}
          cells={(c) => (
            <>
              <td><button className="link" onClick={() => onPick(c.name)}>{c.name}</button></td>
              <td>{c.catalog_type}</td>
              <td>{c.owner}</td>
              <td>{c.comment}</td>
            </>
          )}
          offset={offset}
          limit={PAGE}
          onOffset={setOffset}
        />
      )}
    </Show>
  );
}

function SchemaList({ catalog, onPick }: { catalog: string; onPick: (name: string) => void }) {
  const [offset, setOffset] = useState(0);
  const [state] = useCall(
    () => unwrap(api.GET("/api/unity-catalog/catalogs/{catalog_name}/schemas", { params: { path: { catalog_name: catalog }, query: { limit: PAGE, offset } } })),
    [catalog, offset],
  );
  return (
    <Show state={state} what={`Listing the schemas of ${catalog}`} timeoutMs={API_TIMEOUT_MS}>
      {(page) => (
        <PagedTable
          page={page}
          head={["Schema", "Owner", "Comment"]}
          rowKey={(s) => s.full_name}
          cells={(s) => (
            <>
              <td><button className="link" onClick={() => onPick(s.name)}>{s.name}</button></td>
              <td>{s.owner}</td>
              <td>{s.comment}</td>
            </>
          )}
          offset={offset}
          limit={PAGE}
          onOffset={setOffset}
        />
      )}
    </Show>
  );
}

function TableList({ catalog, schema }: { catalog: string; schema: string }) {
  const [offset, setOffset] = useState(0);
  const [state] = useCall(
    () =>
      unwrap(
        api.GET("/api/unity-catalog/catalogs/{catalog_name}/schemas/{schema_name}/tables", {
          params: { path: { catalog_name: catalog, schema_name: schema }, query: { limit: PAGE, offset } },
        }),
      ),
    [catalog, schema, offset],
  );
  return (
    <Show state={state} what={`Listing the tables of ${catalog}.${schema}`} timeoutMs={API_TIMEOUT_MS}>
      {(page) => (
        <PagedTable
          page={page}
          head={["Table", "Type", "Comment"]}
          rowKey={(t) => t.full_name}
          cells={(t) => (
            <>
              <td>{t.full_name}</td>
              <td>{t.table_type}</td>
              <td>{t.comment}</td>
            </>
          )}
          offset={offset}
          limit={PAGE}
          onOffset={setOffset}
        />
      )}
    </Show>
  );
}
