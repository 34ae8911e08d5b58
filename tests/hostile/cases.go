// Package hostile generates hostile requests from the contract itself: for
// every operation, each path and query parameter and each body field gets
// wrong types, out-of-range and oversized values, bad UTF-8 and path
// traversal, and every operation gets malformed bodies and odd headers.
// The sweep tests (here, over the whole handler; in tests/e2e, over the real
// binary) send them all and require a 4xx problem answer the contract
// documents, never a 5xx.
package hostile

import (
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Case is one hostile request.
type Case struct {
	// Name says what is hostile about it.
	Name string
	// Operation is the contract operation the request aims at.
	Operation string
	Method    string
	// Target is the request target as sent: path and query, already escaped
	// (it may hold sequences that no well-behaved client would send).
	Target string
	// Header is set on the request; a valid user token is added unless the
	// case sets X-Forwarded-Access-Token itself.
	Header map[string]string
	// Body is sent as is (nil: no body).
	Body []byte
	// Refused is set when the request must be refused with a 4xx: one that
	// the contract would otherwise answer with a success (Check).
	Refused bool
}

// validPathValue is a value matching every path parameter pattern of the
// contract; it names a real demo catalog-less object so that a request that
// passes validation reaches the handler and Databricks.
const validPathValue = "agent-chat"

// hostileStrings are path and query values that no parameter should accept
// or be harmed by: traversal (raw, percent-encoded, double-encoded), slashes,
// bad UTF-8, control characters, injection-looking text, and oversized text.
var hostileStrings = []string{
	"", "%2e%2e", "..", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "..%2F..%2F", "%2F", "a%2Fb", "%252e%252e",
	"%00", "a%00b", "%FF%FE", "%C0%AF", "%E2%80%AE", "a%0D%0AX-Injected:%201", "%20", "a%20b",
	"%3Cscript%3E", "%27%3B%20DROP%20TABLE%20preferences%3B--", "%7B%7D", "*", "~", "%25",
	strings.Repeat("a", 256), strings.Repeat("a", 10000), strings.Repeat("%C3%A9", 100),
}

// hostileInts are values for integer query parameters.
var hostileInts = []string{
	"abc", "-1", "0", "1.5", "1e3", "0x10", "99999999999999999999", "-99999999999999999999",
	"", "%FF", "1%00", "NaN", "Infinity", "true", "null", "[]", "%20%201",
}

// Cases returns the hostile requests for every operation of doc, in a
// stable order.
func Cases(doc *openapi3.T) []Case {
	var out []Case
	paths := doc.Paths.InMatchingOrder()
	sort.Strings(paths)
	for _, path := range paths {
		item := doc.Paths.Value(path)
		methods := make([]string, 0)
		for m := range item.Operations() {
			methods = append(methods, m)
		}
		sort.Strings(methods)
		for _, method := range methods {
			out = append(out, operationCases(path, method, item, item.GetOperation(method))...)
		}
		out = append(out, wrongMethodCases(path, item)...)
	}
	// A proxy's tunnel request: its target is a host and port, no path.
	out = append(out, Case{Name: "CONNECT in authority form", Method: "CONNECT", Target: "example.com:443"})
	return out
}

// opShape is what the generator knows of one operation.
type opShape struct {
	id, method, template string
	pathParams           []*openapi3.Parameter
	queryParams          []*openapi3.Parameter
	body                 *openapi3.Schema
}

func operationCases(path, method string, item *openapi3.PathItem, op *openapi3.Operation) []Case {
	s := opShape{id: op.OperationID, method: method, template: path}
	for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
		switch p.Value.In {
		case openapi3.ParameterInPath:
			s.pathParams = append(s.pathParams, p.Value)
		case openapi3.ParameterInQuery:
			s.queryParams = append(s.queryParams, p.Value)
		}
	}
	if op.RequestBody != nil {
		if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
			s.body = mt.Schema.Value
		}
	}
	var out []Case
	out = append(out, s.pathCases()...)
	out = append(out, s.queryCases()...)
	out = append(out, s.bodyCases()...)
	out = append(out, s.headerCases()...)
	return out
}

