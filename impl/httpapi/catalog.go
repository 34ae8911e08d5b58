package httpapi

import (
	"context"

	"github.com/onbehalf/onbehalf/gen/api"
	"github.com/onbehalf/onbehalf/impl/databricks"
)

// window turns the contract's paging parameters (validated by the
// validator) into a Window, with the contract's defaults for those absent.
func window(limit, offset *int) databricks.Window {
	w := databricks.Window{Limit: 50}
	if limit != nil {
		w.Limit = *limit
	}
	if offset != nil {
		w.Offset = *offset
	}
	return w
}

// ListCatalogs answers with the catalogs the request's user can see.
func (s *Server) ListCatalogs(ctx context.Context, req api.ListCatalogsRequestObject) (api.ListCatalogsResponseObject, error) {
	w := window(req.Params.Limit, req.Params.Offset)
	cats, more, err := s.user.ListCatalogs(ctx, w)
	if err != nil {
		return nil, err
	}
	items := make([]api.Catalog, len(cats))
	for i, c := range cats {
		items[i] = api.Catalog{Name: c.Name, CatalogType: opt(c.CatalogType), Owner: opt(c.Owner), Comment: opt(c.Comment)}
	}
	return api.ListCatalogs200JSONResponse{Items: items, Limit: w.Limit, Offset: w.Offset, HasMore: more}, nil
}

// ListSchemas answers with the schemas of a catalog the request's user can see.
func (s *Server) ListSchemas(ctx context.Context, req api.ListSchemasRequestObject) (api.ListSchemasResponseObject, error) {
	w := window(req.Params.Limit, req.Params.Offset)
	schemas, more, err := s.user.ListSchemas(ctx, req.CatalogName, w)
	if err != nil {
		return nil, err
	}
	items := make([]api.Schema, len(schemas))
	for i, sc := range schemas {
		items[i] = api.Schema{Name: sc.Name, CatalogName: sc.CatalogName, FullName: sc.FullName, Owner: opt(sc.Owner), Comment: opt(sc.Comment)}
	}
	return api.ListSchemas200JSONResponse{Items: items, Limit: w.Limit, Offset: w.Offset, HasMore: more}, nil
}

// ListTables answers with the tables of a schema the request's user can see.
func (s *Server) ListTables(ctx context.Context, req api.ListTablesRequestObject) (api.ListTablesResponseObject, error) {
	w := window(req.Params.Limit, req.Params.Offset)
	tables, more, err := s.user.ListTables(ctx, req.CatalogName, req.SchemaName, w)
	if err != nil {
		return nil, err
	}
	items := make([]api.Table, len(tables))
	for i, t := range tables {
		items[i] = api.Table{Name: t.Name, CatalogName: t.CatalogName, SchemaName: t.SchemaName, FullName: t.FullName,
			TableType: opt(t.TableType), DataSourceFormat: opt(t.DataSourceFormat), Owner: opt(t.Owner), Comment: opt(t.Comment)}
	}
	return api.ListTables200JSONResponse{Items: items, Limit: w.Limit, Offset: w.Offset, HasMore: more}, nil
}

// opt is an optional contract field: absent when empty.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}
