// Package fleettools serves the fleet view (internal/fleetview) as MCP tools:
// komodo_read_ShowFleet answers the fleet and names the view a host renders it in,
// komodo_read_FleetWatchUpdate follows the deploy a button started, and tools/list is
// fitted to what the client renders.
package fleettools

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/execwait"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Deps are what the fleet tools' handlers use.
type Deps interface {
	Komodo() tool.Komodo
	Redactor() shape.Redactor
	Waiter() *execwait.Waiter
	Surface() tool.Surface
	Started() *Started
}

// The fleet view (internal/fleetview) is an MCP App: komodo_read_ShowFleet answers the fleet
// as text and structured content, and names the ui:// resource a host that renders MCP
// Apps shows it in. The view calls tools back through the host - komodo_read_ShowFleet to
// refresh, komodo_read_FleetWatchUpdate to follow a deploy, and the execute tools behind its
// buttons - all through the same handlers, confirmation and audit as any call.
//
// Capability negotiation (SEP-1865): only a client that declares the
// io.modelcontextprotocol/ui extension with the HTML MIME type sees the view's _meta and
// the tools meant only for the view; for every other client komodo_read_ShowFleet is a plain
// text-and-structured-content tool.

const (
	// Name is the fleet tool's name; the view's other tools go with it.
	Name          = "komodo_read_ShowFleet"
	watchToolName = "komodo_read_FleetWatchUpdate"
	// watchDefault and watchMax bound one komodo_read_FleetWatchUpdate call, in seconds.
	watchDefault = 25
	watchMax     = 60
)

// Tools are the tools of the fleet view.
func Tools() []*tool.Tool {
	return []*tool.Tool{fleetTool(), watchTool()}
}

