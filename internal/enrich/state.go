// Package enrich adds to Komodo's answers what Komodo spreads over other calls, so that
// one call answers the question: a Get of a server, deployment or stack gains its list
// item's state and its last deploy, and a failed update in a page of updates its failed
// stage and the tail of its error output. Every addition is best effort.
package enrich

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Enricher reads what an answer lacks from Komodo.
type Enricher struct {
	Komodo tool.Komodo
	Redact shape.Redactor // hides credentials in what it adds
}

// Komodo's Get{Server,Deployment,Stack} answer a resource's configuration; how the thing
// is doing (state, error, version, stats, container status) is in its list item, and its
// last deploy in the updates. Gets add both, so that one call answers "how is X?".

// stateful are the Get operations that gain their list item's state, with the list
// operation that has it and the operations that deploy the resource.
var stateful = map[string]struct {
	list, target string
	deploys      []string
}{
	"GetServer":     {"/read/ListServers", "Server", nil},
	"GetDeployment": {"/read/ListDeployments", "Deployment", []string{"Deploy"}},
	"GetStack":      {"/read/ListStacks", "Stack", []string{"DeployStack", "DeployStackService"}},
}

// stateFields are the list item fields a Get gains (Komodo's names, under info).
var stateFields = []string{"state", "status", "err", "version", "stats", "services", "image", "update_available", "server_name", "swarm_name"}

// WithState adds the list item's state and the last deploy to a Get answer. It is best
// effort: when a lookup fails, the configuration is still answered.
func (s *Enricher) WithState(ctx context.Context, t *catalog.Tool, v map[string]any) map[string]any {
	how, ok := stateful[t.Operation]
	if !ok {
		return v
	}
	oid, _ := v["_id"].(map[string]any)
	id, _ := oid["$oid"].(string)
	name, _ := v["name"].(string)
	if id == "" || name == "" {
		return v
	}
	body, _ := json.Marshal(map[string]any{"query": map[string]any{"names": []string{name}}, "limit": 0})
	if data, err := s.Komodo.Call(ctx, "POST", how.list, body); err == nil {
		var list []map[string]any
		if json.Unmarshal(data, &list) == nil {
			for _, item := range list {
				if item["id"] != id {
					continue
				}
				itemInfo, _ := s.Redact.Value(item["info"]).(map[string]any)
				info, _ := v["info"].(map[string]any)
				if info == nil {
					info = map[string]any{}
					v["info"] = info
				}
				for _, f := range stateFields {
					if _, deployed := info["deployed_services"]; f == "services" && deployed {
						continue // a stack's Get has its services already
					}
					if val, ok := itemInfo[f]; ok {
						if _, has := info[f]; !has {
							info[f] = val
						}
					}
				}
			}
		}
	}
	if len(how.deploys) > 0 {
		if last := s.lastUpdate(ctx, how.target, id, how.deploys); last != nil {
			v["last_deploy"] = last
		}
	}
	return v
}

// lastUpdate is the newest update of one of ops on a target: {id, operation, success,
// status, time}, or nil.
func (s *Enricher) lastUpdate(ctx context.Context, typ, id string, ops []string) map[string]any {
	query := map[string]any{"target.type": typ, "target.id": id, "operation": map[string]any{"$in": ops}}
	body, _ := json.Marshal(map[string]any{"query": query})
	data, err := s.Komodo.Call(ctx, "POST", "/read/ListUpdates", body)
	if err != nil {
		return nil
	}
	var page struct {
		Updates []map[string]any `json:"updates"`
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if dec.Decode(&page) != nil {
		return nil
	}
	// Komodo answers newest first; the filter is checked again in case a proxy or an
	// older Komodo ignored part of the query.
	for _, u := range page.Updates {
		target, _ := u["target"].(map[string]any)
		op, _ := u["operation"].(string)
		if target["type"] != typ || target["id"] != id || !slices.Contains(ops, op) {
			continue
		}
		last := map[string]any{"id": u["id"], "operation": op, "success": u["success"], "status": u["status"]}
		if ms, ok := params.Millis(u["start_ts"]); ok {
			last["time"] = compact.Time(ms)
		}
		return last
	}
	return nil
}
