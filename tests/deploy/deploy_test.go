// Package deploy_test checks the deployment files (app.yaml, databricks.yml)
// against what the server needs: the contract's scopes, the configuration
// it reads, and the binary `make build-app` produces.
package deploy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/onbehalf/onbehalf/impl/config"
)

const root = "../.."

type appYAML struct {
	Command []string `yaml:"command"`
	Env     []struct {
		Name      string `yaml:"name"`
		Value     string `yaml:"value"`
		ValueFrom string `yaml:"valueFrom"`
	} `yaml:"env"`
}

type bundle struct {
	Bundle    struct{ Name string } `yaml:"bundle"`
	Variables map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"variables"`
	Experimental struct {
		Scripts map[string]string `yaml:"scripts"`
	} `yaml:"experimental"`
	Sync struct {
		Include []string `yaml:"include"`
	} `yaml:"sync"`
	Resources struct {
		DatabaseInstances map[string]struct {
			Name string `yaml:"name"`
		} `yaml:"database_instances"`
		Apps map[string]struct {
			Name           string   `yaml:"name"`
			SourceCodePath string   `yaml:"source_code_path"`
			UserAPIScopes  []string `yaml:"user_api_scopes"`
			Resources      []struct {
				Name            string `yaml:"name"`
				ServingEndpoint *struct {
					Name, Permission string
				} `yaml:"serving_endpoint"`
				Database *struct {
					InstanceName string `yaml:"instance_name"`
					DatabaseName string `yaml:"database_name"`
					Permission   string `yaml:"permission"`
				} `yaml:"database"`
			} `yaml:"resources"`
		} `yaml:"apps"`
	} `yaml:"resources"`
	Targets map[string]any `yaml:"targets"`
}

// load parses a file; app.yaml strictly (it has two keys, a typo in one
// would be ignored by Databricks Apps), databricks.yml for the keys read here.
func load[T any](t *testing.T, name string) T {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, name))
	if err != nil {
		t.Fatal(err)
	}
	var v T
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(name == "app.yaml")
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return v
}

// resolve substitutes the bundle's ${var.x} references by their defaults.
func resolve(t *testing.T, b bundle, s string) string {
	t.Helper()
	return regexp.MustCompile(`\$\{var\.([a-z_]+)\}`).ReplaceAllStringFunc(s, func(ref string) string {
		name := ref[len("${var.") : len(ref)-1]
		v, ok := b.Variables[name]
		if !ok {
			t.Errorf("%s names an undeclared variable", ref)
		}
		return v.Default
	})
}

// contractScopes are every x-required-scopes of contracts/*.yaml.
func contractScopes(t *testing.T) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(root, "contracts", "*.yaml"))
	var scopes []string
	var walk func(any)
	walk = func(n any) {
		switch n := n.(type) {
		case map[string]any:
			for k, v := range n {
				if k == "x-required-scopes" {
					for _, s := range v.([]any) {
						scopes = append(scopes, s.(string))
					}
					continue
				}
				walk(v)
			}
		case []any:
			for _, v := range n {
				walk(v)
			}
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var doc any
		if err := yaml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		walk(doc)
	}
	slices.Sort(scopes)
	scopes = slices.Compact(scopes)
	if len(scopes) < 3 {
		t.Fatalf("found only %v in contracts/", scopes)
	}
	return scopes
}

// TestBundleGrantsTheContractScopes: users' tokens carry every scope an
// operation requires, or that operation answers 403 for everyone.
func TestBundleGrantsTheContractScopes(t *testing.T) {
	b := load[bundle](t, "databricks.yml")
	app, ok := b.Resources.Apps["onbehalf"]
	if !ok {
		t.Fatalf("databricks.yml declares no app onbehalf: %v", b.Resources.Apps)
	}
	for _, s := range contractScopes(t) {
		if !slices.Contains(app.UserAPIScopes, s) {
			t.Errorf("the contract requires scope %q, missing from user_api_scopes %v", s, app.UserAPIScopes)
		}
	}
}

// TestBundleResources: the app may query the serving endpoint and connect
// to a Lakebase instance the bundle declares; its code is the build output.
func TestBundleResources(t *testing.T) {
	b := load[bundle](t, "databricks.yml")
	app := b.Resources.Apps["onbehalf"]
	var serving, database bool
	for _, r := range app.Resources {
		if r.ServingEndpoint != nil {
			serving = resolve(t, b, r.ServingEndpoint.Name) != "" && r.ServingEndpoint.Permission == "CAN_QUERY"
		}
		if r.Database != nil {
			instance := resolve(t, b, r.Database.InstanceName)
			for _, inst := range b.Resources.DatabaseInstances {
				if resolve(t, b, inst.Name) == instance {
					database = resolve(t, b, r.Database.DatabaseName) != "" && r.Database.Permission == "CAN_CONNECT_AND_CREATE"
				}
			}
		}
	}
	if !serving {
		t.Error("the app has no serving_endpoint resource with CAN_QUERY")
	}
	if !database {
		t.Error("the app has no database resource on an instance the bundle declares, with CAN_CONNECT_AND_CREATE")
	}
	if app.SourceCodePath != "./build/app" || !slices.Contains(b.Sync.Include, "build/app/**") {
		t.Errorf("source_code_path %q and sync.include %v: want ./build/app, synced although build/ is ignored", app.SourceCodePath, b.Sync.Include)
	}
	if b.Experimental.Scripts["prebuild"] != "make build-app" {
		t.Errorf("prebuild script %q, want make build-app", b.Experimental.Scripts["prebuild"])
	}
}

// TestAppYAMLStartsTheBinary: app.yaml runs the file build-app writes next
// to it, cross-compiled for the Apps runtime.
func TestAppYAMLStartsTheBinary(t *testing.T) {
	a := load[appYAML](t, "app.yaml")
	if len(a.Command) != 1 || a.Command[0] != "./server" {
		t.Fatalf("command %v, want [./server]", a.Command)
	}
	mk, err := os.ReadFile(filepath.Join(root, "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	rule := regexp.MustCompile(`(?m)^build-app:\n((?:\t.*\n)+)`).FindSubmatch(mk)
	if rule == nil {
		t.Fatal("the Makefile has no build-app rule")
	}
	for _, want := range []string{"GOOS=linux", "GOARCH=amd64", "CGO_ENABLED=0", "-o build/app/server ./cmd/server", "cp app.yaml build/app/"} {
		if !strings.Contains(string(rule[1]), want) {
			t.Errorf("build-app does not %q:\n%s", want, rule[1])
		}
	}
}

// TestAppYAMLEnvironment: every variable app.yaml sets is one the server
// reads, and with what Databricks Apps adds the configuration loads as a
// production one (no local-development switch).
func TestAppYAMLEnvironment(t *testing.T) {
	a := load[appYAML](t, "app.yaml")
	env := map[string]string{
		"DATABRICKS_APP_NAME": "onbehalf", "DATABRICKS_APP_PORT": "8000", "DATABRICKS_HOST": "https://example.cloud.databricks.com",
		"DATABRICKS_CLIENT_ID": "id", "DATABRICKS_CLIENT_SECRET": "secret",
	}
	for _, e := range a.Env {
		if e.Value == "" && e.ValueFrom == "" {
			t.Errorf("env %s has neither value nor valueFrom", e.Name)
		}
		env[e.Name] = e.Value
	}
	read := map[string]bool{}
	cfg, err := config.Load(func(k string) string { read[k] = true; return env[k] })
	if err != nil {
		t.Fatalf("app.yaml's environment does not load: %v", err)
	}
	for _, e := range a.Env {
		if !read[e.Name] {
			t.Errorf("app.yaml sets %s, which the server does not read", e.Name)
		}
	}
	if !cfg.OnDatabricksApps() || cfg.Local || cfg.SPFallback || cfg.Demo() {
		t.Errorf("app.yaml's environment is not a production one: %+v", cfg)
	}
}
