// Package findtool is komodo_read_FindResources: resources of every type whose name
// contains the words, with their state and server. Komodo has no such operation.
package findtool

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Name is the tool's name.
const Name = "komodo_read_FindResources"

// Deps are what the tool's handler uses: Komodo, and the session's index of names.
type Deps interface {
	Komodo() tool.Komodo
	Names(session any) *names.Cache
}

// listOf is the list operation of each resource type FindResources reports state from.
var listOf = map[string]string{
	"Server": "/read/ListServers", "Stack": "/read/ListStacks", "Deployment": "/read/ListDeployments",
	"Build": "/read/ListBuilds", "Repo": "/read/ListRepos", "Procedure": "/read/ListProcedures",
	"Action": "/read/ListActions", "ResourceSync": "/read/ListResourceSyncs",
}

// maxFound bounds a FindResources answer.
const maxFound = 50

// Tool searches resources by name across every type: Komodo has no such operation, so it
// reads each type's names (cached per session, see internal/names) and then the list
// items of the matches for their state and server.
func Tool() *tool.Tool {
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:        Name,
			Title:       "Find resources",
			Description: "Find resources of every type (servers, stacks, deployments, builds, repos, procedures, actions, builders, alerters, syncs, swarms) whose name contains the words. Returns each match's type, name, id, state and server. Use it when you know a name but not what it is.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["query"],"properties":{"query":{"type":"string","minLength":1,"maxLength":200,"description":"A name or part of one."}}}`),
			Annotations: tool.Annotations("Find resources", catalog.EffectRead, true),
		},
		Effect:    catalog.EffectRead,
		Operation: "FindResources",
		Module:    "read",
		Toolset:   "core",
		Default:   true,
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				query, _ := c.Args["query"].(string)
				cache := d.Names(tool.SessionKey(c.Request))
				found := cache.Find(ctx, query, false)
				more := len(found) > maxFound
				if more {
					found = found[:maxFound]
				}
				items := make([]any, 0, len(found))
				byType := map[string][]names.Ref{}
				for _, f := range found {
					byType[f.Type] = append(byType[f.Type], f)
				}
				for _, f := range found {
					item := map[string]any{"type": f.Type, "name": f.Name, "id": f.ID}
					items = append(items, item)
				}
				addListState(ctx, d.Komodo(), byType, items)
				out := map[string]any{"items": items, "total": len(items)}
				if more {
					out["note"] = "more resources match: use more of the name"
				}
				if len(items) == 0 {
					out["note"] = "nothing is named like that: try part of the name"
				}
				return tool.Success(out), nil
			}
		}),
	}
}

// addListState adds state and server to found items from one list call per type.
func addListState(ctx context.Context, k tool.Komodo, byType map[string][]names.Ref, items []any) {
	state := map[string]map[string]any{} // id -> info
	for typ, refs := range byType {
		path, ok := listOf[typ]
		if !ok {
			continue
		}
		names := make([]string, len(refs))
		for i, r := range refs {
			names[i] = r.Name
		}
		body, _ := json.Marshal(map[string]any{"query": map[string]any{"names": names}, "limit": 0})
		data, err := k.Call(ctx, "POST", path, body)
		if err != nil {
			continue
		}
		var list []struct {
			ID   string         `json:"id"`
			Info map[string]any `json:"info"`
		}
		if json.Unmarshal(data, &list) != nil {
			continue
		}
		for _, it := range list {
			state[it.ID] = it.Info
		}
	}
	for _, it := range items {
		m := it.(map[string]any)
		info := state[m["id"].(string)]
		if st, ok := info["state"].(string); ok && st != "" {
			m["state"] = st
		}
		if srv, ok := info["server_name"].(string); ok && srv != "" {
			m["server"] = srv
		}
		if st, ok := info["status"].(string); ok && st != "" && !strings.EqualFold(st, fmt.Sprint(m["state"])) {
			m["status"] = st
		}
	}
}
