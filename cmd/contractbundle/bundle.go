package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

const (
	rootFile       = "openapi.yaml"
	componentsFile = "components.yaml"
)

// bundleDir merges the root, the shared components and every domain file of
// dir into one document.
func bundleDir(dir string) (map[string]any, error) {
	root, err := readYAML(filepath.Join(dir, rootFile))
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	root["paths"] = map[string]any{}
	for _, f := range files {
		if filepath.Base(f) == rootFile {
			continue
		}
		part, err := readYAML(f)
		if err != nil {
			return nil, err
		}
		if err := merge(root, localizeRefs(part).(map[string]any), filepath.Base(f)); err != nil {
			return nil, err
		}
	}
	return root, nil
}

// merge adds the paths and components of part (read from file) to root.
// A path, or a component name, defined twice with different content is an
// error: silently keeping one would change the API behind the author's back.
func merge(root, part map[string]any, file string) error {
	if err := mergeSection(root, part, "paths", file); err != nil {
		return err
	}
	comps, _ := part["components"].(map[string]any)
	if len(comps) == 0 {
		return nil
	}
	rootComps, _ := root["components"].(map[string]any)
	if rootComps == nil {
		rootComps = map[string]any{}
		root["components"] = rootComps
	}
	kinds := make([]string, 0, len(comps))
	for kind := range comps {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		if err := mergeSection(rootComps, comps, kind, file+": components"); err != nil {
			return err
		}
	}
	return nil
}

func mergeSection(dst, src map[string]any, key, where string) error {
	items, _ := src[key].(map[string]any)
	if len(items) == 0 {
		return nil
	}
	target, _ := dst[key].(map[string]any)
	if target == nil {
		target = map[string]any{}
		dst[key] = target
	}
	for name, v := range items {
		if old, ok := target[name]; ok && !reflect.DeepEqual(old, v) {
			return fmt.Errorf("%s: %s %q is already defined differently by another file", where, key, name)
		}
		target[name] = v
	}
	return nil
}

// localizeRefs rewrites references to the shared components file into
// references within the bundled document.
func localizeRefs(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, child := range t {
			if s, ok := child.(string); ok && k == "$ref" {
				t[k] = strings.TrimPrefix(strings.TrimPrefix(s, "./"), componentsFile)
				continue
			}
			t[k] = localizeRefs(child)
		}
	case []any:
		for i := range t {
			t[i] = localizeRefs(t[i])
		}
	}
	return v
}

func readYAML(path string) (map[string]any, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc, nil
}

// encode writes doc as indented JSON with sorted keys, so that the bundle is
// the same bytes for the same contract and CI can compare it.
func encode(doc map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// validate loads the bundle as the server will and checks it against the
// OpenAPI 3.0 rules, including that every operation has a unique id.
func validate(data []byte) error {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return err
	}
	if err := doc.Validate(context.Background()); err != nil {
		return err
	}
	seen := map[string]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			if op.OperationID == "" {
				return fmt.Errorf("%s %s has no operationId", method, path)
			}
			if other, ok := seen[op.OperationID]; ok {
				return fmt.Errorf("operationId %q is used by %s and by %s %s", op.OperationID, other, method, path)
			}
			seen[op.OperationID] = method + " " + path
		}
	}
	return nil
}