// target fills the path template: overrides by parameter name (already
// escaped), the valid value otherwise.
func (s opShape) target(override map[string]string, query string) string {
	t := s.template
	for _, p := range s.pathParams {
		v, ok := override[p.Name]
		if !ok {
			v = validPathValue
		}
		t = strings.Replace(t, "{"+p.Name+"}", v, 1)
	}
	if query != "" {
		t += "?" + query
	}
	return t
}

// validBody is a body the contract accepts, or nil for no body.
func (s opShape) validBody() []byte {
	if s.body == nil {
		return nil
	}
	raw, _ := json.Marshal(validValue(s.body))
	return raw
}

func (s opShape) newCase(name, target string, body []byte, header map[string]string) Case {
	return Case{Name: s.id + ": " + name, Operation: s.id, Method: s.method, Target: target, Body: body, Header: header}
}

func (s opShape) pathCases() []Case {
	var out []Case
	for _, p := range s.pathParams {
		for _, v := range hostileStrings {
			out = append(out, s.newCase(fmt.Sprintf("path %s=%.40q", p.Name, v), s.target(map[string]string{p.Name: v}, ""), s.validBody(), nil))
		}
		// Out of the pattern's bounds: one past the length limit.
		if n := patternMaxLen(p.Schema.Value.Pattern); n > 0 {
			out = append(out, s.newCase(fmt.Sprintf("path %s longer than %d", p.Name, n), s.target(map[string]string{p.Name: strings.Repeat("a", n+1)}, ""), s.validBody(), nil))
		}
	}
	return out
}

func (s opShape) queryCases() []Case {
	var out []Case
	for _, p := range s.queryParams {
		sch := p.Schema.Value
		values := slices.Clone(hostileStrings)
		if sch.Type.Is(openapi3.TypeInteger) || sch.Type.Is(openapi3.TypeNumber) {
			values = append(values, hostileInts...)
			if sch.Max != nil {
				values = append(values, fmt.Sprint(int64(*sch.Max)+1))
			}
			if sch.Min != nil {
				values = append(values, fmt.Sprint(int64(*sch.Min)-1))
			}
		}
		for _, v := range values {
			out = append(out, s.newCase(fmt.Sprintf("query %s=%.40q", p.Name, v), s.target(nil, p.Name+"="+v), s.validBody(), nil))
		}
		out = append(out, s.newCase("query "+p.Name+" repeated", s.target(nil, p.Name+"=1&"+p.Name+"=2"), s.validBody(), nil))
	}
	for _, q := range []string{"unknown=1", "%FF=%FE", "a=%", "&&&", "=", strings.Repeat("x=1&", 2000)} {
		out = append(out, s.newCase(fmt.Sprintf("query %.30q", q), s.target(nil, q), s.validBody(), nil))
	}
	return out
}

// malformedBodies are bodies that are not the JSON object the contract wants.
var malformedBodies = map[string][]byte{
	"empty":          {},
	"null":           []byte("null"),
	"array":          []byte("[]"),
	"string":         []byte(`"x"`),
	"number":         []byte("1"),
	"truncated":      []byte(`{"input": [`),
	"not json":       []byte("<xml/>"),
	"bad utf-8":      []byte("{\"input\": \"\xff\xfe\"}"),
	"bad utf-8 key":  []byte("{\"\xff\": 1}"),
	"nul":            []byte("{\x00}"),
	"deep nesting":   []byte(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)),
	"deep objects":   []byte(strings.Repeat(`{"a":`, 20000) + "1" + strings.Repeat("}", 20000)),
	"huge":           []byte(`{"value": "` + strings.Repeat("a", 2<<20) + `"}`),
	"huge number":    []byte(`{"value": 1e999999}`),
	"duplicate keys": []byte(`{"value": 1, "value": 2}`),
}

