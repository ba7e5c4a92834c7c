// Package server assembles komodo-mcp's MCP server on the go-sdk: it builds the selected
// tools of every tool package for the Komodo version served, makes each call's one
// validated value, puts the policy around every handler, renders errors at the edge, and
// gives each handler the narrow set of dependencies its package asks for.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/enrich"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/execwait"
	"github.com/komodo-mcp/komodo-mcp/internal/fleettools"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/follow"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/policy"
	"github.com/komodo-mcp/komodo-mcp/internal/prompts"
	"github.com/komodo-mcp/komodo-mcp/internal/protocol"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Version is reported to MCP clients; cmd sets it from build information.
var Version = "dev"

// instructions tell the assistant how the tools fit together.
const instructions = `Tools operate a Komodo build-and-deploy installation. Resources (servers, deployments, stacks, builds, repos, procedures, actions) are named by name or id in ` + "`id`" + `. Reads are safe and answer compact JSON: null, empty and false/0 defaults left out, so is configuration still at Komodo's defaults, times in ISO 8601 UTC, tags by name; ` + "`fields`" + ` keeps only the fields you name, ` + "`raw: true`" + ` returns Komodo's full answer. Lists answer {items, total, page, pageSize}. Execute tools start work and answer its Update (job_id, status); pass ` + "`wait: true`" + ` to get the outcome (success, failed_stage, stderr_tail) in the same call, or follow a job with komodo_read_WaitForUpdate. A failed execution is status "failed", not an error. Only part of the tools is listed: komodo_search_tools finds any of ~340 by plain words, komodo_call_tool calls it. Errors come as {"error", "code", "hint"} with codes AUTH_ERROR, NOT_FOUND, VALIDATION_ERROR, NETWORK_ERROR, SERVER_ERROR, TIMEOUT.`

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
	// WebsocketClient makes the handshake of Komodo's update websocket; nil: a client that
	// follows no redirect (the login message carries the credentials). Tests on an
	// in-memory network (internal/memnet) set it, with rpc.NewWithTransport.
	WebsocketClient *http.Client
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
	opts   Options
	mcp    *mcp.Server
	rpc    *rpc.Client
	logger *slog.Logger
	sel    Selection
	policy *policy.Policy
	env    *env // what handlers are given

	// surface is what depends on the Komodo version served; UseKomodo replaces it whole.
	surface atomic.Pointer[surface]

	mu sync.Mutex // guards the handlers of the surface and UseKomodo
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
	pol := &policy.Policy{
		Confirm:  o.Confirm,
		Tokens:   o.ConfirmTokens,
		Audit:    o.Audit,
		Komodo:   client,
		Logger:   logger,
		ReadOnly: sel.ReadOnly,
		Excluded: map[string]bool{},
	}
	if pol.Tokens == nil {
		pol.Tokens = confirm.NewTokens(o.ConfirmKey, 0)
	}
	for _, n := range sel.Exclude {
		pol.Excluded[n] = true
	}
	sf, err := newSurface(sel, pol)
	if err != nil {
		return nil, err
	}
	s := &Server{
		opts:   o,
		rpc:    client,
		logger: logger,
		sel:    sel,
		policy: pol,
	}
	redact := shape.NewRedactor(client.Secrets())
	s.env = &env{
		s:      s,
		names:  names.NewSessions(client, names.Options{}, 0),
		redact: redact,
		enrich: &enrich.Enricher{Komodo: client, Redact: redact},
		waiter: &execwait.Waiter{RPC: client, Redact: redact, WaitCap: o.WaitCap, PollInterval: o.PollInterval, Heartbeat: o.Heartbeat, WebsocketClient: o.WebsocketClient, Logger: logger},
	}
	if err := s.env.provides(sf.all); err != nil {
		return nil, err
	}
	s.surface.Store(sf)
	s.opts.Middleware = append([]Middleware{pol.Middleware}, o.Middleware...)
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
	render := func(ctx context.Context, e *errcode.Error) (*mcp.CallToolResult, error) { return s.render(ctx, nil, e) }
	s.mcp.AddReceivingMiddleware(protocol.RecoverPanics(logger, client.Secrets), protocol.CheckLogLevel,
		gateway.Unlisted(func() tool.Surface { return s.sf() }, render), fleettools.ToolList(s.fleetSelected))
	for _, t := range sf.exposed {
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

// fleetSelected reports whether the fleet view is on this server.
func (s *Server) fleetSelected() bool { return s.sf().Listed(fleettools.Name) }
