package fakeworkspace

// The demo workspace's users and service principal.
const (
	Alice = "alice@example.com"
	Bob   = "bob@example.com"

	// DemoClientID and DemoClientSecret are the demo service principal's
	// OAuth credentials, fixed so a demo run can be configured by hand.
	DemoClientID     = "6f0c2f1e-5d1b-4c47-9a8e-0b1e0a5e0001"
	DemoClientSecret = "dosedemo0123456789abcdef0123456789abcdef"

	// DemoDatabaseInstance is the demo's Lakebase instance, named as
	// databricks.yml names the app's, and reached at DemoDatabaseHost.
	DemoDatabaseInstance = "onbehalf-db"
	DemoDatabaseHost     = "instance-3f6b1c2a-8d4e-4f0a-9b7c-5e2d1a0c9f41.database.cloud.databricks.com"

	// DemoPostgresEndpoint is the demo's Lakebase Autoscaling endpoint, by
	// its resource path (what LAKEBASE_ENDPOINT holds), reached at
	// DemoPostgresHost.
	DemoPostgresEndpoint = "projects/onbehalf/branches/production/endpoints/primary"
	DemoPostgresHost     = "ep-quiet-river-a1b2c3d4.database.us-west-2.cloud.databricks.com"
)

// Demo returns a workspace whose two users have different grants, so that
// acting on behalf of each shows different data:
//
//   - alice@example.com (Alice Analyst) uses catalogs main, sales and
//     samples, and endpoints agent-chat and sales-forecast;
//   - bob@example.com (Bob Builder) uses catalogs main and hr, and endpoints
//     agent-chat and hr-assistant (which is NOT_READY, its config update
//     IN_PROGRESS);
//   - the service principal onbehalf-app (DemoClientID, DemoClientSecret)
//     sees everything;
//   - one Lakebase instance, DemoDatabaseInstance at DemoDatabaseHost;
//   - one Lakebase Autoscaling endpoint, DemoPostgresEndpoint at
//     DemoPostgresHost.
func Demo() *Workspace {
	// Schemas are added in name order, which is how listings show them (the
	// fake lists schemas and tables in the order added).
	w := New()
	w.SetServicePrincipal(ServicePrincipal{
		ID: "7000000000000001", ClientID: DemoClientID, ClientSecret: DemoClientSecret, DisplayName: "onbehalf-app",
	})
	w.AddUser(User{ID: "4200000000000001", UserName: Alice, DisplayName: "Alice Analyst"})
	w.AddUser(User{ID: "4200000000000002", UserName: Bob, DisplayName: "Bob Builder"})

	view := func(name, comment string) Table { return Table{Name: name, Comment: comment, TableType: "VIEW"} }
	managed := func(name, comment string) Table { return Table{Name: name, Comment: comment} }
	external := func(name string) Table { return Table{Name: name, TableType: "EXTERNAL"} }

	w.AddCatalog(Catalog{Name: "main", Comment: "Shared data everyone uses", Schemas: []Schema{
		{Name: "default", Comment: "Default schema", Tables: []Table{
			managed("trips", "Taxi trips"), managed("zones", "Taxi zones"),
		}},
		{Name: "reference", Comment: "Reference data", Tables: []Table{
			managed("countries", "ISO 3166 countries"), managed("currencies", "ISO 4217 currencies"),
			view("calendar", "One row per day"),
		}},
	}})
	w.AddCatalog(Catalog{Name: "sales", Owner: "sales-admins", Comment: "Sales analytics", Schemas: []Schema{
		{Name: "customers", Comment: "Customer master data", Tables: []Table{
			managed("accounts", ""), managed("contacts", ""), managed("segments", ""),
		}},
		{Name: "forecast", Comment: "Demand forecasts", Tables: []Table{
			managed("weekly", "Weekly forecast"), view("monthly", "Monthly roll-up of weekly"),
		}},
		{Name: "orders", Comment: "Orders and refunds", Tables: []Table{
			managed("orders", "One row per order"), managed("order_lines", "One row per order line"),
			managed("refunds", "Refunded orders"), view("open_orders", "Orders not yet shipped"),
		}},
	}})
	w.AddCatalog(Catalog{Name: "samples", Owner: "System user", CatalogType: "DELTASHARING_CATALOG",
		Comment: "Databricks sample data sets", Schemas: []Schema{
			{Name: "nyctaxi", Tables: []Table{external("trips"), external("zones")}},
			{Name: "tpch", Tables: []Table{
				external("customer"), external("lineitem"), external("nation"), external("orders"), external("region"),
			}},
		}})
	w.AddCatalog(Catalog{Name: "hr", Owner: "hr-admins", Comment: "People data, restricted", Schemas: []Schema{
		{Name: "payroll", Comment: "Compensation", Tables: []Table{
			managed("salaries", ""), managed("bonuses", ""), view("cost_by_team", "Payroll cost per team"),
		}},
		{Name: "people", Comment: "Employees and teams", Tables: []Table{
			managed("employees", "One row per employee"), managed("teams", ""),
		}},
	}})

	w.AddEndpoint(Endpoint{Name: "agent-chat", Task: "agent/v1/responses", Creator: "admin@example.com"})
	w.AddEndpoint(Endpoint{Name: "sales-forecast", Task: "llm/v1/chat", Creator: Alice})
	w.AddEndpoint(Endpoint{Name: "hr-assistant", Task: "agent/v1/responses", Creator: Bob,
		Ready: "NOT_READY", ConfigUpdate: "IN_PROGRESS"})

	w.AddDatabaseInstance(DatabaseInstance{Name: DemoDatabaseInstance, UID: "3f6b1c2a-8d4e-4f0a-9b7c-5e2d1a0c9f41", ReadWriteDNS: DemoDatabaseHost})
	w.AddPostgresEndpoint(PostgresEndpoint{Name: DemoPostgresEndpoint, Host: DemoPostgresHost})

	w.Grant(Alice, "main", "sales", "samples")
	w.Grant(Bob, "main", "hr")
	w.GrantEndpoint(Alice, "agent-chat", "sales-forecast")
	w.GrantEndpoint(Bob, "agent-chat", "hr-assistant")
	return w
}
