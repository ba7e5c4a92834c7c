package server

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
	"github.com/komodo-mcp/komodo-mcp/internal/toolsearch"
)

// The gateway puts every operation a few thousand tokens away: komodo_search_tools finds
// tools of the whole inventory by plain words, komodo_call_tool calls one by name.
// A gateway call goes through the same permit as a direct call (Server.permit: a
// read-only server calls only read-only tools, a tool removed with --exclude-tools stays
// unreachable), becomes the called tool's Call from the arguments the gateway already
// decoded, and meets the called tool's middleware - confirmation and audit included.
// Tools outside the selected toolsets are what it is for.

const (
	searchToolName = "komodo_search_tools"
	callToolName   = "komodo_call_tool"
	findToolName   = "komodo_read_FindResources"
)

// searchIndex indexes every callable tool once per server.
type searchIndex struct {
	once  sync.Once
	index *toolsearch.Index
}

func (s *Server) toolIndex() *toolsearch.Index {
	s.sf().search.once.Do(func() {
		var docs []toolsearch.Doc
		for name := range s.sf().tools {
			t, refused := s.permit(name)
			if refused != nil || t.Dispatches || name == searchToolName || appOnly(t) {
				continue
			}
			var schema struct {
				Properties map[string]json.RawMessage `json:"properties"`
			}
			_ = json.Unmarshal(schemaJSON(t.Def.InputSchema), &schema)
			params := make([]string, 0, len(schema.Properties))
			for p := range schema.Properties {
				params = append(params, p)
			}
			sort.Strings(params)
			docs = append(docs, toolsearch.Doc{Name: name, Description: t.Def.Description, Params: params})
		}
		sort.Slice(docs, func(i, j int) bool { return docs[i].Name < docs[j].Name })
		s.sf().search.index = toolsearch.New(docs)
	})
	return s.sf().search.index
}

func searchTool() *Tool {
	return &Tool{
		Def: &mcp.Tool{
			Name:        searchToolName,
			Title:       "Search tools",
			Description: "Find Komodo tools by what you want to do, in plain words (e.g. \"prune docker images\", \"rename a stack\"), among all ~340 tools, including those not in your list. Returns the best matches with their descriptions and input schemas; call one with komodo_call_tool.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["query"],"properties":{"query":{"type":"string","minLength":1,"maxLength":500,"description":"What you want to do."},"limit":{"type":"integer","minimum":1,"maximum":20,"default":5,"description":"How many tools to return."}}}`),
			Annotations: annotations("Search tools", catalog.EffectRead, true),
		},
		Effect:    catalog.EffectRead,
		Operation: "SearchTools",
		Module:    "gateway",
		Toolset:   "core",
		Default:   true,
		Handler: func(s *Server) Handler {
			return func(ctx context.Context, c *Call) (*mcp.CallToolResult, error) {
				query, _ := c.Args["query"].(string)
				limit := 5
				if n, ok := c.Args["limit"].(json.Number); ok {
					if v, err := n.Int64(); err == nil && v >= 1 && v <= 20 {
						limit = int(v)
					}
				}
				hits := s.toolIndex().Search(query, limit)
				tools := make([]any, 0, len(hits))
				for _, h := range hits {
					t := s.sf().tools[h.Name]
					entry := map[string]any{
						"name":         h.Name,
						"description":  t.Def.Description,
						"input_schema": json.RawMessage(schemaJSON(t.Def.InputSchema)),
					}
					if _, listed := s.sf().listed[h.Name]; listed {
						entry["listed"] = true // callable directly too
					}
					tools = append(tools, entry)
				}
				out := map[string]any{"tools": tools}
				if len(tools) == 0 {
					out["note"] = "no tool matches those words: try other words (an operation, a resource type: deployment, stack, server, build...)"
				}
				return success(out), nil
			}
		},
	}
}

