package server

import (
	"context"
	"errors"
	"fmt"
	"maps"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
)

// The call path, in one direction: the edge (handler) decodes the request once and makes
// the Call (newCall: normalise, validate); the permit decides whether the tool may be
// called at all; the middleware (the confirmation policy and audit first) and the tool's
// handler see only the Call; errors stay *errcode.Error values until the edge renders
// them, once. komodo_call_tool enters at the permit with the arguments it already
// decoded, and its result is rendered at its own edge.

// handler is the complete MCP handler of a tool, built once a tool: the edge around the
// composed handler.
func (s *Server) handler(t *Tool) mcp.ToolHandler {
	h := s.composed(t)
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := decodeArgs(req.Params.Arguments)
		if err != nil {
			return s.render(ctx, nil, s.refuse(ctx, t, invalid(err.Error(), "pass the arguments as a JSON object")))
		}
		res, err := s.run(ctx, t, h, req, args)
		return s.render(ctx, res, err)
	}
}

// composed is a tool's handler inside the server's middleware (Options.Middleware[0]
// outermost, the policy before them), built once a tool.
func (s *Server) composed(t *Tool) Handler {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.sf().handlers[t.Def.Name]; ok {
		return h
	}
	h := t.Handler(s)
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		h = s.opts.Middleware[i](t, h)
	}
	s.sf().handlers[t.Def.Name] = h
	return h
}

// run makes the Call from decoded arguments (which it owns) and runs h on it. A call that
// does not validate is refused, and audited as refused when the tool changes things.
func (s *Server) run(ctx context.Context, t *Tool, h Handler, req *mcp.CallToolRequest, args map[string]any) (*mcp.CallToolResult, error) {
	c, e := s.newCall(t, req, args)
	if e != nil {
		return nil, s.refuse(ctx, t, e)
	}
	res, err := h(ctx, c)
	if e, ok := errors.AsType[*errcode.Error](err); ok && e.MayHaveBeenApplied && !t.Effect.Mutates() {
		cp := *e // a read that may have reached Komodo changed nothing
		cp.MayHaveBeenApplied = false
		err = &cp
	}
	return res, err
}

// newCall normalises args in place and validates them: the one place a call's arguments
// are shaped (see Call.Args for the steps).
func (s *Server) newCall(t *Tool, req *mcp.CallToolRequest, args map[string]any) (*Call, *errcode.Error) {
	if !t.Dispatches && !t.Effect.Known() { // fail closed: an unclassified tool does nothing
		return nil, &errcode.Error{Code: errcode.ServerError, Message: fmt.Sprintf("%s has no known effect (%q): refused", t.Def.Name, t.Effect)}
	}
	c := &Call{Tool: t, Request: req, Args: args}
	if v, present := args[ConfirmationArg]; present {
		tok, ok := v.(string)
		if !ok || tok == "" {
			return nil, invalid("`"+ConfirmationArg+"` must be the token of a preview: nothing was done", "call the tool without it to get a preview and a token")
		}
		c.Token = tok
		delete(args, ConfirmationArg)
	}
	schema := schemaJSON(t.Def.InputSchema)
	coerceJSONStrings(t.Def.Name, args, schema)
	ct := t.Catalog
	if ct != nil {
		if e := targetAlias(ct, args, schema); e != nil {
			return nil, e
		}
		fillDefaults(ct, args)
	}
	if err := s.sf().validators.validate(t.Def.Name, schema, args); err != nil {
		if ct != nil {
			if why := params.Refusal(ct, args); why != nil { // the reason, not "enum" or "unknown argument"
				return nil, why
			}
		}
		return nil, invalid(err.Error(), "check the tool's input schema")
	}
	return c, nil
}

