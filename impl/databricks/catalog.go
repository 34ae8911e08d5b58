package databricks

import (
	"context"
	"net/url"
	"strconv"
)

// Catalog, Schema and Table are Unity Catalog objects as the user sees them.
type (
	Catalog struct {
		Name, CatalogType, Owner, Comment string
	}
	Schema struct {
		Name, CatalogName, FullName, Owner, Comment string
	}
	Table struct {
		Name, CatalogName, SchemaName, FullName, TableType, DataSourceFormat, Owner, Comment string
	}
)

// ListCatalogs returns the window of the catalogs the context's user can see.
// Errors are apperr kinds (Unauthenticated, Forbidden, RateLimited, Upstream, Timeout).
func (c *UserClient) ListCatalogs(ctx context.Context, w Window) ([]Catalog, bool, error) {
	infos, more, err := collectWindow(ctx, w, c.retry.Longest(), func(ctx context.Context, size int, token string) ([]catalogInfo, string, error) {
		var resp catalogsPage
		err := c.getJSON(ctx, "uc.catalogs.list", call{path: "/api/2.1/unity-catalog/catalogs", query: pageQuery(nil, size, token)}, &resp)
		return resp.Catalogs, resp.NextPageToken, err
	})
	out := make([]Catalog, len(infos))
	for i, ci := range infos {
		out[i] = Catalog(ci)
	}
	return out, more, err
}

// ListSchemas returns the window of the schemas of a catalog the context's
// user can see. A catalog they cannot see is Forbidden or NotFound, as
// Databricks says.
func (c *UserClient) ListSchemas(ctx context.Context, catalogName string, w Window) ([]Schema, bool, error) {
	infos, more, err := collectWindow(ctx, w, c.retry.Longest(), func(ctx context.Context, size int, token string) ([]schemaInfo, string, error) {
		var resp schemasPage
		err := c.getJSON(ctx, "uc.schemas.list", call{path: "/api/2.1/unity-catalog/schemas",
			query: pageQuery(url.Values{"catalog_name": {catalogName}}, size, token), carries: names}, &resp)
		return resp.Schemas, resp.NextPageToken, err
	})
	out := make([]Schema, len(infos))
	for i, si := range infos {
		out[i] = Schema(si)
	}
	return out, more, err
}

// ListTables returns the window of the tables of a schema the context's user
// can see. Databricks is asked to leave out each table's columns and
// properties, which a listing does not show: with wide tables, a page of
// up to 1000 of them could otherwise run past what a call reads (32 MiB).
func (c *UserClient) ListTables(ctx context.Context, catalogName, schemaName string, w Window) ([]Table, bool, error) {
	infos, more, err := collectWindow(ctx, w, c.retry.Longest(), func(ctx context.Context, size int, token string) ([]tableInfo, string, error) {
		var resp tablesPage
		q := url.Values{"catalog_name": {catalogName}, "schema_name": {schemaName}, "omit_columns": {"true"}, "omit_properties": {"true"}}
		err := c.getJSON(ctx, "uc.tables.list", call{path: "/api/2.1/unity-catalog/tables",
			query: pageQuery(q, size, token), carries: names}, &resp)
		return resp.Tables, resp.NextPageToken, err
	})
	out := make([]Table, len(infos))
	for i, ti := range infos {
		out[i] = Table(ti)
	}
	return out, more, err
}

// pageQuery adds the paging parameters of a Unity Catalog listing to q (nil
// for none): the page size, and the page token when there is one.
func pageQuery(q url.Values, size int, token string) url.Values {
	if q == nil {
		q = url.Values{}
	}
	q.Set("max_results", strconv.Itoa(size))
	if token != "" {
		q.Set("page_token", token)
	}
	return q
}
