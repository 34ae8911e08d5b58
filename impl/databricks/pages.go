package databricks

// The parts of Databricks' answers that we read, as plain structs.
//
// Why not the SDK's types (catalog.ListCatalogsResponse, ...): they decode
// through their own UnmarshalJSON, which parses each object twice and keeps
// ForceSendFields bookkeeping by reflection. That was half the CPU and half
// the allocations of a whole listing request (see docs/BENCHMARKS.md); plain
// structs decode with encoding/json alone. The SDK still parses error answers
// (see send).
type (
	// catalogInfo, schemaInfo and tableInfo have the fields of Catalog,
	// Schema and Table in the same order, so each converts to ours directly.
	catalogInfo struct {
		Name        string `json:"name"`
		CatalogType string `json:"catalog_type"`
		Owner       string `json:"owner"`
		Comment     string `json:"comment"`
	}
	catalogsPage struct {
		Catalogs      []catalogInfo `json:"catalogs"`
		NextPageToken string        `json:"next_page_token"`
	}
	schemaInfo struct {
		Name        string `json:"name"`
		CatalogName string `json:"catalog_name"`
		FullName    string `json:"full_name"`
		Owner       string `json:"owner"`
		Comment     string `json:"comment"`
	}
	schemasPage struct {
		Schemas       []schemaInfo `json:"schemas"`
		NextPageToken string       `json:"next_page_token"`
	}
	tableInfo struct {
		Name             string `json:"name"`
		CatalogName      string `json:"catalog_name"`
		SchemaName       string `json:"schema_name"`
		FullName         string `json:"full_name"`
		TableType        string `json:"table_type"`
		DataSourceFormat string `json:"data_source_format"`
		Owner            string `json:"owner"`
		Comment          string `json:"comment"`
	}
	tablesPage struct {
		Tables        []tableInfo `json:"tables"`
		NextPageToken string      `json:"next_page_token"`
	}
	endpointState struct {
		Ready        string `json:"ready"`
		ConfigUpdate string `json:"config_update"`
	}
	servingEndpoint struct {
		Name    string         `json:"name"`
		State   *endpointState `json:"state"`
		Task    string         `json:"task"`
		Creator string         `json:"creator"`
	}
	endpointsPage struct {
		Endpoints []servingEndpoint `json:"endpoints"`
	}
	// scimUser is the answer of SCIM Me.
	scimUser struct {
		Id          string `json:"id"`
		UserName    string `json:"userName"`
		DisplayName string `json:"displayName"`
		Emails      []struct {
			Value   string `json:"value"`
			Primary bool   `json:"primary"`
		} `json:"emails"`
	}
)
