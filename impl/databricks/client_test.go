package databricks

import "testing"

func TestWorkspaceURLIsReadAsTheSDKReadsDATABRICKS_HOST(t *testing.T) {
	for host, want := range map[string]string{
		"https://adb-1.azuredatabricks.net":  "https://adb-1.azuredatabricks.net",
		"https://adb-1.azuredatabricks.net/": "https://adb-1.azuredatabricks.net",
		"adb-1.azuredatabricks.net":          "https://adb-1.azuredatabricks.net",
		"http://127.0.0.1:8080/some/path":    "http://127.0.0.1:8080",
	} {
		got, err := workspaceURL(host)
		if err != nil || got != want {
			t.Errorf("workspaceURL(%q) = %q, %v; want %q", host, got, err, want)
		}
	}
	for _, bad := range []string{"https://", "://x"} {
		if got, err := workspaceURL(bad); err == nil {
			t.Errorf("workspaceURL(%q) = %q, want an error", bad, got)
		}
	}
}