func (s opShape) bodyCases() []Case {
	target := s.target(nil, "")
	var out []Case
	names := make([]string, 0, len(malformedBodies))
	for n := range malformedBodies {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, s.newCase("body "+n, target, malformedBodies[n], nil))
	}
	if s.body == nil {
		return out
	}
	// A valid body with more after it is not JSON, though a decoder that
	// reads one value finds a valid one.
	for _, t := range []struct{ name, more string }{{"trailing garbage", " not json {{{"}, {"a second value", string(s.validBody())}} {
		c := s.newCase("body "+t.name, target, append(s.validBody(), t.more...), nil)
		c.Refused = true
		out = append(out, c)
	}
	valid := validValue(s.body)
	for _, m := range mutations(s.body, valid, "") {
		raw, _ := json.Marshal(m.value)
		out = append(out, s.newCase("body "+m.name, target, raw, nil))
	}
	for _, ct := range []string{"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/x-www-form-urlencoded", "application/json; charset=latin1", ""} {
		out = append(out, s.newCase("content-type "+ct, target, s.validBody(), map[string]string{"Content-Type": ct}))
	}
	return out
}

// oddHeaders are request headers a client should not send.
var oddHeaders = map[string]map[string]string{
	"token with spaces":           {"X-Forwarded-Access-Token": "   "},
	"token bearer prefix":         {"X-Forwarded-Access-Token": "Bearer abc"},
	"token three dots":            {"X-Forwarded-Access-Token": "a.b.c"},
	"token bad base64":            {"X-Forwarded-Access-Token": "eyJ.!!!.x"},
	"token payload not json":      {"X-Forwarded-Access-Token": "eyJhbGciOiJub25lIn0.bm90IGpzb24.x"},
	"token payload array":         {"X-Forwarded-Access-Token": "eyJhbGciOiJub25lIn0.W10.x"},
	"token scope number":          {"X-Forwarded-Access-Token": "eyJhbGciOiJub25lIn0.eyJzY29wZSI6MX0.x"},
	"token huge":                  {"X-Forwarded-Access-Token": strings.Repeat("t", 64<<10)},
	"token unknown":               {"X-Forwarded-Access-Token": "dapi00000000000000000000000000000000"},
	"token non-ascii":             {"X-Forwarded-Access-Token": "t\u00e9st"},
	"request id newline-free odd": {"X-Request-Id": "../../etc/passwd"},
	"request id huge":             {"X-Request-Id": strings.Repeat("r", 10000)},
	"request id json":             {"X-Request-Id": `{"level":"ERROR"}`},
	"accept xml":                  {"Accept": "application/xml"},
	"accept-encoding":             {"Accept-Encoding": "gzip, br, zstd, *;q=0"},
	"content-length lies":         {"Content-Length": "5"},
	"transfer-encoding odd":       {"Transfer-Encoding": "gzip"},
	"x-forwarded-for spoof":       {"X-Forwarded-For": "127.0.0.1, ::1", "X-Forwarded-Email": "admin@example.com", "X-Forwarded-User": "admin"},
	"host odd":                    {"Host": "evil.example.com:99999"},
}

func (s opShape) headerCases() []Case {
	var out []Case
	names := make([]string, 0, len(oddHeaders))
	for n := range oddHeaders {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		out = append(out, s.newCase("header "+n, s.target(nil, ""), s.validBody(), oddHeaders[n]))
	}
	return out
}

// wrongMethodCases sends every method the path does not have.
func wrongMethodCases(path string, item *openapi3.PathItem) []Case {
	var out []Case
	have := item.Operations()
	t := strings.NewReplacer("{catalog_name}", validPathValue, "{schema_name}", validPathValue,
		"{endpoint_name}", validPathValue, "{key}", validPathValue).Replace(path)
	for _, m := range []string{"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"} {
		if _, ok := have[m]; ok {
			continue
		}
		out = append(out, Case{Name: path + ": method " + m, Method: m, Target: t, Body: []byte("{}")})
	}
	return out
}

// mutation is a hostile variant of a valid body.
type mutation struct {
	name  string
	value any
}

