package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
)

// Tool is one tool of the server, generated from the catalog or written by hand: what
// tools/list shows (Def, annotations and all), what calling it does (Effect), where it
// belongs (Module, Toolset, Default) and how it answers (Handler). Selection,
// registration, the permit, the confirmation policy, the audit log, listings, snapshots
// and the inventory checks all work on this one type.
type Tool struct {
	// Def is the tool exactly as clients receive it. Its annotations are explicit:
	// readOnlyHint, destructiveHint, idempotentHint and openWorldHint are all set, and
	// readOnlyHint and destructiveHint derive from Effect.
	Def *mcp.Tool
	// Effect is what a call does (api/effects.yaml for catalog tools). It alone decides
	// whether a call is asked about (KOMODO_CONFIRM) and audited; a tool with an effect
	// that is not one of catalog.Effects cannot be served (New fails).
	Effect catalog.Effect
	// Dispatches marks the gateway (komodo_call_tool): it has no effect of its own; the
	// tool it calls meets the permit, the policy and the audit as a direct call does.
	Dispatches bool
	// Operation is the Komodo operation (DeployStack, ExecuteTerminal...), for the audit
	// log and the confirmation question.
	Operation string
	// Module is the Komodo API module: read, write, execute, user, auth or terminal. It
	// selects module toolsets (--toolsets execute); it decides nothing about safety.
	Module string
	// Toolset is the family toolset (catalog.Toolsets, or auth).
	Toolset string
	// Default puts the tool on the default surface.
	Default bool
	// Catalog is the catalog entry of a generated tool (nil for hand-written ones), of the
	// Komodo version served.
	Catalog *catalog.Tool
	// Handler builds the tool's handler once the server exists. The handler only sees
	// calls that passed Def.InputSchema (see Call).
	Handler func(s *Server) Handler
}

// Handler answers one call of a tool. A failure Komodo or the client caused is returned
// as an *errcode.Error - a value, rendered to the {"error", "code"} result once, at the
// edge; any other error is a fault of the server itself.
type Handler func(ctx context.Context, c *Call) (*mcp.CallToolResult, error)

// Call is one tool call, decoded, normalised and validated once, at the outermost layer:
// every later step - the permit, confirmation, the audit line, the translation of the curated parameters (internal/params),
// execution and waiting - reads this value, and nothing downstream decodes the request
// again. A call that cannot be decoded, normalised or validated never becomes a Call:
// it is refused before anything reaches Komodo.
type Call struct {
	// Tool is the tool called (for a call through komodo_call_tool: the tool it names).
	Tool *Tool
	// Request is the MCP request, for its session, progress token and input responses.
	// Through Server.CallTool it may have no Session. Its Params.Arguments are the
	// client's raw bytes: read Args instead.
	Request *mcp.CallToolRequest
	// Args are the normalised arguments (numbers as json.Number): JSON text where the
	// schema wants an object or an array decoded, Komodo's own name of the target field
	// (or `name`) turned into `id`, defaults filled in, the confirmation token taken out -
	// and then checked against the tool's input schema. Handlers may modify Args.
	Args map[string]any
	// Token is the confirmation token the call came back with ("" for none).
	Token string
}

// Target names what the call acts on, for the audit log and the confirmation question.
func (c *Call) Target() string { return audit.TargetOf(c.Args) }

// Middleware wraps the handler of every tool - generated, hand-written, and any tool
// called by name through Server.CallTool or komodo_call_tool - in one place, inside the
// layer that makes the Call: next sees only validated calls; t is the tool being called.
type Middleware func(t *Tool, next Handler) Handler

// Inventory is every tool the server knows for the newest Komodo version, generated and
// hand-written, sorted by name. Each call returns fresh values.
func Inventory() []*Tool { return InventoryFor(catalog.Newest()) }

// InventoryFor is every tool the server knows for the Komodo version of c.
func InventoryFor(c *catalog.Catalog) []*Tool {
	all := make([]*Tool, 0, len(c.Tools)+8)
	defaults := map[string]bool{}
	for _, n := range catalog.Default {
		defaults[n] = true
	}
	for i := range c.Tools {
		ct := &c.Tools[i]
		all = append(all, &Tool{
			Catalog:   ct,
			Def:       catalogDef(ct),
			Effect:    ct.Effect,
			Operation: ct.Operation,
			Module:    ct.Module,
			Toolset:   ct.Toolset,
			Default:   defaults[ct.Name],
			Handler:   func(s *Server) Handler { return s.generatedHandler(ct) },
		})
	}
	all = append(all, authTools()...)
	all = append(all, waitUpdateTool(), terminalTool(), searchTool(), callTool(), findTool(), changesTool())
	all = append(all, fleetTools()...)
	sort.Slice(all, func(i, j int) bool { return all[i].Def.Name < all[j].Def.Name })
	return all
}

// catalogDef is the MCP definition of a catalog tool; schemas are used as precomputed.
func catalogDef(t *catalog.Tool) *mcp.Tool {
	def := &mcp.Tool{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		InputSchema: json.RawMessage(t.InputSchema),
		Annotations: annotations(t.Title, t.Effect, t.Idempotent),
	}
	if t.OutputSchema != nil {
		def.OutputSchema = json.RawMessage(t.OutputSchema)
	}
	return def
}

// annotations are a tool's hints with every one of them explicit: readOnlyHint and
// destructiveHint are the effect's. Every tool talks to Komodo, an open world.
func annotations(title string, e catalog.Effect, idempotent bool) *mcp.ToolAnnotations {
	return hints(title, e.ReadOnly(), e.Destructive(), idempotent)
}

// hints are annotations given directly: only for the gateway, which has no effect of its
// own.
func hints(title string, readOnly, destructive, idempotent bool) *mcp.ToolAnnotations {
	openWorld := true
	return &mcp.ToolAnnotations{
		Title:           title,
		ReadOnlyHint:    readOnly,
		DestructiveHint: &destructive,
		IdempotentHint:  idempotent,
		OpenWorldHint:   &openWorld,
	}
}

// readOnly reports whether a read-only server offers the tool: its effect is read, or it
// is the gateway (which then calls only tools whose effect is read).
func (t *Tool) readOnly() bool { return t.Dispatches || t.Effect.ReadOnly() }

// schemaJSON is a tool schema as JSON text.
func schemaJSON(schema any) []byte {
	switch s := schema.(type) {
	case nil:
		return nil
	case json.RawMessage:
		return s
	}
	b, err := json.Marshal(schema)
	if err != nil {
		panic(fmt.Sprintf("tool schema does not marshal: %v", err))
	}
	return b
}
