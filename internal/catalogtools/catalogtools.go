// Package catalogtools is the tools generated from the catalog (gen/catalog): each one's
// definition as clients receive it, and the handler that plans its Komodo request from the
// curated parameters (internal/params), calls Komodo, and shapes, redacts and completes
// the answer - or follows the work an execution started (internal/execwait).
package catalogtools

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/enrich"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/execwait"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Deps are what the handlers of catalog tools use.
type Deps interface {
	// Komodo is the client calls go through.
	Komodo() tool.Komodo
	// Names is the index of resource names of a session (nil: calls without one).
	Names(session any) *names.Cache
	Redactor() shape.Redactor
	Enricher() *enrich.Enricher
	Waiter() *execwait.Waiter
	// NoteStarted is told the Update an execution started, as soon as Komodo answers it
	// (the fleet view follows what its buttons started).
	NoteStarted(req *mcp.CallToolRequest, tool string, args map[string]any, update any)
}

// Tools are the tools of the catalog c, defaults marking those on the default surface.
func Tools(c *catalog.Catalog, defaults map[string]bool) []*tool.Tool {
	out := make([]*tool.Tool, 0, len(c.Tools))
	for i := range c.Tools {
		ct := &c.Tools[i]
		out = append(out, &tool.Tool{
			Catalog:   ct,
			Def:       def(ct),
			Effect:    ct.Effect,
			Operation: ct.Operation,
			Module:    ct.Module,
			Toolset:   ct.Toolset,
			Default:   defaults[ct.Name],
			Handler:   tool.Bind(func(d Deps) tool.Handler { return handler(d, ct) }),
		})
	}
	return out
}

// def is the MCP definition of a catalog tool; schemas are used as precomputed.
func def(t *catalog.Tool) *mcp.Tool {
	def := &mcp.Tool{
		Name:        t.Name,
		Title:       t.Title,
		Description: t.Description,
		InputSchema: json.RawMessage(t.InputSchema),
		Annotations: tool.Annotations(t.Title, t.Effect, t.Idempotent),
	}
	if t.OutputSchema != nil {
		def.OutputSchema = json.RawMessage(t.OutputSchema)
	}
	return def
}

// handler calls the Komodo operation of a catalog tool. internal/params plans the call
// from the Call's arguments (the id, page, filters, options and wait parameters); Komodo
// gets the plan's arguments.
func handler(d Deps, t *catalog.Tool) tool.Handler {
	k, redact := d.Komodo(), d.Redactor()
	return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
		session := tool.SessionKey(c.Request)
		index := d.Names(session)
		plan, err := params.Translate(ctx, indexed{Komodo: k, names: index}, t, c.Args)
		if err != nil {
			return nil, hideArgs(redact, t, c, didYouMean(ctx, index, rpc.AsError(err)))
		}
		sh, refused := shape.Of(t, c.Args, index)
		if refused != nil {
			return nil, refused
		}
		if t.ResultWrap == "envelope" {
			env, err := params.List(ctx, k, t, plan, tool.DecodeJSON)
			if err != nil {
				return nil, hideArgs(redact, t, c, didYouMean(ctx, index, rpc.AsError(err)))
			}
			learn(index, t, plan, env)
			items, _ := env["items"].([]any)
			items = redact.Items(t.Operation, t.ListKey, items)
			if t.Operation == "ListUpdates" {
				d.Enricher().FailedStages(ctx, items)
			}
			var note string
			env["items"], note = sh.Items(ctx, items)
			if note != "" {
				env["missing_fields"] = note
			}
			return tool.Success(env), nil
		}
		var body []byte
		if t.Method != "GET" {
			if body, err = plan.Body(); err != nil {
				return nil, err
			}
		}
		data, err := k.Call(ctx, t.Method, t.Path, body)
		if err != nil {
			return nil, hideArgs(redact, t, c, didYouMean(ctx, index, maybeApplied(t, rpc.AsError(err))))
		}
		v, err := tool.DecodeJSON(data)
		if err != nil {
			return nil, rpc.AsError(err)
		}
		v, found := redact.Result(t.Operation, v)
		if t.Module == "execute" {
			d.NoteStarted(c.Request, t.Name, c.Args, v)
			return d.Waiter().AfterExecute(ctx, c.Request, plan, v)
		}
		out := shape.ShownOnce(tool.Wrap(t.ResultWrap, v), found)
		if !sh.Raw() {
			out = d.Enricher().WithState(ctx, t, out)
		}
		return tool.Success(sh.Wrapped(ctx, t.ResultWrap, out)), nil
	}
}

// hideArgs is e without the credentials the call's arguments carry by type
// (api/secrets.yaml: a token given to CreateGitProviderAccount, a webhook URL given to
// UpdateAlerter), which Komodo may echo in its error.
func hideArgs(redact shape.Redactor, t *catalog.Tool, c *tool.Call, e *errcode.Error) *errcode.Error {
	if values := redact.RequestValues(t.Operation, c.Args); len(values) > 0 {
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
