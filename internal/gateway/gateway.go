// Package gateway puts every tool a few thousand tokens away: komodo_search_tools finds
// tools of the whole inventory by plain words, komodo_call_tool calls one by name. It also
// points an assistant that names a tool outside its list to the way to reach it.
package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
	"github.com/komodo-mcp/komodo-mcp/internal/toolsearch"
)

// The gateway puts every operation a few thousand tokens away: komodo_search_tools finds
// tools of the whole inventory by plain words, komodo_call_tool calls one by name.
// A gateway call goes through the same permit as a direct call (tool.Surface.Permit: a
// read-only server calls only read-only tools, a tool removed with --exclude-tools stays
// unreachable), becomes the called tool's Call from the arguments the gateway already
// decoded, and meets the called tool's middleware - confirmation and audit included.
// Tools outside the selected toolsets are what it is for.

const (
	// SearchName is the search tool's name.
	SearchName = "komodo_search_tools"
	// CallName is the tool that calls any other by name.
	CallName = "komodo_call_tool"
)

// Deps are what the gateway tools' handlers use.
type Deps interface {
	Surface() tool.Surface
	// SearchIndex indexes every tool the gateway may call (Index).
	SearchIndex() *toolsearch.Index
	// CallThrough calls the tool named with arguments already decoded, through the same
	// permit, Call and middleware as a direct call; outer is the gateway's own call.
	CallThrough(ctx context.Context, outer *tool.Call, name string, args map[string]any) (*mcp.CallToolResult, error)
}

// Index indexes, among the tools named, every one the gateway may call.
func Index(sf tool.Surface, names []string) *toolsearch.Index {
	var docs []toolsearch.Doc
	for _, name := range names {
		t, refused := sf.Permit(name)
		if refused != nil || Through(t) != nil {
			continue
		}
		var schema struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		_ = json.Unmarshal(tool.SchemaJSON(t.Def.InputSchema), &schema)
		params := make([]string, 0, len(schema.Properties))
		for p := range schema.Properties {
			params = append(params, p)
		}
		sort.Strings(params)
		docs = append(docs, toolsearch.Doc{Name: name, Description: t.Def.Description, Params: params})
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
	return toolsearch.New(docs)
}

// Through refuses a tool the gateway does not call (itself, the search, the fleet view's
// own tools), or says nothing (nil).
func Through(t *tool.Tool) *errcode.Error {
	switch {
	case t.Dispatches || t.Def.Name == SearchName:
		return tool.Invalid(fmt.Sprintf("%s cannot be called through %s", t.Def.Name, CallName), "call it directly")
	case t.AppOnly():
		return tool.Invalid(fmt.Sprintf("%s is part of the fleet view and is called only by the view", t.Def.Name), "use komodo_read_ShowFleet to see the fleet")
	}
	return nil
}

// Tools are komodo_search_tools and komodo_call_tool.
func Tools() []*tool.Tool { return []*tool.Tool{searchTool(), callTool()} }

func searchTool() *tool.Tool {
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:        SearchName,
			Title:       "Search tools",
			Description: "Find Komodo tools by what you want to do, in plain words (e.g. \"prune docker images\", \"rename a stack\"), among all ~340 tools, including those not in your list. Returns the best matches with their descriptions and input schemas; call one with komodo_call_tool.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["query"],"properties":{"query":{"type":"string","minLength":1,"maxLength":500,"description":"What you want to do."},"limit":{"type":"integer","minimum":1,"maximum":20,"default":5,"description":"How many tools to return."}}}`),
			Annotations: tool.Annotations("Search tools", catalog.EffectRead, true),
		},
		Effect:    catalog.EffectRead,
		Operation: "SearchTools",
		Module:    "gateway",
		Toolset:   "core",
		Default:   true,
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				query, _ := c.Args["query"].(string)
				limit := 5
				if n, ok := c.Args["limit"].(json.Number); ok {
					if v, err := n.Int64(); err == nil && v >= 1 && v <= 20 {
						limit = int(v)
					}
				}
				sf := d.Surface()
				hits := d.SearchIndex().Search(query, limit)
				tools := make([]any, 0, len(hits))
				for _, h := range hits {
					t, _ := sf.Lookup(h.Name)
					entry := map[string]any{
						"name":         h.Name,
						"description":  t.Def.Description,
						"input_schema": json.RawMessage(tool.SchemaJSON(t.Def.InputSchema)),
					}
					if sf.Listed(h.Name) {
						entry["listed"] = true // callable directly too
					}
					tools = append(tools, entry)
				}
				out := map[string]any{"tools": tools}
				if len(tools) == 0 {
					out["note"] = "no tool matches those words: try other words (an operation, a resource type: deployment, stack, server, build...)"
				}
				return tool.Success(out), nil
			}
		}),
	}
}

