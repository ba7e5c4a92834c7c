package server

import (
	"context"
	"errors"
	"maps"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/arguments"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// The call path, in one direction: the edge (handler) decodes the request once and makes
// the Call (internal/arguments: normalise, validate); the permit decides whether the tool
// may be called at all; the middleware (the policy first: confirmation and audit) and the
// tool's handler see only the Call; errors stay *errcode.Error values until the edge
// renders them, once. komodo_call_tool enters at the permit with the arguments it already
// decoded, and its result is rendered at its own edge.

// handler is the complete MCP handler of a tool, built once a tool: the edge around the
// composed handler.
func (s *Server) handler(t *Tool) mcp.ToolHandler {
	h := s.composed(t)
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := arguments.Decode(req.Params.Arguments)
		if err != nil {
			return s.render(ctx, nil, s.policy.Refuse(ctx, t, tool.Invalid(err.Error(), "pass the arguments as a JSON object")))
		}
		res, err := s.run(ctx, t, h, req, args)
		return s.render(ctx, res, err)
	}
}

// composed is a tool's handler, built from the server's env, inside the server's
// middleware (Options.Middleware[0] outermost, the policy before them), built once a tool.
func (s *Server) composed(t *Tool) Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.sf().handlers[t.Def.Name]; ok {
		return h
	}
	h, err := t.Handler(s.env)
	if err != nil { // New and UseKomodo checked every tool: a fault of the server itself
		h = func(context.Context, *Call) (*mcp.CallToolResult, error) { return nil, err }
	}
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		h = s.opts.Middleware[i](t, h)
	}
	s.sf().handlers[t.Def.Name] = h
	return h
}

// run makes the Call from decoded arguments (which it owns) and runs h on it. A call that
// does not validate is refused, and audited as refused when the tool changes things.
func (s *Server) run(ctx context.Context, t *Tool, h Handler, req *mcp.CallToolRequest, args map[string]any) (*mcp.CallToolResult, error) {
	c, e := s.sf().checker.Check(t, req, args)
	if e != nil {
		return nil, s.policy.Refuse(ctx, t, e)
	}
	res, err := h(ctx, c)
	if e, ok := errors.AsType[*errcode.Error](err); ok && e.MayHaveBeenApplied && !t.Effect.Mutates() {
		cp := *e // a read that may have reached Komodo changed nothing
		cp.MayHaveBeenApplied = false
		err = &cp
	}
	return res, err
}

// render is the edge: a typed error becomes the {"error", "code"} result here, once, with
// the secrets of the configuration and of the caller redacted and the tools it names that
// are not listed pointed out. Any other error is the server's own fault.
func (s *Server) render(ctx context.Context, res *mcp.CallToolResult, err error) (*mcp.CallToolResult, error) {
	if err == nil {
		return res, nil
	}
	e, ok := errors.AsType[*errcode.Error](err)
	if !ok {
		return nil, err
	}
	e = e.Redacted(s.rpc.SecretsFor(ctx)...)
	e.Reach = gateway.Reach(s.sf(), e)
	return tool.Failure(e), nil
}

// CallTool calls a tool by name through the same path tools/call uses (the permit, the
// Call, the middleware, the edge), for callers outside a session (the CLI, tests).
func (s *Server) CallTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	t, e := s.sf().Permit(req.Params.Name)
	if e != nil {
		return s.render(ctx, nil, e)
	}
	return s.handler(t)(ctx, req)
}

// callThrough is komodo_call_tool's call of the tool named: the permit, then the Call made
// from the arguments the gateway already decoded, then the tool's composed handler. The
// result is rendered at the gateway's edge.
func (s *Server) callThrough(ctx context.Context, outer *Call, name string, args map[string]any) (*mcp.CallToolResult, error) {
	t, e := s.sf().Permit(name)
	if e == nil {
		e = gateway.Through(t)
	}
	if e != nil {
		return nil, e
	}
	raw := &mcp.CallToolParamsRaw{Name: name}
	if outer.Request != nil && outer.Request.Params != nil {
		// The progress token reaches the called tool, and a retried call brings the answers
		// to the called tool's input requests (confirmations).
		o := outer.Request.Params
		raw.Meta, raw.InputResponses, raw.RequestState = o.Meta, o.InputResponses, o.RequestState
	}
	req := &mcp.CallToolRequest{Params: raw}
	if outer.Request != nil {
		req.Session, req.Extra = outer.Request.Session, outer.Request.Extra
	}
	return s.run(ctx, t, s.composed(t), req, maps.Clone(args))
}
