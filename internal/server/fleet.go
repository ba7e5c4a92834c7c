package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/follow"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

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
	fleetToolName = "komodo_read_ShowFleet"
	watchToolName = "komodo_read_FleetWatchUpdate"
	// watchDefault and watchMax bound one komodo_read_FleetWatchUpdate call, in seconds.
	watchDefault = 25
	watchMax     = 60
)

// fleetTools are the tools of the fleet view.
func fleetTools() []*Tool {
	return []*Tool{fleetTool(), watchTool()}
}

func fleetTool() *Tool {
	def := &mcp.Tool{
		Name:        fleetToolName,
		Title:       "Fleet",
		Description: "The fleet at a glance: servers (state, version, load, errors), their stacks and deployments, builds, open alerts; an interactive view in MCP Apps clients.",
		InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{}}`),
		// No output schema: the default tools/list has a byte budget, and the view model
		// (fleetview.Fleet) is documented where it is built.
		Annotations: annotations("Fleet", catalog.EffectRead, true),
		Meta:        fleetview.ToolMeta(fleetview.VisibleToModel, fleetview.VisibleToApp),
	}
	return &Tool{Def: def, Effect: catalog.EffectRead, Operation: "ShowFleet", Module: "read", Toolset: "ui", Default: true,
		Handler: func(s *Server) Handler {
			return func(ctx context.Context, c *Call) (*mcp.CallToolResult, error) {
				f, err := fleetview.Load(ctx, s.rpc)
				if err != nil {
					return nil, rpc.AsError(err)
				}
				f.Actions = s.fleetActions()
				raw, err := json.Marshal(f)
				if err != nil {
					return nil, err
				}
				v, err := decodeJSON(raw)
				if err != nil {
					return nil, err
				}
				structured, _ := s.redact.value(v).(map[string]any)
				text, _ := s.redact.value(f.Text()).(string)
				return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}, StructuredContent: structured}, nil
			}
		}}
}

// fleetActions says which tool each button of the view calls, or nil when the view shows
// none: on a read-only server, or when no action tool can be called.
func (s *Server) fleetActions() *fleetview.Actions {
	if s.readOnly {
		return nil
	}
	a := &fleetview.Actions{Tools: map[string]string{}, Listed: []string{}}
	if s.gateway {
		a.Gateway = callToolName
	}
	for button, name := range fleetview.ActionTools {
		if t, refused := s.permit(name); refused != nil || appOnly(t) {
			continue
		}
		_, listed := s.listed[name]
		switch {
		case listed:
			a.Listed = append(a.Listed, name)
		case !s.gateway:
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

func watchTool() *Tool {
	def := &mcp.Tool{
		Name:  watchToolName,
		Title: "Watch update (fleet view)",
		Description: fmt.Sprintf("For the fleet view: follow a Komodo Update until a stage beyond `seen` completes or the update is over (at most `timeout` seconds, default %d), "+
			"and answer its stages so far, with the failed stage and the tail of its error once it failed.", watchDefault),
		InputSchema: json.RawMessage(fmt.Sprintf(`{"type":"object","additionalProperties":false,"required":["id"],"properties":{`+
			`"id":{"type":"string","minLength":1,"description":"The update id (job_id of an execute result)."},`+
			`"seen":{"type":"integer","minimum":0,"description":"Stages the view already shows; answer once there are more."},`+
			`"timeout":{"type":"integer","minimum":1,"maximum":%d,"description":"Seconds to wait at most."}}}`, watchMax)),
		OutputSchema: json.RawMessage(`{"type":"object","required":["id","status","done","stages"],"properties":{` +
			`"id":{"type":"string"},"operation":{"type":"string"},"target":{"type":"string"},"status":{"type":"string"},"done":{"type":"boolean"},"success":{"type":"boolean"},` +
			`"stages":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"success":{"type":"boolean"},"tail":{"type":"string"}}}},` +
			`"failed_stage":{"type":"string"},"error_tail":{"type":"string"},"duration_ms":{"type":"integer"},"followed_via":{"type":"string"}}}`),
		Annotations: annotations("Watch update (fleet view)", catalog.EffectRead, true),
		Meta:        fleetview.ToolMeta(fleetview.VisibleToApp),
	}
	return &Tool{Def: def, Effect: catalog.EffectRead, Operation: "GetUpdate", Module: "read", Toolset: "ui", Default: true,
		Handler: func(s *Server) Handler {
			return func(ctx context.Context, c *Call) (*mcp.CallToolResult, error) {
				if !fleetview.ClientSupports(c.Request.ClientCapabilities()) {
					return nil, invalid(watchToolName+" belongs to the fleet view, which this client does not render (it did not declare the "+fleetview.Extension+" extension)",
						"follow an update with komodo_read_WaitForUpdate")
				}
				id, _ := c.Args["id"].(string)
				seen, timeout := 0, watchDefault
				if n, ok := c.Args["seen"].(json.Number); ok {
					v, _ := n.Int64()
					seen = int(v)
				}
				if n, ok := c.Args["timeout"].(json.Number); ok {
					v, _ := n.Int64()
					timeout = int(v)
				}
				return s.watchUpdate(ctx, id, seen, time.Duration(timeout)*time.Second)
			}
		}}
}

// watchUpdate follows an Update as execute tools do (Komodo's update websocket, polling
// when it is not available) and answers as soon as a stage beyond seen completes, the
// update is over, or limit passes.
func (s *Server) watchUpdate(ctx context.Context, id string, seen int, limit time.Duration) (*mcp.CallToolResult, error) {
	waitCtx, stop := context.WithCancel(ctx)
	defer stop()
	res, err := follow.Wait(waitCtx, s.rpc, id, follow.Options{
		Cap:          min(limit, s.opts.WaitCap),
		PollInterval: s.opts.PollInterval,
		Heartbeat:    limit + time.Second, // the view asks again; no heartbeat needed
		Seen:         seen,
		Login:        s.updateLogin(ctx),
		Logger:       s.logger,
		OnProgress: func(p follow.Progress) {
			if !p.Heartbeat && p.Index > seen {
				stop() // a new stage: answer now, the view asks again
			}
		},
	})
	if ctx.Err() != nil {
		return nil, rpc.AsError(ctx.Err())
	}
	var raw []byte
	if err == nil && res != nil && res.Complete && res.Update != nil {
		raw = res.Update
	} else {
		body, _ := json.Marshal(map[string]string{"id": id})
		if raw, err = s.rpc.Call(ctx, "POST", "/read/GetUpdate", body); err != nil {
			return nil, rpc.AsError(err)
		}
	}
	v, err := decodeJSON(raw)
	if err != nil {
		return nil, rpc.AsError(err)
	}
	raw, _ = json.Marshal(s.redact.value(v))
	p, err := fleetview.ProgressOf(raw, id)
	if err != nil {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update: " + err.Error()}
	}
	if res != nil {
		p.Via = res.Via
	}
	out, err := json.Marshal(p)
	if err != nil {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: err.Error()}
	}
	structured, _ := decodeJSON(out)
	m, _ := structured.(map[string]any)
	return success(m), nil
}

// fleetSelected reports whether the fleet view is on this server.
func (s *Server) fleetSelected() bool {
	_, ok := s.listed[fleetToolName]
	return ok
}

// appOnly reports whether a tool is meant only for the view (_meta.ui.visibility).
func appOnly(t *Tool) bool { return fleetview.AppOnly(t.Def.Meta) }

// uiToolList is receiving middleware fitting tools/list to the client: a client that did
// not declare MCP Apps gets no tool meant only for the view and no _meta.ui (the fleet
// tool is then a plain tool), as the extension's negotiation asks.
func (s *Server) uiToolList() mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			list, ok := res.(*mcp.ListToolsResult)
			if err != nil || method != "tools/list" || !ok {
				return res, err
			}
			lr, _ := req.(*mcp.ListToolsRequest)
			if lr != nil && fleetview.ClientSupports(lr.ClientCapabilities()) {
				return res, nil
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