func callTool() *tool.Tool {
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:        CallName,
			Title:       "Call tool",
			Description: "Call any Komodo tool by name, including those not in your list (find them with komodo_search_tools). Returns exactly what the tool returns; the tool's own input schema, checks and confirmations apply.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["name"],"properties":{"name":{"type":"string","minLength":1,"maxLength":64,"description":"The tool's name, e.g. komodo_execute_PruneImages."},"arguments":{"type":"object","description":"The tool's arguments, as its input schema says."}}}`),
			// It can call destructive tools; a read-only server lists it read-only (ReadOnly).
			Annotations: tool.Hints("Call tool", false, true, false),
		},
		Dispatches: true,
		Operation:  "CallTool",
		Module:     "gateway",
		Toolset:    "core",
		Default:    true,
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				name, _ := c.Args["name"].(string)
				args, _ := c.Args["arguments"].(map[string]any) // decoded with the gateway's own call
				if args == nil {
					args = map[string]any{}
				}
				return d.CallThrough(ctx, c, name, args)
			}
		}),
	}
}

// Closest suggests, among the tools named, the callable ones close to a wrong name.
func Closest(sf tool.Surface, names []string, name string) string {
	all := make([]string, 0, len(names))
	for _, n := range names {
		if t, refused := sf.Permit(n); refused == nil && !t.AppOnly() {
			all = append(all, n)
		}
	}
	sort.Strings(all)
	// Compare the operation part: "komodo_read_ListUpdate" and "ListUpdate" both find ListUpdates.
	op := name[strings.LastIndex(name, "_")+1:]
	ops := make([]string, len(all))
	byOp := map[string]string{}
	for i, n := range all {
		ops[i] = n[strings.LastIndex(n, "_")+1:]
		byOp[ops[i]] = n
	}
	var close []string
	for _, o := range suggest.Closest(op, ops, 3) {
		close = append(close, byOp[o])
	}
	if len(close) == 0 {
		return "find tools with " + SearchName
	}
	return fmt.Sprintf("Did you mean %s? Or find tools with %s.", suggest.OrList(close), SearchName)
}

// Unlisted answers a tools/call of a tool that is not in the session's list as a tool
// error that says how to reach it, instead of the SDK's bare "unknown tool" protocol error.
// surface is the surface in use; render is the server's edge.
func Unlisted(surface func() tool.Surface, render func(context.Context, *errcode.Error) (*mcp.CallToolResult, error)) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			call, ok := req.(*mcp.CallToolRequest)
			if err == nil || method != "tools/call" || !ok || call.Params == nil {
				return res, err
			}
			name := call.Params.Name
			sf := surface()
			if sf.Listed(name) || !strings.Contains(err.Error(), "unknown tool") {
				return res, err
			}
			t, refused := sf.Permit(name)
			if refused != nil {
				return render(ctx, refused)
			}
			e := &errcode.Error{Code: errcode.ValidationError,
				Message: fmt.Sprintf("%s is not in this session's tool list (it is in the %s toolset)", name, t.Toolset),
				Hint:    fmt.Sprintf("start the server with --toolsets %s (KOMODO_TOOLSETS) or --tools %s (KOMODO_TOOLS)", t.Toolset, name)}
			if sf.Gateway() {
				e.Hint = fmt.Sprintf("call it through %s {\"name\": %q, \"arguments\": {...}}, or %s", CallName, name, e.Hint)
			}
			return render(ctx, e)
		}
	}
}

// Listed reports whether komodo_call_tool is among tools.
func Listed(tools []*tool.Tool) bool {
	return slices.ContainsFunc(tools, func(t *tool.Tool) bool { return t.Def.Name == CallName })
}

// ReadOnly lists komodo_call_tool as read-only on a read-only server, where it calls only
// read-only tools, instead of dropping it with the tools that change things.
func ReadOnly(all []*tool.Tool) []*tool.Tool {
	out := slices.Clone(all)
	for i, t := range out {
		if t.Def.Name == CallName {
			c := *t
			def := *t.Def
			def.Annotations = tool.Hints(def.Title, true, false, false)
			def.Description += " This server is read-only: only read tools can be called."
			c.Def = &def
			out[i] = &c
		}
	}
	return out
}

var toolNameRE = regexp.MustCompile(`\bkomodo_[a-z]+_[A-Za-z]+\b`)

// Reach says which tools an error names (in its message or hint) are not in the session's
// list but can be called through komodo_call_tool; "" when none. The edge puts it in the
// error's own field: the rendered JSON is never edited.
func Reach(sf tool.Surface, e *errcode.Error) string {
	if !sf.Gateway() {
		return ""
	}
	var hidden []string
	for _, name := range toolNameRE.FindAllString(e.Message+"\n"+e.Hint, -1) {
		if sf.Listed(name) || slices.Contains(hidden, name) {
			continue
		}
		if t, refused := sf.Permit(name); refused == nil && !t.Dispatches && !t.AppOnly() {
			hidden = append(hidden, name)
		}
	}
	if len(hidden) == 0 {
		return ""
	}
	return fmt.Sprintf("[%s: not in your tool list; call it through komodo_call_tool]", strings.Join(hidden, ", "))
}
