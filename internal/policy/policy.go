// Package policy decides, once per call and from the tool's typed effect alone, what a
// call may do: whether the tool may be called at all on this server (read-only,
// --exclude-tools), whether the person is asked first (KOMODO_CONFIRM: an elicitation, or
// a preview with a confirmation token), and the audit line every call that changes
// something leaves, whatever its outcome.
package policy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/terminaltool"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// ConfirmationArg is the argument that carries a confirmation token back to a tool.
const ConfirmationArg = tool.ConfirmationArg

// Komodo is what the policy reads from Komodo and the request (internal/rpc's client):
// the server a resource runs on (for the question), the user of the server's own
// credentials (for the audit line), and the secrets an audit line must not show.
type Komodo interface {
	Call(ctx context.Context, method, path string, body []byte) ([]byte, error)
	User(ctx context.Context) ([]byte, error)
	SecretsFor(ctx context.Context) []string
}

// Policy is the policy of one server. Set its fields before the first call.
type Policy struct {
	// Confirm says which effects are asked about; Tokens issues and spends the
	// confirmation tokens.
	Confirm config.ConfirmPolicy
	Tokens  *confirm.Tokens
	// Audit receives one line for every call that changes something; nil: none.
	Audit  *audit.Log
	Komodo Komodo
	Logger *slog.Logger
	// ReadOnly lets only tools that change nothing be called; Excluded tools are not
	// callable at all.
	ReadOnly bool
	Excluded map[string]bool

	self selfUser // the Komodo user of the server's own credentials, for the audit log
}

// Allows is the policy's part of the permit: the tool is not excluded (--exclude-tools),
// and on a read-only server it changes nothing. nil when it may be called.
func (p *Policy) Allows(t *tool.Tool) *errcode.Error {
	name := t.Def.Name
	switch {
	case p.Excluded[name]:
		return tool.Invalid(fmt.Sprintf("%s is excluded on this server (KOMODO_EXCLUDE_TOOLS / --exclude-tools)", name), "the server's operator chose not to offer it")
	case p.ReadOnly && !t.ReadOnly():
		return tool.Invalid(fmt.Sprintf("%s changes Komodo and this server is read-only (KOMODO_READ_ONLY / --read-only)", name), "only tools that read can be called here; to change Komodo, use a server started without --read-only (KOMODO_READ_ONLY)")
	}
	return nil
}

// Refuse audits a call refused before it became a Call - by its name, never its
// arguments - when the tool changes things, and returns e.
func (p *Policy) Refuse(ctx context.Context, t *tool.Tool, e *errcode.Error) *errcode.Error {
	if t != nil && !t.Dispatches && t.Effect.Mutates() {
		p.audit(ctx, audit.Record{Caller: p.actor(ctx), Tool: t.Def.Name, Operation: t.Operation, Outcome: audit.OutcomeRefused, Error: string(e.Code)})
	}
	return e
}

// confirmInput is the id of the elicitation in a multi-round-trip answer.
const confirmInput = "confirm"

// Middleware is the one place where every tool call that changes something meets
// the confirmation policy and leaves an audit line, whichever way it arrived (tools/call
// on stdio or HTTP, the server's CallTool, or komodo_call_tool). The tool's typed effect alone
// decides: reads and session tools pass untouched, and so does the gateway, whose called
// tool passes here itself. It sees only validated calls (Call).
func (s *Policy) Middleware(t *tool.Tool, next tool.Handler) tool.Handler {
	if t.Dispatches || !t.Effect.Mutates() {
		return next
	}
	ask := confirm.Needed(s.Confirm, t.Effect)
	return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
		rec := audit.Record{Caller: s.actor(ctx), Tool: t.Def.Name, Operation: t.Operation, Target: c.Target()}
		if ask {
			res, outcome, err := s.confirmCall(ctx, c, rec.Caller)
			if res != nil || err != nil {
				if outcome != "" { // "" for a question the client will come back with an answer to
					rec.Outcome = outcome
					if err != nil {
						rec.Error = string(err.Code)
					}
					s.audit(ctx, rec)
				}
				if err != nil {
					return nil, err
				}
				return res, nil
			}
		}
		defer func() { // a fault of ours while running the call still leaves its line
			if p := recover(); p != nil {
				rec.Outcome, rec.Error, rec.MayHaveBeenApplied = audit.OutcomeError, string(errcode.ServerError), true
				s.audit(ctx, rec)
				panic(p)
			}
		}()
		res, err := next(ctx, c)
		rec.Outcome, rec.Error, rec.UpdateID, rec.MayHaveBeenApplied = audit.Outcome(res, err)
		if ctx.Err() != nil && rec.Outcome == audit.OutcomeError {
			rec.Outcome = audit.OutcomeCancelled
		}
		s.audit(ctx, rec)
		return res, err
	}
}