func fleetTool() *tool.Tool {
	def := &mcp.Tool{
		Name:        Name,
		Title:       "Fleet",
		Description: "The fleet at a glance: servers (state, version, load, errors), their stacks and deployments, builds, open alerts; an interactive view in MCP Apps clients.",
		InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{}}`),
		// No output schema: the default tools/list has a byte budget, and the view model
		// (fleetview.Fleet) is documented where it is built.
		Annotations: tool.Annotations("Fleet", catalog.EffectRead, true),
		Meta:        fleetview.ToolMeta(fleetview.VisibleToModel, fleetview.VisibleToApp),
	}
	return &tool.Tool{Def: def, Effect: catalog.EffectRead, Operation: "ShowFleet", Module: "read", Toolset: "ui", Default: true,
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				f, err := fleetview.Load(ctx, d.Komodo())
				if err != nil {
					return nil, rpc.AsError(err)
				}
				f.Actions = actions(d.Surface())
				raw, err := json.Marshal(f)
				if err != nil {
					return nil, err
				}
				v, err := tool.DecodeJSON(raw)
				if err != nil {
					return nil, err
				}
				structured, _ := d.Redactor().Value(v).(map[string]any)
				text, _ := d.Redactor().Value(f.Text()).(string)
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}, StructuredContent: structured}, nil
			}
		})}
}

// actions says which tool each button of the view calls, or nil when the view shows
// none: on a read-only server, or when no action tool can be called.
func actions(sf tool.Surface) *fleetview.Actions {
	if sf.ReadOnly() {
		return nil
	}
	a := &fleetview.Actions{Tools: map[string]string{}, Listed: []string{}}
	if sf.Gateway() {
		a.Gateway = gateway.CallName
	}
	for button, name := range fleetview.ActionTools {
		if t, refused := sf.Permit(name); refused != nil || t.AppOnly() {
			continue
		}
		listed := sf.Listed(name)
		switch {
		case listed:
			a.Listed = append(a.Listed, name)
		case !sf.Gateway():
			continue
		}
		a.Tools[button] = name
	}
	slices.Sort(a.Listed)
	if len(a.Tools) == 0 {
		return nil
	}
	return a
}

func watchTool() *tool.Tool {
	tools := slices.Sorted(maps.Values(fleetview.ActionTools))
	enum, _ := json.Marshal(tools)
	def := &mcp.Tool{
		Name:  watchToolName,
		Title: "Watch update (fleet view)",
		Description: fmt.Sprintf("For the fleet view: follow a Komodo Update - by `id`, or the one `tool` just started on `target` - until a stage beyond `seen` completes or the update is over (at most `timeout` seconds, default %d), "+
			"and answer its stages so far, with the failed stage and the tail of its error once it failed.", watchDefault),
		InputSchema: json.RawMessage(fmt.Sprintf(`{"type":"object","additionalProperties":false,"properties":{`+
			`"id":{"type":"string","minLength":1,"description":"The update id (job_id of an execute result)."},`+
			`"tool":{"type":"string","enum":%s,"description":"Instead of id: the execute tool that is starting an update..."},`+
			`"target":{"type":"string","minLength":1,"description":"...on this resource (name or id)."},`+
			`"seen":{"type":"integer","minimum":0,"description":"Stages the view already shows; answer once there are more."},`+
			`"timeout":{"type":"integer","minimum":1,"maximum":%d,"description":"Seconds to wait at most."}}}`, enum, watchMax)),
		OutputSchema: json.RawMessage(`{"type":"object","required":["id","status","done","stages"],"properties":{` +
			`"id":{"type":"string"},"operation":{"type":"string"},"target":{"type":"string"},"status":{"type":"string"},"done":{"type":"boolean"},"success":{"type":"boolean"},` +
			`"stages":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"success":{"type":"boolean"},"tail":{"type":"string"}}}},` +
			`"failed_stage":{"type":"string"},"error_tail":{"type":"string"},"duration_ms":{"type":"integer"},"followed_via":{"type":"string"}}}`),
		Annotations: tool.Annotations("Watch update (fleet view)", catalog.EffectRead, true),
		Meta:        fleetview.ToolMeta(fleetview.VisibleToApp),
	}
	return &tool.Tool{Def: def, Effect: catalog.EffectRead, Operation: "GetUpdate", Module: "read", Toolset: "ui", Default: true,
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				if !fleetview.ClientSupports(c.Request.ClientCapabilities()) {
					return nil, tool.Invalid(watchToolName+" belongs to the fleet view, which this client does not render (it did not declare the "+fleetview.Extension+" extension)",
						"follow an update with komodo_read_WaitForUpdate")
				}
				id, _ := c.Args["id"].(string)
				starter, _ := c.Args["tool"].(string)
				target, _ := c.Args["target"].(string)
				seen, timeout := 0, watchDefault
				if n, ok := c.Args["seen"].(json.Number); ok {
					v, _ := n.Int64()
					seen = int(v)
				}
				if n, ok := c.Args["timeout"].(json.Number); ok {
					v, _ := n.Int64()
					timeout = int(v)
				}
				limit := time.Duration(timeout) * time.Second
				switch {
				case id != "" && starter == "" && target == "":
				case id == "" && starter != "" && target != "":
					found, err := d.Started().by(ctx, c.Request, starter, target, limit)
					if err != nil {
						return nil, err
					}
					id = found
				default:
					return nil, tool.Invalid("give `id`, or `tool` and `target`", "id is the job_id of an execute result")
				}
				d.Started().forget(id)
				return watchUpdate(ctx, d.Waiter(), id, seen, limit)
			}
		})}
}

// startedWindow is how long the server remembers which update an execute call started, for
// the view that shows that call: the host shows the view the tool's input while the tool runs.
const startedWindow = 2 * time.Minute

// Started remembers, per session, the updates the execute tools behind the view
// started: (tool, target) -> update ids, oldest first. The view's watch by id takes an
// update out, so that a later call on the same target is never confused with it.
type Started struct {
	mu      sync.Mutex
	changed chan struct{} // closed on every change
	byKey   map[startedKey][]startedEntry
}

type startedKey struct {
	session      any
	tool, target string
}

type startedEntry struct {
	id string
	at time.Time
}

// Note records the update an execute call started (called as soon as Komodo answers the
// execution, before any wait).
func (st *Started) Note(req *mcp.CallToolRequest, name string, args map[string]any, update any) {
	u, _ := update.(map[string]any)
	target, _ := args["id"].(string)
	id := execwait.UpdateID(u)
	if id == "" || target == "" || !slices.Contains(slices.Collect(maps.Values(fleetview.ActionTools)), name) {
		return
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.byKey == nil {
		st.byKey = map[startedKey][]startedEntry{}
	}
	now := time.Now()
	for k, es := range st.byKey { // forget what is too old to be asked for
		es = slices.DeleteFunc(es, func(e startedEntry) bool { return now.Sub(e.at) > startedWindow })
		if len(es) == 0 {
			delete(st.byKey, k)
		} else {
			st.byKey[k] = es
		}
	}
	k := startedKey{tool.SessionKey(req), name, target}
	st.byKey[k] = append(st.byKey[k], startedEntry{id, now})
	st.signal()
}

// signal wakes every waiter; the caller holds mu.
func (st *Started) signal() {
	if st.changed != nil {
		close(st.changed)
	}
	st.changed = make(chan struct{})
}

// forget takes an update out once the view follows it by id.
func (st *Started) forget(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	for k, es := range st.byKey {
		st.byKey[k] = slices.DeleteFunc(es, func(e startedEntry) bool { return e.id == id })
	}
}

// by answers the update that tool name started (or is about to start) on target in this
// session, waiting up to limit for the call to reach Komodo.
func (st *Started) by(ctx context.Context, req *mcp.CallToolRequest, name, target string, limit time.Duration) (string, error) {
	k := startedKey{tool.SessionKey(req), name, target}
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	for {
		st.mu.Lock()
		if es := st.byKey[k]; len(es) > 0 {
			e := es[len(es)-1]
			st.byKey[k] = es[:len(es)-1]
			st.mu.Unlock()
			return e.id, nil
		}
		if st.changed == nil {
			st.changed = make(chan struct{})
		}
		changed := st.changed
		st.mu.Unlock()
		select {
		case <-changed:
		case <-ctx.Done():
			return "", rpc.AsError(ctx.Err())
		case <-deadline.C:
			return "", &errcode.Error{Code: errcode.Timeout, Message: fmt.Sprintf("%s started nothing on %s within %s", name, target, limit),
				Hint: "the call may have been refused or may still be waiting for a confirmation"}
		}
	}
}

// watchUpdate follows an Update as execute tools do and answers its progress as soon as a
// stage beyond seen completes, the update is over, or limit passes.
func watchUpdate(ctx context.Context, w *execwait.Waiter, id string, seen int, limit time.Duration) (*mcp.CallToolResult, error) {
	v, via, err := w.Watch(ctx, id, seen, limit)
	if err != nil {
		return nil, err
	}
	raw, _ := json.Marshal(v)
	p, err := fleetview.ProgressOf(raw, id)
	if err != nil {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update: " + err.Error()}
	}
	p.Via = via
	out, err := json.Marshal(p)
	if err != nil {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: err.Error()}
	}
	structured, _ := tool.DecodeJSON(out)
	m, _ := structured.(map[string]any)
	return tool.Success(m), nil
}

// ToolList is receiving middleware fitting tools/list to the client: a client that did
// not declare MCP Apps gets no tool meant only for the view and no _meta.ui (the fleet
// tool is then a plain tool), as the extension's negotiation asks. selected reports
// whether the fleet view is on the server.
func ToolList(selected func() bool) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			list, ok := res.(*mcp.ListToolsResult)
			if err != nil || method != "tools/list" || !ok {
				return res, err
			}
			lr, _ := req.(*mcp.ListToolsRequest)
			if lr != nil && fleetview.ClientSupports(lr.ClientCapabilities()) {
				return withActionViews(selected, list), nil
			}
			out := *list
			out.Tools = make([]*mcp.Tool, 0, len(list.Tools))
			for _, t := range list.Tools {
				if fleetview.AppOnly(t.Meta) {
					continue
				}
				if _, has := t.Meta["ui"]; has {
					cp := *t
					cp.Meta = mcp.Meta{}
					for k, v := range t.Meta {
						if k != "ui" {
							cp.Meta[k] = v
						}
					}
					if len(cp.Meta) == 0 {
						cp.Meta = nil
					}
					t = &cp
				}
				out.Tools = append(out.Tools, t)
			}
			return &out, nil
		}
	}
}

// withActionViews links the execute tools behind the view's buttons to the view, when the
// view is on: a host that renders MCP Apps then shows the stages of a deploy the assistant
// runs as they arrive.
func withActionViews(selected func() bool, list *mcp.ListToolsResult) *mcp.ListToolsResult {
	if !selected() {
		return list
	}
	actions := map[string]bool{}
	for _, name := range fleetview.ActionTools {
		actions[name] = true
	}
	out := *list
	out.Tools = slices.Clone(list.Tools)
	for i, t := range out.Tools {
		if !actions[t.Name] || t.Meta["ui"] != nil {
			continue
		}
		cp := *t
		cp.Meta = mcp.Meta{}
		maps.Copy(cp.Meta, t.Meta)
		maps.Copy(cp.Meta, fleetview.ToolMeta())
		out.Tools[i] = &cp
	}
	return &out
}
