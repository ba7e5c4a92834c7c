package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// ConfirmationArg is the argument that carries a confirmation token back to a tool. It is
// taken out of the arguments before they are validated or sent to Komodo.
const ConfirmationArg = "confirmation_token"

// confirmInput is the id of the elicitation in a multi-round-trip answer.
const confirmInput = "confirm"

// mutatingModules are the modules whose tools change something in Komodo.
var mutatingModules = map[string]bool{"write": true, "execute": true, "user": true, "terminal": true}

// opOf describes a tool for the confirmation policy and the audit log.
func opOf(t *Tool) confirm.Op {
	name := t.Def.Name
	op := confirm.Op{Tool: name, Mutates: mutatingModules[t.Module] && !t.readOnly(), Terminal: t.Module == "terminal"}
	if ct, ok := catalog.ByName(name); ok {
		op.Operation = ct.Operation
	} else if i := strings.LastIndexByte(name, '_'); i >= 0 {
		op.Operation = name[i+1:]
	}
	if op.Terminal {
		op.Operation = "ExecuteTerminal"
	}
	return op
}

// policyMiddleware is the one place where every tool call that changes something meets
// the confirmation policy and leaves an audit line, whichever way it arrived (tools/call
// on stdio or HTTP, or a tool calling another through Server.CallTool). Reads pass
// untouched.
func (s *Server) policyMiddleware(t *Tool, next mcp.ToolHandler) mcp.ToolHandler {
	op := opOf(t)
	if !op.Mutates {
		return next
	}
	ask := confirm.Needed(s.opts.Confirm, op)
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := decodeArgs(req.Params.Arguments)
		if err != nil { // the validation layer answers it
			return next(ctx, req)
		}
		token, hasToken := args[ConfirmationArg].(string)
		if _, present := args[ConfirmationArg]; present {
			delete(args, ConfirmationArg)
			req = withArguments(req, args)
		}
		rec := audit.Record{Caller: s.actor(ctx), Tool: op.Tool, Operation: op.Operation, Target: audit.TargetOf(args)}
		if ask && s.valid(t, req) { // invalid arguments: no question, the validation error comes from next
			if res, done := s.confirmCall(ctx, req, t, op, args, rec.Caller, token, hasToken); res != nil {
				if done != "" { // "" for a question the client will come back with an answer to
					rec.Outcome = done
					if done == audit.OutcomeError {
						_, rec.Error, _ = audit.Outcome(res, nil)
					}
					s.audit(ctx, rec)
				}
				return res, nil
			}
		}
		res, err := next(ctx, req)
		rec.Outcome, rec.Error, rec.UpdateID = audit.Outcome(res, err)
		if ctx.Err() != nil && rec.Outcome == audit.OutcomeError {
			rec.Outcome = audit.OutcomeCancelled
		}
		s.audit(ctx, rec)
		return res, err
	}
}

// valid reports whether req's arguments pass the tool's input schema, as the validation
// layer inside next will check them, so that nobody is asked to confirm a call that
// cannot run.
func (s *Server) valid(t *Tool, req *mcp.CallToolRequest) bool {
	args, err := decodeArgs(req.Params.Arguments)
	if err != nil {
		return false
	}
	schema := schemaJSON(t.Def.InputSchema)
	coerceJSONStrings(t.Def.Name, args, schema)
	return s.validators.validate(t.Def.Name, schema, args) == nil
}

// withArguments is a copy of req with other arguments.
func withArguments(req *mcp.CallToolRequest, args map[string]any) *mcp.CallToolRequest {
	raw, _ := json.Marshal(args)
	params := *req.Params
	params.Arguments = raw
	cp := *req
	cp.Params = &params
	return &cp
}

