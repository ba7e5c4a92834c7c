// Package server is the MCP server of komodo-mcp: it registers the selected tools of the
// generated catalog (and the hand-written ones), validates arguments against each tool's
// input schema, calls Komodo through internal/rpc, and shapes answers and errors into
// tool results.
package server

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/follow"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
	"github.com/komodo-mcp/komodo-mcp/internal/prompts"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// Version is reported to MCP clients; cmd sets it from build information.
var Version = "dev"

// instructions tell the assistant how the tools fit together.
const instructions = `Tools operate a Komodo build-and-deploy installation. Resources (servers, deployments, stacks, builds, repos, procedures, actions) are named by name or id in ` + "`id`" + `. Reads are safe and answer compact JSON: null, empty and false/0 defaults left out, times in ISO 8601 UTC, tags by name; ` + "`fields`" + ` keeps only the fields you name, ` + "`raw: true`" + ` returns Komodo's full answer. Lists answer {items, total, page, pageSize}. Execute tools start work and answer its Update (job_id, status); pass ` + "`wait: true`" + ` to get the outcome (success, failed_stage, stderr_tail) in the same call, or follow a job with komodo_read_WaitForUpdate. A failed execution is status "failed", not an error. Only part of the tools is listed: komodo_search_tools finds any of ~340 by plain words, komodo_call_tool calls it. Errors come as {"error", "code", "hint"} with codes AUTH_ERROR, NOT_FOUND, VALIDATION_ERROR, NETWORK_ERROR, SERVER_ERROR, TIMEOUT.`

// Options tune the server; the zero value means the defaults.
type Options struct {
	// WaitCap bounds how long an execute tool waits for its Update (default
	// config.DefaultWaitCap).
	WaitCap time.Duration
	// PollInterval is how often a wait polls Komodo when the update websocket is not
	// available (default 1s, as Komodo's own client).
	PollInterval time.Duration
	// Heartbeat is the longest time a wait stays silent: a progress notification is sent
	// at least this often (default 10s).
	Heartbeat time.Duration
	// Middleware wraps every tool's handler, Middleware[0] outermost; see Middleware.
	Middleware []Middleware
	// Audit receives one line for every call that changes something in Komodo; nil: none.
	Audit *audit.Log
	// Confirm is the confirmation policy. The zero value asks nothing; the command passes
	// KOMODO_CONFIRM, whose default is destructive.
	Confirm config.ConfirmPolicy
	// ConfirmKey signs confirmation tokens; empty (what the command uses) means a random
	// key, so that a token is good only on the process that issued it - the one that
	// remembers whether it was spent.
	ConfirmKey []byte
	// ConfirmTokens, when set, issues and spends the tokens instead (ConfirmKey is then
	// unused): the CLI's `call` shares them across its processes (confirm.NewJournalTokens).
	ConfirmTokens *confirm.Tokens
}

// Server is an MCP server bound to one Komodo.
type Server struct {
	opts     Options
	mcp      *mcp.Server
	rpc      *rpc.Client
	logger   *slog.Logger
	redact   redactor
	names    *names.Sessions // id -> name caches of compact results, one per session
	sel      Selection
	readOnly bool            // only read-only tools may be called
	excluded map[string]bool // --exclude-tools: not callable, not even through the gateway

	// surface is what depends on the Komodo version served; UseKomodo replaces it whole.
	surface atomic.Pointer[surface]

	mu sync.Mutex // guards the handlers of the surface and UseKomodo

	confirmTokens *confirm.Tokens
	started       startedUpdates // updates started by the fleet view's action tools (fleet.go)
	self          selfUser       // the Komodo user of the server's own credentials, for the audit log
}

