// Package tool is what a tool of komodo-mcp is, whoever defines it: its definition as
// clients receive it, its typed effect, its handler, the one validated Call a handler
// sees, and the results and refusals it answers.
package tool

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
)

// ConfirmationArg is the argument that carries a confirmation token back to a tool. It is
// taken out of the arguments before they are validated or sent to Komodo (Call.Token).
const ConfirmationArg = "confirmation_token"

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
	// Handler builds the tool's handler once the server exists, from the dependencies
	// its package asks for (see Bind). The handler only sees calls that passed
	// Def.InputSchema (see Call).
	Handler Builder
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
	// Through the server's CallTool it may have no Session. Its Params.Arguments are the
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
// called by name through the server's CallTool or komodo_call_tool - in one place, inside the
// layer that makes the Call: next sees only validated calls; t is the tool being called.
type Middleware func(t *Tool, next Handler) Handler

// Builder builds a tool's handler from what the server provides (env). A tool's package
// declares the narrow set of dependencies its handlers use as an interface and makes its
// builders with Bind; the server's environment implements every such interface.
type Builder func(env any) (Handler, error)

// Bind makes a Builder from a function that needs only the dependencies D. Building fails
// (and the server refuses to serve the tool) when the environment does not provide D.
func Bind[D any](build func(D) Handler) Builder {
	return func(env any) (Handler, error) {
		d, ok := env.(D)
		if !ok {
			return nil, fmt.Errorf("the server does not provide %T", (*D)(nil))
		}
		return build(d), nil
	}
}

// Komodo calls one Komodo operation and answers its JSON, or an *errcode.Error
// (internal/rpc's client).
type Komodo interface {
	Call(ctx context.Context, method, path string, body []byte) ([]byte, error)
}

// Surface is the server's tools as a handler may ask about them, for the Komodo version
// served.
type Surface interface {
	// Lookup finds a tool of the whole inventory, listed or not, callable or not.
	Lookup(name string) (*Tool, bool)
	// Permit is the one decision whether a tool may be called - directly, by name, or
	// through komodo_call_tool: it exists, is not excluded, and on a read-only server
	// changes nothing. It returns the tool, or the refusal.
	Permit(name string) (*Tool, *errcode.Error)
	// Listed reports whether a tool is in tools/list.
	Listed(name string) bool
	// Gateway reports whether komodo_call_tool is listed, to reach the other tools.
	Gateway() bool
	// ReadOnly reports whether the server offers only tools that change nothing.
	ReadOnly() bool
}

// SessionKey identifies a call's MCP session for per-session caches (nil: no session).
func SessionKey(req *mcp.CallToolRequest) any {
	if req == nil || req.Session == nil {
		return nil
	}
	return req.Session
}

// Annotations are a tool's hints with every one of them explicit: readOnlyHint and
// destructiveHint are the effect's. Every tool talks to Komodo, an open world.
func Annotations(title string, e catalog.Effect, idempotent bool) *mcp.ToolAnnotations {
	return Hints(title, e.ReadOnly(), e.Destructive(), idempotent)
}

// Hints are annotations given directly: only for the gateway, which has no effect of its
// own.
func Hints(title string, readOnly, destructive, idempotent bool) *mcp.ToolAnnotations {
	openWorld := true
	return &mcp.ToolAnnotations{
		Title:           title,
		ReadOnlyHint:    readOnly,
		DestructiveHint: &destructive,
		IdempotentHint:  idempotent,
		OpenWorldHint:   &openWorld,
	}
}

// ReadOnly reports whether a read-only server offers the tool: its effect is read, or it
// is the gateway (which then calls only tools whose effect is read).
func (t *Tool) ReadOnly() bool { return t.Dispatches || t.Effect.ReadOnly() }

// AppOnly reports whether a tool is meant only for the fleet view (_meta.ui.visibility):
// it is not offered to the model.
func (t *Tool) AppOnly() bool { return fleetview.AppOnly(t.Def.Meta) }

// SchemaJSON is a tool schema as JSON text.
func SchemaJSON(schema any) []byte {
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