// confirmCall decides whether a call that needs confirmation may proceed. It returns a nil
// result to proceed; otherwise the result to answer and the audit outcome ("" for none).
func (s *Server) confirmCall(ctx context.Context, req *mcp.CallToolRequest, t *Tool, op confirm.Op, args map[string]any, caller, token string, hasToken bool) (res *mcp.CallToolResult, done string) {
	tokens := s.confirmTokens
	if hasToken {
		if err := tokens.Use(token, caller, op.Tool, args); err != nil {
			hint := "call the tool again without " + ConfirmationArg + " to get a new preview and token, and ask the user again"
			if errors.Is(err, confirm.ErrMismatch) {
				hint = "a token confirms exactly one call: repeat the previewed call with the same arguments, or " + hint
			}
			return failure(&errcode.Error{Code: errcode.ValidationError, Message: err.Error() + ": nothing was done", Hint: hint}, nil), audit.OutcomeError
		}
		return nil, ""
	}
	action := s.describeCall(ctx, t, op, args)
	if caps := req.ClientCapabilities(); caps != nil && caps.Elicitation != nil && req.Session != nil {
		if res, done, ok := s.elicit(ctx, req, op, args, caller, action); ok {
			return res, done
		}
	}
	tok := tokens.Issue(caller, op.Tool, args)
	preview := map[string]any{
		"status":             "confirmation_required",
		"done":               false,
		"action":             action,
		"confirmation_token": tok,
		"expires_in_seconds": int(tokens.TTL().Seconds()),
		"next": fmt.Sprintf("Nothing has been done yet. Show the user this action and ask. Only if they agree, call %s again the same way with exactly the same arguments plus %q: %q.",
			op.Tool, ConfirmationArg, tok),
	}
	return notDone(preview), audit.OutcomeConfirm
}

// notDone answers a call that was not carried out (a preview, a refusal by the person) as
// JSON text marked isError: the tool's output schema describes what it returns when it
// acts, and clients that check structuredContent against it (the TypeScript SDK) would
// reject this answer as structured content.
func notDone(m map[string]any) *mcp.CallToolResult {
	text, err := marshalCompact(m)
	if err != nil {
		text = []byte(`{"status":"not_done"}`)
	}
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: string(text)}}}
}

// elicit asks the person through the client. ok is false when the client could not be
// asked (then the token preview is used instead).
func (s *Server) elicit(ctx context.Context, req *mcp.CallToolRequest, op confirm.Op, args map[string]any, caller, action string) (res *mcp.CallToolResult, done string, ok bool) {
	params := &mcp.ElicitParams{
		Message: action + "\n\nProceed?",
		RequestedSchema: map[string]any{
			"type":     "object",
			"required": []string{"confirm"},
			"properties": map[string]any{
				"confirm": map[string]any{"type": "boolean", "title": "Yes, do it", "description": action},
			},
		},
	}
	var answer *mcp.ElicitResult
	ip := req.Session.InitializeParams()
	if ip == nil || ip.ProtocolVersion >= "2026-07-28" {
		// Protocol 2026-07-28 forbids a request to the client while serving one: the call
		// answers an input request, and the client calls again with the answer and the state
		// (a token that binds the answer to this very call).
		if r, ok := req.Params.InputResponses[confirmInput].(*mcp.ElicitResult); ok {
			if s.confirmTokens.Use(req.Params.RequestState, caller, op.Tool, args) != nil {
				return failure(&errcode.Error{Code: errcode.ValidationError, Message: "the confirmation answer belongs to another call: nothing was done", Hint: "call the tool again"}, nil), audit.OutcomeError, true
			}
			answer = r
		} else {
			return &mcp.CallToolResult{
				InputRequests: mcp.InputRequestMap{confirmInput: params},
				RequestState:  s.confirmTokens.Issue(caller, op.Tool, args),
			}, "", true
		}
	} else {
		var err error
		if answer, err = req.Session.Elicit(ctx, params); err != nil {
			s.logger.Debug("elicitation failed; answering a preview with a confirmation token", "tool", op.Tool, "error", err)
			return nil, "", false
		}
	}
	if answer.Action == "accept" && answer.Content["confirm"] == true {
		return nil, "", true
	}
	outcome, said := audit.OutcomeDeclined, "declined"
	if answer.Action == "cancel" {
		outcome, said = audit.OutcomeCancelled, "dismissed the question"
	}
	return notDone(map[string]any{"status": outcome, "done": false, "action": action,
		"message": "The user " + said + ": nothing was done. Do not retry unless the user asks again."}), outcome, true
}

