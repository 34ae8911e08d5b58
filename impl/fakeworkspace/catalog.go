package fakeworkspace

import (
	"fmt"
	"slices"
	"time"
)

// Catalog is a Unity Catalog catalog with its schemas and tables.
type Catalog struct {
	Name    string
	Owner   string // "admins" when empty
	Comment string
	// CatalogType is a CatalogType of the API; MANAGED_CATALOG when empty.
	CatalogType string
	CreatedAt   time.Time // a fixed date when zero
	Schemas     []Schema
}

// Schema is a Unity Catalog schema.
type Schema struct {
	Name      string
	Owner     string // the catalog's owner when empty
	Comment   string
	CreatedAt time.Time
	Tables    []Table
}

// Table is a Unity Catalog table or view.
type Table struct {
	Name    string
	Owner   string // the schema's owner when empty
	Comment string
	// TableType is MANAGED, EXTERNAL, VIEW, ...; MANAGED when empty.
	TableType string
	// DataSourceFormat is DELTA, PARQUET, ...; DELTA when empty, except for
	// views, which have none.
	DataSourceFormat string
	CreatedAt        time.Time
}

// AddCatalog adds a catalog with its schemas and tables, or replaces the one
// with the same name. Grants on it are kept. Listings show catalogs by name,
// and schemas and tables in the order added.
func (w *Workspace) AddCatalog(c Catalog) {
	c.Schemas = slices.Clone(c.Schemas)
	if c.Owner == "" {
		c.Owner = "admins"
	}
	if c.CatalogType == "" {
		c.CatalogType = "MANAGED_CATALOG"
	}
	for i := range c.Schemas {
		c.Schemas[i] = c.Schemas[i].withDefaults(c.Owner)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.catalogs[c.Name] = &c
}

// AddSchema adds a schema to an existing catalog, or replaces the one with
// the same name.
func (w *Workspace) AddSchema(catalogName string, s Schema) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	c := w.catalogs[catalogName]
	if c == nil {
		return fmt.Errorf("fakeworkspace: no catalog %q", catalogName)
	}
	s = s.withDefaults(c.Owner)
	if i := slices.IndexFunc(c.Schemas, func(old Schema) bool { return old.Name == s.Name }); i >= 0 {
		c.Schemas[i] = s
	} else {
		c.Schemas = append(c.Schemas, s)
	}
	return nil
}

// AddTable adds a table to an existing schema, or replaces the one with the
// same name.
func (w *Workspace) AddTable(catalogName, schemaName string, t Table) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	s := w.schema(catalogName, schemaName)
	if s == nil {
		return fmt.Errorf("fakeworkspace: no schema %s.%s", catalogName, schemaName)
	}
	t = t.withDefaults(s.Owner)
	if i := slices.IndexFunc(s.Tables, func(old Table) bool { return old.Name == t.Name }); i >= 0 {
		s.Tables[i] = t
	} else {
		s.Tables = append(s.Tables, t)
	}
	return nil
}

// Grant lets a user use catalogs (USE CATALOG): see them listed and list
// their schemas and tables.
func (w *Workspace) Grant(userName string, catalogs ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	grantTo(w.catalogGrants, userName, catalogs)
}

// schema finds a schema. The caller holds mu.
func (w *Workspace) schema(catalogName, schemaName string) *Schema {
	c := w.catalogs[catalogName]
	if c == nil {
		return nil
	}
	for i := range c.Schemas {
		if c.Schemas[i].Name == schemaName {
			return &c.Schemas[i]
		}
	}
	return nil
}

func (s Schema) withDefaults(owner string) Schema {
	if s.Owner == "" {
		s.Owner = owner
	}
	s.Tables = slices.Clone(s.Tables)
	for i := range s.Tables {
		s.Tables[i] = s.Tables[i].withDefaults(s.Owner)
	}
	return s
}

func (t Table) withDefaults(owner string) Table {
	if t.Owner == "" {
		t.Owner = owner
	}
	if t.TableType == "" {
		t.TableType = "MANAGED"
	}
	if t.DataSourceFormat == "" && t.TableType != "VIEW" && t.TableType != "MATERIALIZED_VIEW" {
		t.DataSourceFormat = "DELTA"
	}
	return t
}