// mutations returns, for the valid value v of schema s at pointer at, each
// field replaced by wrong types and out-of-range values, each required
// field removed, and an unknown field added.
func mutations(s *openapi3.Schema, v any, at string) []mutation {
	var out []mutation
	replace := func(name string, nv any) { out = append(out, mutation{at + " " + name, nv}) }
	for _, wrong := range []any{nil, true, 42, -1.5, "x", []any{}, map[string]any{}} {
		if s.Type != nil && s.Type.Permits(typeOf(wrong)) {
			continue
		}
		if wrong == nil && s.Nullable {
			continue
		}
		replace(fmt.Sprintf("as %T %v", wrong, wrong), wrong)
	}
	if s.MaxLength != nil {
		replace("over maxLength", strings.Repeat("a", int(*s.MaxLength)+1))
	}
	if s.Type == nil || s.Type.Permits(openapi3.TypeString) {
		// Valid JSON that not every store can keep: Postgres JSONB refuses
		// a NUL character in a string.
		replace("string with a NUL", "a\x00b")
		replace("object with a NUL key", map[string]any{"k\x00": 1})
	}
	if s.MinLength > 0 {
		replace("under minLength", strings.Repeat("a", int(s.MinLength)-1))
	}
	if len(s.Enum) > 0 {
		replace("not in enum", "not-a-value")
	}
	if s.Type.Is(openapi3.TypeArray) && s.Items != nil {
		item := validValue(s.Items.Value)
		if s.MaxItems != nil {
			replace("over maxItems", slices.Repeat([]any{item}, int(*s.MaxItems)+1))
		}
		if s.MinItems > 0 {
			replace("under minItems", slices.Repeat([]any{item}, int(s.MinItems)-1))
		}
		for _, m := range mutations(s.Items.Value, item, at+"/0") {
			out = append(out, mutation{m.name, []any{m.value}})
		}
	}
	obj, _ := v.(map[string]any)
	if s.Type.Is(openapi3.TypeObject) && obj != nil {
		for _, name := range s.Required {
			c := clone(obj)
			delete(c, name)
			out = append(out, mutation{at + "/" + name + " missing", c})
		}
		if s.AdditionalProperties.Has != nil && !*s.AdditionalProperties.Has {
			c := clone(obj)
			c["unexpected"] = 1
			out = append(out, mutation{at + " unknown field", c})
		}
		for name, prop := range s.Properties {
			for _, m := range mutations(prop.Value, validValue(prop.Value), at+"/"+name) {
				c := clone(obj)
				c[name] = m.value
				out = append(out, mutation{m.name, c})
			}
		}
	}
	return out
}

// validValue is a value the schema accepts.
func validValue(s *openapi3.Schema) any {
	switch {
	case len(s.Enum) > 0:
		return s.Enum[0]
	case s.Type.Is(openapi3.TypeObject):
		obj := map[string]any{}
		for _, name := range s.Required {
			obj[name] = validValue(s.Properties[name].Value)
		}
		return obj
	case s.Type.Is(openapi3.TypeArray):
		return []any{validValue(s.Items.Value)}
	case s.Type.Is(openapi3.TypeInteger), s.Type.Is(openapi3.TypeNumber):
		if s.Min != nil {
			return *s.Min
		}
		return 1
	case s.Type.Is(openapi3.TypeBoolean):
		return true
	case s.Type.Is(openapi3.TypeString):
		return strings.Repeat("a", max(1, int(s.MinLength)))
	}
	return "any value"
}

func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return openapi3.TypeNull
	case bool:
		return openapi3.TypeBoolean
	case int:
		return openapi3.TypeInteger
	case float64:
		return openapi3.TypeNumber
	case string:
		return openapi3.TypeString
	case []any:
		return openapi3.TypeArray
	}
	return openapi3.TypeObject
}

func clone(m map[string]any) map[string]any {
	c := make(map[string]any, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

// patternMaxLen reads the upper bound of a `^[...]{1,N}$` pattern, or 0.
func patternMaxLen(pattern string) int {
	m := regexp.MustCompile(`\{\d+,(\d+)\}\$$`).FindStringSubmatch(pattern)
	if m == nil {
		return 0
	}
	var n int
	_, _ = fmt.Sscan(m[1], &n)
	return n
}

// URL is the case's target as a URL, the way net/http reads it from the
// request line (a CONNECT's target that is no path is an authority: a host
// and port); ok is false when no HTTP server would accept the target (then
// the case is a transport-level test only).
func (c Case) URL() (u *url.URL, ok bool) {
	if c.Method == "CONNECT" && !strings.HasPrefix(c.Target, "/") {
		u, err := url.ParseRequestURI("http://" + c.Target)
		if err != nil {
			return nil, false
		}
		u.Scheme = ""
		return u, true
	}
	u, err := url.ParseRequestURI(c.Target)
	return u, err == nil
}