func callTool() *Tool {
	return &Tool{
		Def: &mcp.Tool{
			Name:        callToolName,
			Title:       "Call tool",
			Description: "Call any Komodo tool by name, including those not in your list (find them with komodo_search_tools). Returns exactly what the tool returns; the tool's own input schema, checks and confirmations apply.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["name"],"properties":{"name":{"type":"string","minLength":1,"maxLength":64,"description":"The tool's name, e.g. komodo_execute_PruneImages."},"arguments":{"type":"object","description":"The tool's arguments, as its input schema says."}}}`),
			// It can call destructive tools; a read-only server lists it read-only (see New).
			Annotations: hints("Call tool", false, true, false),
		},
		Dispatches: true,
		Operation:  "CallTool",
		Module:     "gateway",
		Toolset:    "core",
		Default:    true,
		Handler: func(s *Server) Handler {
			return func(ctx context.Context, c *Call) (*mcp.CallToolResult, error) {
				name, _ := c.Args["name"].(string)
				args, _ := c.Args["arguments"].(map[string]any) // decoded with the gateway's own call
				if args == nil {
					args = map[string]any{}
				}
				return s.callThrough(ctx, c, name, args)
			}
		},
	}
}

// closestTools suggests tool names close to a wrong one.
func (s *Server) closestTools(name string) string {
	all := make([]string, 0, len(s.sf().tools))
	for n, t := range s.sf().tools {
		if !s.excluded[n] && (!s.readOnly || t.readOnly()) && !appOnly(t) {
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
		return "find tools with " + searchToolName
	}
	return fmt.Sprintf("Did you mean %s? Or find tools with %s.", orList(close), searchToolName)
}

// unlisted answers a tools/call of a tool that is not in the session's list as a tool
// error that says how to reach it, instead of the SDK's bare "unknown tool" protocol error.
func (s *Server) unlisted() mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
			res, err := next(ctx, method, req)
			call, ok := req.(*mcp.CallToolRequest)
			if err == nil || method != "tools/call" || !ok || call.Params == nil {
				return res, err
			}
			name := call.Params.Name
			if _, listed := s.sf().listed[name]; listed || !strings.Contains(err.Error(), "unknown tool") {
				return res, err
			}
			t, refused := s.permit(name)
			if refused != nil {
				return s.render(ctx, nil, refused)
			}
			e := &errcode.Error{Code: errcode.ValidationError,
				Message: fmt.Sprintf("%s is not in this session's tool list (it is in the %s toolset)", name, t.Toolset),
				Hint:    fmt.Sprintf("start the server with --toolsets %s (KOMODO_TOOLSETS) or --tools %s (KOMODO_TOOLS)", t.Toolset, name)}
			if s.sf().gateway {
				e.Hint = fmt.Sprintf("call it through %s {\"name\": %q, \"arguments\": {...}}, or %s", callToolName, name, e.Hint)
			}
			return s.render(ctx, nil, e)
		}
	}
}

// listedNames is the set of tool names in tools/list.
func listedNames(tools []*Tool) map[string]struct{} {
	m := make(map[string]struct{}, len(tools))
	for _, t := range tools {
		m[t.Def.Name] = struct{}{}
	}
	return m
}

// gatewayListed reports whether the session can use the gateway.
func gatewayListed(tools []*Tool) bool {
	return slices.ContainsFunc(tools, func(t *Tool) bool { return t.Def.Name == callToolName })
}

// readOnlyGateway lists komodo_call_tool as read-only on a read-only server, where it
// calls only read-only tools, instead of dropping it with the tools that change things.
func readOnlyGateway(all []*Tool) []*Tool {
	out := slices.Clone(all)
	for i, t := range out {
		if t.Def.Name == callToolName {
			c := *t
			def := *t.Def
			def.Annotations = hints(def.Title, true, false, false)
			def.Description += " This server is read-only: only read tools can be called."
			c.Def = &def
			out[i] = &c
		}
	}
	return out
}
