// Package servertest holds what the safety sweeps of komodo-mcp need, in-process
// (internal/server) and against the real binary (cmd/komodo-mcp): the smallest valid
// arguments of any tool, every spelling a client may use for them, and the count of
// requests that change something in the simulator. Only tests import it.
package servertest

import (
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// Target is the resource name the sweeps put in a tool's target.
const Target = "sweep-target"

// Spelling is one way to call a tool.
type Spelling struct {
	Name  string // how it is spelled, for messages
	Tool  string // the tool called: the tool itself or komodo_call_tool
	Args  string // raw JSON arguments
	Inner string // the tool the call reaches
}

// Spellings lists the ways to call tool with the arguments base (which name the target as
// `id` when the tool has a target field): `id`, Komodo's own field, `name` (when the tool
// has no `name` of its own), each with the arguments as an object and as one JSON string,
// directly and through komodo_call_tool.
func Spellings(tool *server.Tool, base map[string]any) []Spelling {
	name := tool.Def.Name
	variants := map[string]map[string]any{"id": base}
	if ct, ok := catalog.ByName(name); ok && ct.TargetField != "" {
		id := base["id"]
		own := maps.Clone(base)
		delete(own, "id")
		own[ct.TargetField] = id
		variants["Komodo's field "+ct.TargetField] = own
		if !HasProperty(tool, "name") {
			byName := maps.Clone(base)
			delete(byName, "id")
			byName["name"] = id
			variants["name"] = byName
		}
	}
	keys := make([]string, 0, len(variants))
	for k := range variants {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []Spelling
	for _, k := range keys {
		obj := mustJSON(variants[k])
		str := mustJSON(string(obj)) // the whole arguments as one JSON string
		out = append(out,
			Spelling{k, name, string(obj), name},
			Spelling{k + ", arguments as a JSON string", name, string(str), name},
			Spelling{k + ", via komodo_call_tool", "komodo_call_tool", fmt.Sprintf(`{"name":%q,"arguments":%s}`, name, obj), name},
			Spelling{k + ", via komodo_call_tool, arguments as a JSON string", "komodo_call_tool", fmt.Sprintf(`{"name":%q,"arguments":%s}`, name, str), name},
		)
	}
	return out
}

// HasProperty reports whether a tool's input schema has a top-level property.
func HasProperty(tool *server.Tool, prop string) bool {
	var s struct {
		Properties map[string]json.RawMessage `json:"properties"`
	}
	_ = json.Unmarshal(schemaBytes(tool), &s)
	_, ok := s.Properties[prop]
	return ok
}

func schemaBytes(tool *server.Tool) []byte {
	if raw, ok := tool.Def.InputSchema.(json.RawMessage); ok {
		return raw
	}
	b, _ := json.Marshal(tool.Def.InputSchema)
	return b
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// MinimalArgs are the smallest arguments a tool's input schema accepts, its target named
// by `id` (Target) when it has one.
func MinimalArgs(tool *server.Tool) map[string]any {
	var s map[string]any
	if err := json.Unmarshal(schemaBytes(tool), &s); err != nil {
		panic(fmt.Sprintf("%s: input schema: %v", tool.Def.Name, err))
	}
	args, _ := minimal(s).(map[string]any)
	if _, ok := args["id"]; ok {
		args["id"] = Target
	}
	return args
}

// minimal builds the smallest value a JSON schema accepts: the required properties of an
// object, the first choice of an enum or a union, the minimum length or value.
func minimal(s map[string]any) any {
	if e, ok := s["enum"].([]any); ok && len(e) > 0 {
		return e[0]
	}
	if c, ok := s["const"]; ok {
		return c
	}
	for _, k := range []string{"oneOf", "anyOf"} {
		if alts, ok := s[k].([]any); ok && len(alts) > 0 {
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok && m["type"] != "null" {
					return minimal(m)
				}
			}
		}
	}
	typ := s["type"]
	if list, ok := typ.([]any); ok {
		typ = nil
		for _, x := range list {
			if x != "null" {
				typ = x
				break
			}
		}
	}
	switch typ {
	case "string":
		n := 1
		if v, ok := s["minLength"].(float64); ok && v > 1 {
			n = int(v)
		}
		return strings.Repeat("x", n)
	case "integer", "number":
		if v, ok := s["minimum"].(float64); ok {
			return v
		}
		return 1
	case "boolean":
		return false
	case "array":
		out := []any{}
		if n, ok := s["minItems"].(float64); ok && n > 0 {
			item, _ := s["items"].(map[string]any)
			for range int(n) {
				out = append(out, minimal(item))
			}
		}
		return out
	case "object", nil:
		out := map[string]any{}
		props, _ := s["properties"].(map[string]any)
		req, _ := s["required"].([]any)
		for _, r := range req {
			p, _ := props[r.(string)].(map[string]any)
			out[r.(string)] = minimal(p)
		}
		return out
	}
	return nil
}

// Changes counts the requests the simulator received that may change something:
// everything but the operations whose effect is read (the policy's own look-ups: who is
// calling, which server a resource is on) and the server's own version probe (GET
// /version, GetCoreVersionText, which it may send at any moment to pick its catalog).
func Changes(s *sim.Server) int {
	reads := map[string]bool{"user": true, "version": true, "GetCoreVersionText": true}
	for _, ct := range catalog.Tools {
		if ct.Effect.ReadOnly() {
			reads[ct.Operation] = true
		}
	}
	n := 0
	for op, c := range s.Counts() {
		if !reads[op] {
			n += c
		}
	}
	return n
}
