// Package server is the MCP server of komodo-mcp: it registers the selected tools of the
// generated catalog (and the hand-written ones), validates arguments against each tool's
// input schema, calls Komodo through internal/rpc, and shapes answers and errors into
// tool results.
package server

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// Version is reported to MCP clients; cmd sets it from build information.
var Version = "dev"

// instructions tell the assistant how the tools fit together.
const instructions = `Tools operate a Komodo build-and-deploy installation. Resources (servers, deployments, stacks, builds, repos, procedures, actions) are named by id or by name. Read tools are safe. Execute tools start work in Komodo and answer an Update: follow it with komodo_read_GetUpdate until status is Complete, and check success - a failed execution still answers HTTP 200. Errors come as {"error", "code"} with codes AUTH_ERROR, NOT_FOUND, VALIDATION_ERROR, NETWORK_ERROR, SERVER_ERROR, TIMEOUT.`

// Options tune the server; the zero value means the defaults.
type Options struct {
	// WaitCap bounds how long an execute tool waits for its Update (default 50s: below
	// the ~60s after which MCP clients give up on a call).
	WaitCap time.Duration
	// PollInterval is how often a wait polls Komodo when the update websocket is not
	// available (default 1s, as Komodo's own client).
	PollInterval time.Duration
	// Heartbeat is the longest time a wait stays silent: a progress notification is sent
	// at least this often (default 10s).
	Heartbeat time.Duration
}

// Server is an MCP server bound to one Komodo.
type Server struct {
	opts       Options
	mcp        *mcp.Server
	rpc        *rpc.Client
	logger     *slog.Logger
	validators validators
	redact     redactor
	exposed    []entry
}

// extraTool is a hand-written tool (seed aliases, auth, terminal, waiting).
type extraTool struct {
	def       *mcp.Tool
	module    string
	toolset   string
	isDefault bool
	// handler is built once the server exists, so that it can use it.
	handler func(s *Server) mcp.ToolHandler
}

// New builds the server exposing the tools that sel selects.
func New(client *rpc.Client, sel Selection, logger *slog.Logger, opts ...Options) (*Server, error) {
	if logger == nil {
		logger = slog.Default()
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.WaitCap <= 0 {
		o.WaitCap = 50 * time.Second
	}
	if o.PollInterval <= 0 {
		o.PollInterval = time.Second
	}
	extras := extraTools()
	chosen, err := selectEntries(entries(extras), defaultNames(extras), sel)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:    o,
		rpc:     client,
		logger:  logger,
		redact:  newRedactor(client.Secrets()),
		exposed: chosen,
	}
	sdkOpts := &mcp.ServerOptions{Instructions: instructions}
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		sdkOpts.Logger = logger // the SDK logs every session at info: only worth it when debugging
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "komodo-mcp", Title: "Komodo", Version: Version}, sdkOpts)
	s.mcp.AddReceivingMiddleware(recoverPanics(logger, client.Secrets))
	for _, e := range chosen {
		if e.tool != nil {
			s.mcp.AddTool(toolDef(e.tool), s.generatedHandler(e.tool))
		} else {
			s.mcp.AddTool(e.extra.def, s.validated(e.extra.def, e.extra.handler(s)))
		}
	}
	s.addPrompts()
	return s, nil
}

// MCP is the underlying go-sdk server, to run on a transport.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// toolDef is the MCP definition of a catalog tool; schemas are used as precomputed.
func toolDef(t *catalog.Tool) *mcp.Tool {
	openWorld := true
	destructive := t.Destructive
	def := &mcp.Tool{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		InputSchema: json.RawMessage(t.InputSchema),
		Annotations: &mcp.ToolAnnotations{
			Title:           t.Title,
			ReadOnlyHint:    t.ReadOnly,
			DestructiveHint: &destructive,
			IdempotentHint:  t.Idempotent,
			OpenWorldHint:   &openWorld,
		},
	}
	if t.OutputSchema != nil {
		def.OutputSchema = json.RawMessage(t.OutputSchema)
	}
	return def
}

// generatedHandler calls the Komodo operation of a catalog tool with the validated
// arguments: byte for byte as the client sent them, unless one of our own parameters
// (the usage guide's id, page, filters, options, wait) had to be translated.
func (s *Server) generatedHandler(t *catalog.Tool) mcp.ToolHandler {
	translate := seedParams[t.Name].translate
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := decodeArgs(req.Params.Arguments)
		if err != nil {
			return validationFailure(err.Error(), "pass the arguments as a JSON object"), nil
		}
		coerced := coerceJSONStrings(t.Name, args, t.InputSchema)
		if err := s.validators.validate(t.Name, t.InputSchema, args); err != nil {
			return validationFailure(err.Error(), "check the tool's input schema"), nil
		}
		r, refused := newRequest(t, args)
		if refused != nil {
			return refused, nil
		}
		r.rewritten = r.rewritten || coerced
		if v, _ := r.params["wait"].(bool); v {
			r.wait.enabled = true
		}
		if translate != nil {
			if refused := translate(ctx, s, r); refused != nil {
				return refused, nil
			}
		}
		if t.ResultWrap == "envelope" {
			return s.callList(ctx, r, req.Params.Arguments), nil
		}
		body, err := r.body(req.Params.Arguments)
		if err != nil {
			return nil, err
		}
		if t.Method == "GET" {
			body = nil
		}
		data, err := s.rpc.Call(ctx, t.Method, t.Path, body)
		if err != nil {
			return failure(maybeApplied(t, rpc.AsError(err)), s.rpc.Secrets()), nil
		}
		v, err := decodeJSON(data)
		if err != nil {
			return failure(rpc.AsError(err), nil), nil
		}
		v = s.redact.value(v)
		if t.Module == "execute" {
			return s.afterExecute(ctx, req, r, v), nil
		}
		return success(wrap(t.ResultWrap, v)), nil
	}
}

// maybeApplied warns, for a write or execute that a proxy failed or that timed out, that
// Komodo may have received it: it is not retried, and repeating it blindly could deploy twice.
func maybeApplied(t *catalog.Tool, e *errcode.Error) *errcode.Error {
	proxyOrTimeout := (e.Code == errcode.NetworkError && e.Status >= 500) || e.Code == errcode.Timeout
	if t.ReadOnly || !proxyOrTimeout || strings.Contains(e.Hint, "may still have been applied") {
		return e
	}
	c := *e
	c.Hint = strings.TrimSpace("It may have reached Komodo before the failure: check komodo_read_ListUpdates before repeating it. " + e.Hint)
	return &c
}

// validated checks a hand-written tool's arguments against its input schema first.
func (s *Server) validated(def *mcp.Tool, h mcp.ToolHandler) mcp.ToolHandler {
	schema, err := json.Marshal(def.InputSchema)
	if err != nil {
		panic(fmt.Sprintf("tool %s: input schema: %v", def.Name, err))
	}
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		args, err := decodeArgs(req.Params.Arguments)
		if err != nil {
			return validationFailure(err.Error(), "pass the arguments as a JSON object"), nil
		}
		if err := s.validators.validate(def.Name, schema, args); err != nil {
			return validationFailure(err.Error(), "check the tool's input schema"), nil
		}
		return h(ctx, req)
	}
}

// wrap makes Komodo's answer an object, as structuredContent must be.
func wrap(how string, v any) map[string]any {
	switch how {
	case "items":
		if v == nil {
			v = []any{}
		}
		return map[string]any{"items": v}
	case "value":
		return map[string]any{"value": v}
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"value": v}
}