// describeCall says in plain words what a call will do to which resource, and on which
// server when the resource lives on one.
func (s *Server) describeCall(ctx context.Context, t *Tool, op confirm.Op, args map[string]any) string {
	what := t.Def.Title
	if what == "" {
		what = op.Operation
	}
	target := audit.TargetOf(args)
	var b strings.Builder
	b.WriteString(what)
	if target != "" {
		fmt.Fprintf(&b, ": %s", target)
	}
	if srv := s.serverOf(ctx, op, args); srv != "" && srv != target {
		fmt.Fprintf(&b, " on server %s", srv)
	}
	if op.Terminal {
		if cmd, _ := args["command"].(string); cmd != "" {
			fmt.Fprintf(&b, ", running `%s`", cmd)
		}
	}
	fmt.Fprintf(&b, " (%s, Komodo operation %s).", op.Tool, op.Operation)
	switch {
	case op.Terminal:
		b.WriteString(" The command runs on the host with the rights of Komodo's agent there.")
	case confirm.Destructive(op):
		b.WriteString(" This destroys or removes something and may not be undone.")
	}
	return b.String()
}

// serverOf finds, best effort, the server a deployment or stack runs on (one read each,
// with the caller's credentials); "" when unknown. The resource is named by its own
// argument, or by id on a tool whose operation is about deployments or stacks.
func (s *Server) serverOf(ctx context.Context, op confirm.Op, args map[string]any) string {
	if v, _ := args["server"].(string); v != "" {
		return v
	}
	if op.Terminal { // {"type": server|container|deployment|stack, "id": ...}
		typ, _ := args["type"].(string)
		id, _ := args["id"].(string)
		switch typ {
		case "server", "container":
			return id
		case "deployment", "stack":
			args = map[string]any{typ: id}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for _, kind := range []string{"deployment", "stack"} {
		name, _ := args[kind].(string)
		if id, _ := args["id"].(string); name == "" && id != "" {
			switch {
			case kind == "stack" && strings.Contains(op.Operation, "Stack"):
				name = id
			case kind == "deployment" && !strings.Contains(op.Operation, "Stack") && strings.Contains(op.Operation, "Deploy"):
				name = id
			}
		}
		if name == "" {
			continue
		}
		body, _ := json.Marshal(map[string]string{kind: name})
		data, err := s.rpc.Call(ctx, "POST", "/read/Get"+strings.ToUpper(kind[:1])+kind[1:], body)
		if err != nil {
			return ""
		}
		var r struct {
			Config struct {
				ServerID string `json:"server_id"`
			} `json:"config"`
		}
		if json.Unmarshal(data, &r) != nil || r.Config.ServerID == "" {
			return ""
		}
		body, _ = json.Marshal(map[string]string{"server": r.Config.ServerID})
		if data, err = s.rpc.Call(ctx, "POST", "/read/GetServer", body); err != nil {
			return r.Config.ServerID
		}
		var srv struct{ Name string }
		if json.Unmarshal(data, &srv) == nil && srv.Name != "" {
			return srv.Name
		}
		return r.Config.ServerID
	}
	return ""
}

// actor names the caller for the audit log and for binding confirmation tokens: the HTTP
// caller (token name or Komodo username), or else the Komodo user of the server's own
// credentials (asked once, GET /user).
func (s *Server) actor(ctx context.Context) string {
	if a := audit.ActorFrom(ctx); a != "" {
		return a
	}
	s.self.mu.Lock()
	defer s.self.mu.Unlock()
	if s.self.name == "" {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if data, err := s.rpc.Call(c, "GET", "/user", nil); err == nil {
			var u struct{ Username string }
			if json.Unmarshal(data, &u) == nil {
				s.self.name = u.Username
			}
		}
	}
	if s.self.name == "" {
		return "unknown"
	}
	return s.self.name
}

// selfUser caches the username behind the server's own credentials.
type selfUser struct {
	mu   sync.Mutex
	name string
}

// audit writes rec with the secrets a result would hide redacted: the configured
// credentials and those of the request's caller (pass-through).
func (s *Server) audit(ctx context.Context, rec audit.Record) {
	if s.opts.Audit == nil {
		return
	}
	var replace func(string) string
	if r := errcode.NewReplacer(s.rpc.SecretsFor(ctx)...); r != nil {
		replace = r.Replace
	}
	s.opts.Audit.Write(rec.Redacted(replace))
}