// New builds the server exposing the tools that sel selects. It logs on logger (nil:
// nowhere).
func New(client *rpc.Client, sel Selection, logger *slog.Logger, opts ...Options) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.WaitCap <= 0 {
		o.WaitCap = config.DefaultWaitCap
	}
	if o.PollInterval <= 0 {
		o.PollInterval = follow.DefaultPollInterval
	}
	if o.Confirm == "" {
		o.Confirm = config.ConfirmNone
	}
	sf, err := newSurface(sel)
	if err != nil {
		return nil, err
	}
	chosen := sf.exposed
	s := &Server{
		opts:     o,
		rpc:      client,
		logger:   logger,
		redact:   newRedactor(client.Secrets()),
		names:    names.NewSessions(client, names.Options{}, 0),
		sel:      sel,
		readOnly: sel.ReadOnly,
		excluded: map[string]bool{},

		confirmTokens: o.ConfirmTokens,
	}
	if s.confirmTokens == nil {
		s.confirmTokens = confirm.NewTokens(o.ConfirmKey, 0)
	}
	s.surface.Store(sf)
	s.opts.Middleware = append([]Middleware{s.policyMiddleware}, o.Middleware...)
	for _, n := range sel.Exclude {
		s.excluded[n] = true
	}
	sdkOpts := &mcp.ServerOptions{Instructions: instructions}
	if s.fleetSelected() {
		// The SDK's default capabilities ({"logging":{}}) plus the MCP Apps extension.
		// Logging is deprecated from protocol 2026-07-28 but still what clients of earlier versions use.
		sdkOpts.Capabilities = &mcp.ServerCapabilities{Logging: &mcp.LoggingCapabilities{}} //nolint:staticcheck // SA1019: see above

		sdkOpts.Capabilities.AddExtension(fleetview.Extension, map[string]any{"mimeTypes": []string{fleetview.MIMEType}})
	}
	if logger.Enabled(context.Background(), slog.LevelDebug) {
		sdkOpts.Logger = logger // the SDK logs every session at info: only worth it when debugging
	}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "komodo-mcp", Title: "Komodo", Version: Version}, sdkOpts)
	s.mcp.AddReceivingMiddleware(recoverPanics(logger, client.Secrets), checkLogLevel, s.unlisted(), s.uiToolList())
	for _, t := range chosen {
		s.mcp.AddTool(t.Def, s.handler(t))
	}
	if s.fleetSelected() {
		s.mcp.AddResource(fleetview.Resource(), fleetview.ReadResource)
	}
	prompts.Add(s.mcp, func(name string) bool {
		return slices.ContainsFunc(s.sf().exposed, func(t *Tool) bool { return t.Def.Name == name })
	})
	return s, nil
}

// MCP is the underlying go-sdk server, to run on a transport.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// RPC is the Komodo client the server calls through.
func (s *Server) RPC() *rpc.Client { return s.rpc }

// generatedHandler calls the Komodo operation of a catalog tool. internal/params plans the
// call from the Call's arguments (the id, page, filters, options and wait parameters);
// Komodo gets the plan's arguments.
func (s *Server) generatedHandler(t *catalog.Tool) Handler {
	return func(ctx context.Context, c *Call) (*mcp.CallToolResult, error) {
		session := sessionKey(c.Request)
		plan, err := params.Translate(ctx, s.komodoFor(session), t, c.Args)
		if err != nil {
			return nil, s.hideArgs(t, c, s.didYouMean(ctx, session, rpc.AsError(err)))
		}
		sh, refused := s.shapeOf(t, c.Args, session)
		if refused != nil {
			return nil, refused
		}
		if t.ResultWrap == "envelope" {
			env, err := params.List(ctx, s.rpc, t, plan, decodeJSON)
			if err != nil {
				return nil, s.hideArgs(t, c, s.didYouMean(ctx, session, rpc.AsError(err)))
			}
			s.learn(session, t, plan, env)
			items, _ := env["items"].([]any)
			items = s.redact.items(t.Operation, t.ListKey, items)
			if t.Operation == "ListUpdates" {
				s.failedStages(ctx, items)
			}
			var note string
			env["items"], note = sh.items(ctx, items)
			if note != "" {
				env["missing_fields"] = note
			}
			return success(env), nil
		}
		var body []byte
		if t.Method != "GET" {
			if body, err = plan.Body(); err != nil {
				return nil, err
			}
		}
		data, err := s.rpc.Call(ctx, t.Method, t.Path, body)
		if err != nil {
			return nil, s.hideArgs(t, c, s.didYouMean(ctx, session, maybeApplied(t, rpc.AsError(err))))
		}
		v, err := decodeJSON(data)
		if err != nil {
			return nil, rpc.AsError(err)
		}
		v, found := s.redact.result(t.Operation, v)
		if t.Module == "execute" {
			s.noteStarted(c.Request, t.Name, c.Args, v)
			return s.afterExecute(ctx, c.Request, plan, v)
		}
		out := shownOnce(wrap(t.ResultWrap, v), found)
		if !sh.raw {
			out = s.withState(ctx, t, out)
		}
		return success(sh.wrapped(ctx, t.ResultWrap, out)), nil
	}
}

// hideArgs is e without the credentials the call's arguments carry by type
// (api/secrets.yaml: a token given to CreateGitProviderAccount, a webhook URL given to
// UpdateAlerter), which Komodo may echo in its error.
func (s *Server) hideArgs(t *catalog.Tool, c *Call, e *errcode.Error) *errcode.Error {
	if values := s.redact.record.RequestValues(t.Operation, c.Args); len(values) > 0 {
		return e.Redacted(values...)
	}
	return e
}

// maybeApplied warns, for a write or execute that may have reached Komodo before it failed
// (the typed flag errcode.Error.MayHaveBeenApplied), that repeating it blindly could
// deploy twice: it is not retried.
func maybeApplied(t *catalog.Tool, e *errcode.Error) *errcode.Error {
	if !t.Effect.Mutates() || !e.MayHaveBeenApplied {
		return e
	}
	c := *e
	c.Hint = strings.TrimSpace("It may have reached Komodo before the failure: check komodo_read_ListUpdates before repeating it. " + e.Hint)
	return &c
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
