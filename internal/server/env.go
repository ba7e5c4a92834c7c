package server

import (
	"context"
	"errors"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/authtools"
	"github.com/komodo-mcp/komodo-mcp/internal/catalogtools"
	"github.com/komodo-mcp/komodo-mcp/internal/changestool"
	"github.com/komodo-mcp/komodo-mcp/internal/enrich"
	"github.com/komodo-mcp/komodo-mcp/internal/execwait"
	"github.com/komodo-mcp/komodo-mcp/internal/findtool"
	"github.com/komodo-mcp/komodo-mcp/internal/fleettools"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/terminaltool"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
	"github.com/komodo-mcp/komodo-mcp/internal/toolsearch"
)

// env is what the server gives the handlers it builds. Each tool package names the part it
// uses as its own Deps interface and sees only that part (tool.Bind); env provides all of
// them, as the assertions below check when the server is compiled.
type env struct {
	s       *Server
	names   *names.Sessions // id -> name caches of compact results, one per session
	redact  shape.Redactor
	enrich  *enrich.Enricher
	waiter  *execwait.Waiter
	started fleettools.Started // updates started by the fleet view's action tools
}

var (
	_ catalogtools.Deps = (*env)(nil)
	_ execwait.Deps     = (*env)(nil)
	_ authtools.Deps    = (*env)(nil)
	_ terminaltool.Deps = (*env)(nil)
	_ findtool.Deps     = (*env)(nil)
	_ changestool.Deps  = (*env)(nil)
	_ gateway.Deps      = (*env)(nil)
	_ fleettools.Deps   = (*env)(nil)
)

// provides checks that every tool's handler can be built from env: a tool whose package
// asks for something the server does not give is never served.
func (e *env) provides(tools map[string]*Tool) error {
	var errs []error
	for name, t := range tools {
		if t.Handler == nil {
			errs = append(errs, fmt.Errorf("tool %s has no handler", name))
			continue
		}
		if _, err := t.Handler(e); err != nil {
			errs = append(errs, fmt.Errorf("tool %s: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// Komodo is the Komodo client every call goes through.
func (e *env) Komodo() tool.Komodo { return e.s.rpc }

// Names is the id -> name cache of a session (one shared cache for calls without one).
func (e *env) Names(session any) *names.Cache {
	if session == nil {
		session = e
	}
	return e.names.For(session)
}

// Redactor hides credentials in answers.
func (e *env) Redactor() shape.Redactor { return e.redact }

// Enricher completes answers from other reads.
func (e *env) Enricher() *enrich.Enricher { return e.enrich }

// Waiter follows the work executions start.
func (e *env) Waiter() *execwait.Waiter { return e.waiter }

// NoteStarted tells the fleet view which update an execution started.
func (e *env) NoteStarted(req *mcp.CallToolRequest, tool string, args map[string]any, update any) {
	e.started.Note(req, tool, args, update)
}

// Started is the updates the fleet view's buttons started.
func (e *env) Started() *fleettools.Started { return &e.started }

// Surface is the tools of the Komodo version served.
func (e *env) Surface() tool.Surface { return e.s.sf() }

// SearchIndex is komodo_search_tools' index of the surface served.
func (e *env) SearchIndex() *toolsearch.Index { return e.s.sf().searchIndex() }

// CallThrough is komodo_call_tool's call (Server.callThrough).
func (e *env) CallThrough(ctx context.Context, outer *tool.Call, name string, args map[string]any) (*mcp.CallToolResult, error) {
	return e.s.callThrough(ctx, outer, name, args)
}

// Catalog is the catalog of the Komodo version served.
func (e *env) Catalog() *catalog.Catalog { return e.s.Catalog() }

// Endpoint is Komodo's terminal API.
func (e *env) Endpoint() terminaltool.Endpoint { return e.s.rpc }

// Account is the server's own standing with Komodo.
func (e *env) Account() authtools.Account { return e.s.rpc }
