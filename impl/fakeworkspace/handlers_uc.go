package fakeworkspace

import (
	"fmt"
	"net/http"
)

// metastoreID is the one metastore the fake's catalogs live in.
const metastoreID = "11111111-2222-4333-8444-555555555555"

// The Unity Catalog shapes (catalog.CatalogInfo, SchemaInfo, TableInfo),
// with the fields a listing carries.
type (
	catalogInfo struct {
		Name          string `json:"name"`
		FullName      string `json:"full_name"`
		Owner         string `json:"owner"`
		Comment       string `json:"comment,omitempty"`
		CatalogType   string `json:"catalog_type"`
		MetastoreID   string `json:"metastore_id"`
		SecurableType string `json:"securable_type"`
		IsolationMode string `json:"isolation_mode"`
		BrowseOnly    bool   `json:"browse_only"`
		CreatedAt     int64  `json:"created_at"`
		CreatedBy     string `json:"created_by"`
		UpdatedAt     int64  `json:"updated_at"`
		UpdatedBy     string `json:"updated_by"`
	}
	schemaInfo struct {
		Name        string `json:"name"`
		CatalogName string `json:"catalog_name"`
		FullName    string `json:"full_name"`
		SchemaID    string `json:"schema_id"`
		Owner       string `json:"owner"`
		Comment     string `json:"comment,omitempty"`
		CatalogType string `json:"catalog_type"`
		MetastoreID string `json:"metastore_id"`
		BrowseOnly  bool   `json:"browse_only"`
		CreatedAt   int64  `json:"created_at"`
		CreatedBy   string `json:"created_by"`
		UpdatedAt   int64  `json:"updated_at"`
		UpdatedBy   string `json:"updated_by"`
	}
	tableInfo struct {
		Name             string `json:"name"`
		CatalogName      string `json:"catalog_name"`
		SchemaName       string `json:"schema_name"`
		FullName         string `json:"full_name"`
		TableID          string `json:"table_id"`
		TableType        string `json:"table_type"`
		DataSourceFormat string `json:"data_source_format,omitempty"`
		Owner            string `json:"owner"`
		Comment          string `json:"comment,omitempty"`
		MetastoreID      string `json:"metastore_id"`
		BrowseOnly       bool   `json:"browse_only"`
		CreatedAt        int64  `json:"created_at"`
		CreatedBy        string `json:"created_by"`
		UpdatedAt        int64  `json:"updated_at"`
		UpdatedBy        string `json:"updated_by"`
	}
)

// listCatalogs lists the catalogs the caller may use: the granted ones, or
// all of them for the service principal (the fake's metastore admin).
func (w *Workspace) listCatalogs(rw http.ResponseWriter, r *http.Request, c caller) {
	w.mu.Lock()
	items := []any{}
	for _, name := range sortedKeys(w.catalogs) {
		if !w.mayUseCatalog(c, name) {
			continue
		}
		cat := w.catalogs[name]
		created := createdAtMillis(cat.CreatedAt)
		items = append(items, catalogInfo{
			Name: cat.Name, FullName: cat.Name, Owner: cat.Owner, Comment: cat.Comment,
			CatalogType: cat.CatalogType, MetastoreID: metastoreID, SecurableType: "CATALOG",
			IsolationMode: "OPEN", CreatedAt: created, CreatedBy: cat.Owner, UpdatedAt: created, UpdatedBy: cat.Owner,
		})
	}
	w.mu.Unlock()
	w.writePage(rw, r, "max_results", "catalogs", "catalogs", items)
}

func (w *Workspace) listSchemas(rw http.ResponseWriter, r *http.Request, c caller) {
	catName := r.URL.Query().Get("catalog_name")
	if catName == "" {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Missing required field: catalog_name")
		return
	}
	w.mu.Lock()
	cat, apiErr := w.usableCatalog(c, catName)
	items := []any{}
	if cat != nil {
		for _, s := range cat.Schemas {
			created := createdAtMillis(s.CreatedAt)
			items = append(items, schemaInfo{
				Name: s.Name, CatalogName: cat.Name, FullName: cat.Name + "." + s.Name,
				SchemaID: stableUUID("schema", cat.Name, s.Name), Owner: s.Owner, Comment: s.Comment,
				CatalogType: cat.CatalogType, MetastoreID: metastoreID,
				CreatedAt: created, CreatedBy: s.Owner, UpdatedAt: created, UpdatedBy: s.Owner,
			})
		}
	}
	w.mu.Unlock()
	if apiErr != nil {
		apiErr.write(rw)
		return
	}
	w.writePage(rw, r, "max_results", "schemas", "schemas:"+catName, items)
}

func (w *Workspace) listTables(rw http.ResponseWriter, r *http.Request, c caller) {
	catName, schemaName := r.URL.Query().Get("catalog_name"), r.URL.Query().Get("schema_name")
	if catName == "" || schemaName == "" {
		writeError(rw, http.StatusBadRequest, "INVALID_PARAMETER_VALUE", "Missing required fields: catalog_name, schema_name")
		return
	}
	w.mu.Lock()
	_, apiErr := w.usableCatalog(c, catName)
	var schema *Schema
	if apiErr == nil {
		if schema = w.schema(catName, schemaName); schema == nil {
			apiErr = &apiError{http.StatusNotFound, "SCHEMA_DOES_NOT_EXIST",
				fmt.Sprintf("Schema '%s.%s' does not exist.", catName, schemaName)}
		}
	}
	items := []any{}
	if schema != nil {
		for _, t := range schema.Tables {
			created := createdAtMillis(t.CreatedAt)
			items = append(items, tableInfo{
				Name: t.Name, CatalogName: catName, SchemaName: schemaName,
				FullName: catName + "." + schemaName + "." + t.Name,
				TableID:  stableUUID("table", catName, schemaName, t.Name), TableType: t.TableType,
				DataSourceFormat: t.DataSourceFormat, Owner: t.Owner, Comment: t.Comment, MetastoreID: metastoreID,
				CreatedAt: created, CreatedBy: t.Owner, UpdatedAt: created, UpdatedBy: t.Owner,
			})
		}
	}
	w.mu.Unlock()
	if apiErr != nil {
		apiErr.write(rw)
		return
	}
	w.writePage(rw, r, "max_results", "tables", "tables:"+catName+"."+schemaName, items)
}

// mayUseCatalog reports whether the caller holds USE CATALOG. The caller
// holds mu.
func (w *Workspace) mayUseCatalog(c caller, name string) bool {
	return c.servicePrincipal || w.catalogGrants[c.name][name]
}

// usableCatalog returns the catalog if the caller may use it, or else the
// error Databricks answers. The caller holds mu.
func (w *Workspace) usableCatalog(c caller, name string) (*Catalog, *apiError) {
	cat := w.catalogs[name]
	if cat == nil {
		return nil, &apiError{http.StatusNotFound, "CATALOG_DOES_NOT_EXIST", fmt.Sprintf("Catalog '%s' does not exist.", name)}
	}
	if !w.mayUseCatalog(c, name) {
		return nil, &apiError{http.StatusForbidden, "PERMISSION_DENIED", fmt.Sprintf("User does not have USE CATALOG on Catalog '%s'.", name)}
	}
	return cat, nil
}