// confirmCall decides whether a call that needs confirmation may proceed: nil result and
// error to proceed; otherwise the answer (a preview, a question, a refusal) and the audit
// outcome ("" for none).
func (s *Policy) confirmCall(ctx context.Context, c *tool.Call, caller string) (res *mcp.CallToolResult, outcome string, refused *errcode.Error) {
	t, tokens := c.Tool, s.Tokens
	if c.Token != "" {
		if err := tokens.Use(c.Token, caller, t.Def.Name, c.Args); err != nil {
			hint := "call the tool again without " + ConfirmationArg + " to get a new preview and token, and ask the user again"
			if errors.Is(err, confirm.ErrMismatch) {
				hint = "a token confirms exactly one call: repeat the previewed call with the same arguments, or " + hint
			}
			return nil, audit.OutcomeError, tool.Invalid(err.Error()+": nothing was done", hint)
		}
		return nil, "", nil
	}
	action := s.describeCall(ctx, c)
	if req := c.Request; req != nil && req.Session != nil {
		if caps := req.ClientCapabilities(); caps != nil && caps.Elicitation != nil {
			if res, outcome, err, ok := s.elicit(ctx, c, caller, action); ok {
				return res, outcome, err
			}
		}
	}
	tok := tokens.Issue(caller, t.Def.Name, c.Args)
	preview := map[string]any{
		"status":             "confirmation_required",
		"done":               false,
		"action":             action,
		"confirmation_token": tok,
		"expires_in_seconds": int(tokens.TTL().Seconds()),
		"next": fmt.Sprintf("Nothing has been done yet. Show the user this action and ask. Only if they agree, call %s again the same way with exactly the same arguments plus %q: %q. The token confirms this one call only.",
			t.Def.Name, ConfirmationArg, tok),
	}
	return tool.NotDone(preview), audit.OutcomeConfirm, nil
}

// elicit asks the person through the client. ok is false when the client could not be
// asked (then the token preview is used instead).
func (s *Policy) elicit(ctx context.Context, c *tool.Call, caller, action string) (res *mcp.CallToolResult, outcome string, refused *errcode.Error, ok bool) {
	req, name := c.Request, c.Tool.Def.Name
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
		// (a token that binds the answer to this very call, spent with it).
		if r, ok := req.Params.InputResponses[confirmInput].(*mcp.ElicitResult); ok {
			if err := s.Tokens.Use(req.Params.RequestState, caller, name, c.Args); err != nil {
				return nil, audit.OutcomeError, tool.Invalid("the confirmation answer does not confirm this call ("+err.Error()+"): nothing was done", "call the tool again"), true
			}
			answer = r
		} else {
			return &mcp.CallToolResult{
				InputRequests: mcp.InputRequestMap{confirmInput: params},
				RequestState:  s.Tokens.Issue(caller, name, c.Args),
			}, "", nil, true
		}
	} else {
		var err error
		if answer, err = req.Session.Elicit(ctx, params); err != nil {
			s.Logger.Debug("elicitation failed; answering a preview with a confirmation token", "tool", name, "error", err)
			return nil, "", nil, false
		}
	}
	if answer.Action == "accept" && answer.Content["confirm"] == true {
		return nil, "", nil, true
	}
	outcome, said := audit.OutcomeDeclined, "declined"
	if answer.Action == "cancel" {
		outcome, said = audit.OutcomeCancelled, "dismissed the question"
	}
	return tool.NotDone(map[string]any{"status": outcome, "done": false, "action": action,
		"message": "The user " + said + ": nothing was done. Do not retry unless the user asks again."}), outcome, nil, true
}

// describeCall says in plain words what a call will do to which resource, and on which
// server when the resource lives on one.
func (s *Policy) describeCall(ctx context.Context, c *tool.Call) string {
	t := c.Tool
	what := t.Def.Title
	if what == "" {
		what = t.Operation
	}
	target := c.Target()
	var b strings.Builder
	b.WriteString(what)
	if target != "" {
		fmt.Fprintf(&b, ": %s", target)
	}
	if srv := s.serverOf(ctx, c); srv != "" && srv != target {
		fmt.Fprintf(&b, " on server %s", srv)
	}
	if cmd, _ := c.Args["command"].(string); cmd != "" && t.Effect == catalog.EffectRunCode {
		fmt.Fprintf(&b, ", running `%s`", cmd)
	}
	fmt.Fprintf(&b, " (%s, Komodo operation %s).", t.Def.Name, t.Operation)
	switch t.Effect {
	case catalog.EffectRunCode:
		b.WriteString(" This runs code or a command, with the rights of Komodo (or its agent on the host).")
	case catalog.EffectDestroy:
		b.WriteString(" This destroys, removes or takes down something and may not be undone.")
	case catalog.EffectPrivilege:
		b.WriteString(" This grants privileges or creates credentials.")
	}
	return b.String()
}

// serverOf finds, best effort, the server a deployment or stack runs on (one read each,
// with the caller's credentials); "" when unknown. The resource is named by its own
// argument, or by id on a tool whose operation is about deployments or stacks.
func (s *Policy) serverOf(ctx context.Context, c *tool.Call) string {
	args, operation := c.Args, c.Tool.Operation
	if v, _ := args["server"].(string); v != "" {
		return v
	}
	if c.Tool.Def.Name == terminaltool.Name { // {"type": server|container|deployment|stack, "id": ...}
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
			case kind == "stack" && strings.Contains(operation, "Stack"):
				name = id
			case kind == "deployment" && !strings.Contains(operation, "Stack") && strings.Contains(operation, "Deploy"):
				name = id
			}
		}
		if name == "" {
			continue
		}
		body, _ := json.Marshal(map[string]string{kind: name})
		data, err := s.Komodo.Call(ctx, "POST", "/read/Get"+strings.ToUpper(kind[:1])+kind[1:], body)
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
		if data, err = s.Komodo.Call(ctx, "POST", "/read/GetServer", body); err != nil {
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
func (s *Policy) actor(ctx context.Context) string {
	if a := audit.ActorFrom(ctx); a != "" {
		return a
	}
	s.self.mu.Lock()
	defer s.self.mu.Unlock()
	if s.self.name == "" {
		c, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if data, err := s.Komodo.User(c); err == nil {
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
func (s *Policy) audit(ctx context.Context, rec audit.Record) {
	if s.Audit == nil {
		return
	}
	var replace func(string) string
	if r := errcode.NewReplacer(s.Komodo.SecretsFor(ctx)...); r != nil {
		replace = r.Replace
	}
	s.Audit.Write(rec.Redacted(replace))
}