// refuse audits a call refused before it became a Call - by its name, never its
// arguments - when the tool changes things, and returns e.
func (s *Server) refuse(ctx context.Context, t *Tool, e *errcode.Error) *errcode.Error {
	if t != nil && !t.Dispatches && t.Effect.Mutates() {
		s.audit(ctx, audit.Record{Caller: s.actor(ctx), Tool: t.Def.Name, Operation: t.Operation, Outcome: audit.OutcomeRefused, Error: string(e.Code)})
	}
	return e
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
	e.Reach = s.reach(e)
	return failure(e), nil
}

// permit is the one decision whether a tool may be called - directly, by name, or
// through komodo_call_tool: the tool exists, is not excluded (--exclude-tools), and on a
// read-only server changes nothing. It returns the tool, or a refusal.
func (s *Server) permit(name string) (*Tool, *errcode.Error) {
	t, ok := s.sf().tools[name]
	switch {
	case !ok:
		if msg := s.notInThisVersion(name); msg != "" {
			return nil, invalid(msg, "this Core cannot do it; komodo_read_KomodoChanges says what an upgrade brings")
		}
		return nil, &errcode.Error{Code: errcode.NotFound, Message: fmt.Sprintf("no tool named %q", name), Hint: s.closestTools(name)}
	case s.excluded[name]:
		return nil, invalid(fmt.Sprintf("%s is excluded on this server (KOMODO_EXCLUDE_TOOLS / --exclude-tools)", name), "the server's operator chose not to offer it")
	case s.readOnly && !t.readOnly():
		return nil, invalid(fmt.Sprintf("%s changes Komodo and this server is read-only (KOMODO_READ_ONLY / --read-only)", name), "only read tools can be called")
	}
	return t, nil
}

// CallTool calls a tool by name through the same path tools/call uses (the permit, the
// Call, the middleware, the edge), for callers outside a session (the CLI, tests).
func (s *Server) CallTool(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	t, e := s.permit(req.Params.Name)
	if e != nil {
		return s.render(ctx, nil, e)
	}
	return s.handler(t)(ctx, req)
}

// callThrough is komodo_call_tool's call of the tool named: the permit, then the Call made
// from the arguments the gateway already decoded, then the tool's composed handler. The
// result is rendered at the gateway's edge.
func (s *Server) callThrough(ctx context.Context, outer *Call, name string, args map[string]any) (*mcp.CallToolResult, error) {
	t, e := s.permit(name)
	switch {
	case e != nil:
	case t.Dispatches || name == searchToolName:
		e = invalid(fmt.Sprintf("%s cannot be called through %s", name, callToolName), "call it directly")
	case appOnly(t):
		e = invalid(fmt.Sprintf("%s is part of the fleet view and is called only by the view", name), "use "+fleetToolName+" to see the fleet")
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

// invalid is a VALIDATION_ERROR of our own.
func invalid(msg, hint string) *errcode.Error {
	return &errcode.Error{Code: errcode.ValidationError, Message: msg, Hint: hint}
}

// targetAlias accepts Komodo's own name for a tool's target field (deployment, stack...),
// or `name` when the tool takes no `name` of its own, in place of `id`, the one identifier
// the schema lists: an assistant that read Komodo's documentation is not refused for it,
// and the call is the same call whichever spelling it used (one confirmation, one audit
// target). Two spellings at once are ambiguous and refused.
func targetAlias(ct *catalog.Tool, args map[string]any, schema []byte) *errcode.Error {
	if ct.TargetField == "" {
		return nil
	}
	spellings := []string{ct.TargetField}
	if !hasProperty(ct.Name, schema, "name") {
		spellings = append(spellings, "name")
	}
	for _, alias := range spellings {
		v, present := args[alias]
		if !present {
			continue
		}
		if _, hasID := args["id"]; hasID {
			return invalid(fmt.Sprintf("give `id` or `%s`, not both", alias), "`id` takes the "+ct.TargetField+"'s name or id")
		}
		if _, ok := v.(string); !ok {
			return invalid(fmt.Sprintf("`%s` must be the %s's name or id, a string", alias, ct.TargetField), "pass it as `id`")
		}
		args["id"] = v
		delete(args, alias)
	}
	return nil
}
