package arguments

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

var printer = message.NewPrinter(language.English)

// validators compiles input schemas on first use and keeps them: compiling all of them
// at start-up would cost what the catalog's precomputed schemas save. One set of tools
// (one Komodo version's) has its own: a tool's schema differs between versions.
type validators struct {
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
	props    sync.Map // tool name -> map[string]string (properties)
}

func (v *validators) get(name string, schema []byte) (*jsonschema.Schema, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if s, ok := v.compiled[name]; ok {
		return s, nil
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schema))
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	url := "mem:///" + name + ".json"
	if err := c.AddResource(url, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile(url)
	if err != nil {
		return nil, err
	}
	if v.compiled == nil {
		v.compiled = map[string]*jsonschema.Schema{}
	}
	v.compiled[name] = s
	return s, nil
}

// validate checks args against a tool's input schema. The error names each offending
// argument by its path, e.g. "`deployment`: got number, want string".
func (v *validators) validate(name string, schema []byte, args any) error {
	s, err := v.get(name, schema)
	if err != nil {
		return fmt.Errorf("input schema of %s does not compile: %w", name, err)
	}
	err = s.Validate(args)
	if err == nil {
		return nil
	}
	ve, ok := err.(*jsonschema.ValidationError)
	if !ok {
		return err
	}
	var msgs []string
	collect(ve, &msgs)
	sort.Strings(msgs)
	return fmt.Errorf("invalid arguments: %s", strings.Join(dedupe(msgs), "; "))
}

// collect gathers the leaf causes of a validation error: those are the specific ones.
func collect(e *jsonschema.ValidationError, out *[]string) {
	if len(e.Causes) > 0 {
		for _, c := range e.Causes {
			collect(c, out)
		}
		return
	}
	where := "arguments"
	if len(e.InstanceLocation) > 0 {
		where = "`" + strings.Join(e.InstanceLocation, ".") + "`"
	}
	msg := e.ErrorKind.LocalizedString(printer)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		msg = "unknown argument(s) " + quoteAll(k.Properties) + ": this tool does not take them"
	case *kind.Required:
		msg = "missing required argument(s) " + quoteAll(k.Missing)
	}
	*out = append(*out, where+": "+msg)
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

func dedupe(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Decode parses a call's raw arguments, the one decode of a call; absent arguments
// are an empty object, and an object sent as a JSON string (some clients encode the
// arguments twice) is that object.
func Decode(raw json.RawMessage) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 || string(bytes.TrimSpace(raw)) == "null" {
		return map[string]any{}, nil
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("arguments are not valid JSON: %v", err)
	}
	if str, ok := v.(string); ok {
		if inner, err := jsonschema.UnmarshalJSON(strings.NewReader(str)); err == nil {
			if m, ok := inner.(map[string]any); ok {
				return m, nil
			}
		}
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("arguments must be a JSON object, got %s", jsonKind(v))
	}
	return m, nil
}

// jsonKind names the JSON type of a decoded value.
func jsonKind(v any) string {
	switch v.(type) {
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return "a number"
}

// properties lists the top-level properties of a tool's input schema with their type (""
// when it is not one string); computed on first use.
func (v *validators) properties(tool string, schema []byte) map[string]string {
	if m, ok := v.props.Load(tool); ok {
		return m.(map[string]string)
	}
	var s struct {
		Properties map[string]struct {
			Type any `json:"type"`
		} `json:"properties"`
	}
	m := map[string]string{}
	if json.Unmarshal(schema, &s) == nil {
		for name, p := range s.Properties {
			t, _ := p.Type.(string)
			m[name] = t
		}
	}
	got, _ := v.props.LoadOrStore(tool, m)
	return got.(map[string]string)
}

// hasProperty reports whether a tool's input schema has a top-level property name.
func (v *validators) hasProperty(tool string, schema []byte, name string) bool {
	_, ok := v.properties(tool, schema)[name]
	return ok
}

// coerceJSONStrings replaces a top-level argument that should be an object or an array
// but arrived as a string holding that JSON (some clients send nested objects that way).
// It reports whether it changed anything.
func (v *validators) coerceJSONStrings(tool string, args map[string]any, schema []byte) bool {
	changed := false
	for name, want := range v.properties(tool, schema) {
		if want != "object" && want != "array" {
			continue
		}
		str, isString := args[name].(string)
		if !isString {
			continue
		}
		decoded, err := jsonschema.UnmarshalJSON(strings.NewReader(str))
		if err != nil {
			continue
		}
		_, isObject := decoded.(map[string]any)
		_, isArray := decoded.([]any)
		if (want == "object" && isObject) || (want == "array" && isArray) {
			args[name] = decoded
			changed = true
		}
	}
	return changed
}
