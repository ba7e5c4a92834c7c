// Package catalog is the MCP tool catalog of the Komodo API: one tool per Komodo
// operation with its input schema, output schema, annotations and toolsets, generated
// by tools/toolgen from api/komodo.openapi.json, api/mcp.yaml and api/effects.yaml
// (catalog.gen.go).
// Schemas are precomputed JSON so that serving tools/list costs no conversion at start-up.
package catalog

import "encoding/json"

// Tool describes one MCP tool and the Komodo operation it calls.
type Tool struct {
	Name        string // komodo_{module}_{Operation}
	Title       string // human-readable title
	Description string
	Module      string // read, write, execute, user
	Operation   string // the Komodo request type, e.g. ListServers
	Method      string // HTTP method
	Path        string // HTTP path, e.g. /read/ListServers
	Toolset     string // the family toolset, e.g. servers

	// Effect is what the operation does (api/effects.yaml); readOnlyHint and
	// destructiveHint derive from it, and so does the KOMODO_CONFIRM policy.
	Effect     Effect
	Idempotent bool // idempotentHint

	// InputSchema is the JSON Schema of the arguments: a "type": "object" root with
	// everything inlined (no $ref), as MCP clients require.
	InputSchema json.RawMessage
	// OutputSchema is the JSON Schema of structuredContent, or nil when the response
	// schema is too large to be worth sending in tools/list.
	OutputSchema json.RawMessage
	// ResultWrap says how Komodo's answer becomes structuredContent, which must be an
	// object: "" (it is one), "items" (an array, wrapped as {"items": [...]}), "value"
	// (anything else, wrapped as {"value": ...}) or "envelope" (a list, paged as the usage
	// envelope {"items", "total", "page", "pageSize"}; README "Compatibility with the seed usage guide").
	ResultWrap string
	// Paged is true when the operation takes Komodo's page/limit parameters.
	Paged bool
	// ListKey is, for a list answered as {KEY: [...], "next_page": n}, the key of the
	// items (ListAlerts: "alerts"); empty for lists answered as arrays.
	ListKey string
	// TargetField is the request field naming the resource acted on ("deployment"),
	// which the `id` parameter fills; empty when the tool has none.
	TargetField string
	// Params are the MCP-only parameters of the tool's input schema: they are translated
	// by the server, never sent to Komodo as they are.
	Params []string
	// Defaults is a JSON object of values the server fills in for fields the assistant
	// left out (Komodo requires them: a log's tail, a stack's services); nil when none.
	Defaults json.RawMessage
}

// Toolset is a named group of tools that can be enabled together.
type Toolset struct {
	ID          string
	Description string
}

// ByName returns the tool with the given name.
func ByName(name string) (*Tool, bool) {
	i, ok := index[name]
	if !ok {
		return nil, false
	}
	return &Tools[i], true
}

var index = func() map[string]int {
	m := make(map[string]int, len(Tools))
	for i, t := range Tools {
		m[t.Name] = i
	}
	return m
}()
