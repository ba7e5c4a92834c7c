package server

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// Tool is one tool of the server, generated from the catalog or written by hand: what
// tools/list shows (Def, annotations and all), where it belongs (Module, Toolset,
// Default) and how it answers (Handler). Selection, registration, listings, snapshots
// and the inventory checks all work on this one type.
type Tool struct {
	// Def is the tool exactly as clients receive it. Its annotations are explicit:
	// readOnlyHint, destructiveHint, idempotentHint and openWorldHint are all set.
	Def *mcp.Tool
	// Module is the Komodo API module: read, write, execute, user, auth or terminal.
	Module string
	// Toolset is the family toolset (catalog.Toolsets, or auth).
	Toolset string
	// Default puts the tool on the default surface.
	Default bool
	// Handler builds the tool's handler once the server exists. The handler only sees
	// calls whose arguments are a JSON object that passed Def.InputSchema.
	Handler func(s *Server) Handler
}

// Handler answers one call of a tool. A failure Komodo or the client caused is a
// result with IsError (the {"error", "code"} JSON); a Go error is a fault of the
// server itself.
type Handler func(ctx context.Context, c *Call) (*mcp.CallToolResult, error)

// Call is one validated tool call.
type Call struct {
	// Request is the MCP request. Through Server.CallTool it may have no Session.
	Request *mcp.CallToolRequest
	// Args are the decoded arguments (numbers as json.Number), already checked against
	// the tool's input schema. Arguments sent as JSON text where the schema wants an
	// object or an array are decoded in place. Handlers may modify Args.
	Args map[string]any
}

// Middleware wraps the handler of every tool - generated, hand-written, and any tool
// called by name through Server.CallTool - in one place. next already decodes and
// validates the arguments; t is the tool being called.
type Middleware func(t *Tool, next mcp.ToolHandler) mcp.ToolHandler

// Inventory is every tool the server knows, generated and hand-written, sorted by
// name. Each call returns fresh values.
func Inventory() []*Tool {
	all := make([]*Tool, 0, len(catalog.Tools)+8)
	defaults := map[string]bool{}
	for _, n := range catalog.Default {
		defaults[n] = true
	}
	for i := range catalog.Tools {
		ct := &catalog.Tools[i]
		all = append(all, &Tool{
			Def:     catalogDef(ct),
			Module:  ct.Module,
			Toolset: ct.Toolset,
			Default: defaults[ct.Name],
			Handler: func(s *Server) Handler { return s.generatedHandler(ct) },
		})
	}
	all = append(all, authTools()...)
	all = append(all, waitUpdateTool(), terminalTool(), searchTool(), callTool(), findTool())
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
		Annotations: annotations(t.Title, t.ReadOnly, t.Destructive, t.Idempotent),
	}
	if t.OutputSchema != nil {
		def.OutputSchema = json.RawMessage(t.OutputSchema)
	}
	return def
}

// annotations are a tool's hints with every one of them explicit. Every tool talks to
// Komodo, an open world.
func annotations(title string, readOnly, destructive, idempotent bool) *mcp.ToolAnnotations {
	openWorld := true
	return &mcp.ToolAnnotations{
		Title:           title,
		ReadOnlyHint:    readOnly,
		DestructiveHint: &destructive,
		IdempotentHint:  idempotent,
		OpenWorldHint:   &openWorld,
	}
}

// readOnly reports the tool's readOnlyHint.
func (t *Tool) readOnly() bool { return t.Def.Annotations != nil && t.Def.Annotations.ReadOnlyHint }

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

// validating is the first layer of every tool's handler: it decodes the arguments,
// turns JSON text into the object or array the schema wants, and checks them against the
// input schema before h sees them.
func (s *Server) validating(t *Tool, h Handler) mcp.ToolHandler {
	name := t.Def.Name
	schema := schemaJSON(t.Def.InputSchema)
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := decodeArgs(req.Params.Arguments)
		if err != nil {
			return validationFailure(err.Error(), "pass the arguments as a JSON object"), nil
		}
		coerceJSONStrings(name, args, schema)
		if res := targetAlias(name, args); res != nil {
			return res, nil
		}
		if err := s.validators.validate(name, schema, args); err != nil {
			return validationFailure(err.Error(), "check the tool's input schema"), nil
		}
		return h(ctx, &Call{Request: req, Args: args})
	}
}

// handler is the complete handler of a tool: validation, the tool's own handler, and the
// server's middleware around them (Options.Middleware[0] outermost). Built once a tool.
func (s *Server) handler(t *Tool) mcp.ToolHandler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.handlers[t.Def.Name]; ok {
		return h
	}
	h := s.validating(t, t.Handler(s))
	inner := h
	h = func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		res, err := inner(ctx, req)
		return s.reachable(res), err
	}
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		h = s.opts.Middleware[i](t, h)
	}
	s.handlers[t.Def.Name] = h
	return h
}

// Tool returns a tool of the inventory that this server may call: any tool, except that
// a read-only server has only read-only tools. It need not be listed in tools/list.
func (s *Server) Tool(name string) (*Tool, bool) {
	t, ok := s.tools[name]
	if !ok || (s.readOnly && !t.readOnly()) {
		return nil, false
	}
	return t, true
}

// CallTool calls a tool by name through the same handler tools/call uses (validation and
// middleware included), for tools that call other tools. req.Params.Name names the tool;
// a tool this server may not call is a VALIDATION_ERROR result.
func (s *Server) CallTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	t, ok := s.Tool(req.Params.Name)
	if !ok {
		return validationFailure(fmt.Sprintf("unknown tool %q", req.Params.Name), "list the tools to see their names"), nil
	}
	return s.handler(t)(ctx, req)
}

// targetAlias accepts Komodo's own name for a tool's target field (deployment, server...)
// in place of `id`, the one identifier the schema lists: an assistant that read Komodo's
// documentation is not refused for it. Both at once is ambiguous and refused.
func targetAlias(tool string, args map[string]any) *mcp.CallToolResult {
	ct, ok := catalog.ByName(tool)
	if !ok || ct.TargetField == "" {
		return nil
	}
	v, hasField := args[ct.TargetField]
	if !hasField {
		return nil
	}
	if _, hasID := args["id"]; hasID {
		return validationFailure(fmt.Sprintf("give `id` or `%s`, not both", ct.TargetField), "`id` takes the "+ct.TargetField+"'s name or id")
	}
	if _, ok := v.(string); !ok {
		return validationFailure(fmt.Sprintf("`%s` must be the %s's name or id, a string", ct.TargetField, ct.TargetField), "pass it as `id`")
	}
	args["id"] = v
	delete(args, ct.TargetField)
	return nil
}
