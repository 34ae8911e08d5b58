package fakeworkspace

// The demo users.
const (
	Alice = "alice@example.com"
	Bob   = "bob@example.com"
)

// Demo returns a workspace with two users whose grants differ, so that
// isolation is visible: alice sees main, sales and samples and the
// sales-forecast endpoint; bob sees main and hr and the hr-assistant
// endpoint; both see the agent-chat agent.
func Demo() *Workspace {
	w := New()
	w.AddUser(User{UserName: Alice, DisplayName: "Alice Analyst"})
	w.AddUser(User{UserName: Bob, DisplayName: "Bob Builder"})
	w.AddCatalog(Catalog{Name: "main", Comment: "Shared data", Schemas: map[string][]Table{
		"default":   {{"trips", "MANAGED", "DELTA"}, {"zones", "MANAGED", "DELTA"}},
		"reference": {{"countries", "MANAGED", "DELTA"}, {"currencies", "MANAGED", "DELTA"}, {"calendar", "VIEW", ""}},
	}})
	w.AddCatalog(Catalog{Name: "sales", Comment: "Sales analytics", Schemas: map[string][]Table{
		"orders":   {{"orders", "MANAGED", "DELTA"}, {"order_lines", "MANAGED", "DELTA"}, {"refunds", "MANAGED", "DELTA"}},
		"forecast": {{"weekly", "MANAGED", "DELTA"}, {"monthly", "VIEW", ""}},
	}})
	w.AddCatalog(Catalog{Name: "samples", Comment: "Sample data sets", Schemas: map[string][]Table{
		"nyctaxi": {{"trips", "EXTERNAL", "DELTA"}},
		"tpch":    {{"customer", "EXTERNAL", "DELTA"}, {"lineitem", "EXTERNAL", "DELTA"}, {"nation", "EXTERNAL", "DELTA"}, {"orders", "EXTERNAL", "DELTA"}},
	}})
	w.AddCatalog(Catalog{Name: "hr", Comment: "People data", Schemas: map[string][]Table{
		"people":  {{"employees", "MANAGED", "DELTA"}, {"teams", "MANAGED", "DELTA"}},
		"payroll": {{"salaries", "MANAGED", "DELTA"}, {"bonuses", "MANAGED", "DELTA"}},
	}})
	w.AddEndpoint(Endpoint{Name: "agent-chat", Task: "agent/v1/responses", Ready: "READY", ConfigUpdate: "NOT_UPDATING", Creator: "admin@example.com"})
	w.AddEndpoint(Endpoint{Name: "sales-forecast", Task: "llm/v1/chat", Ready: "READY", ConfigUpdate: "NOT_UPDATING", Creator: Alice})
	w.AddEndpoint(Endpoint{Name: "hr-assistant", Task: "agent/v1/responses", Ready: "NOT_READY", ConfigUpdate: "IN_PROGRESS", Creator: Bob})
	w.Grant(Alice, "main", "sales", "samples", "agent-chat", "sales-forecast")
	w.Grant(Bob, "main", "hr", "agent-chat", "hr-assistant")
	return w
}
