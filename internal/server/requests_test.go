package server_test

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/api"
	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	resources "github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// seedSessionAll is seedSession with every toolset.
func seedSessionAll(t *testing.T) (*mcp.ClientSession, *sim.Server) {
	t.Helper()
	s := simtest.Start(t, simtest.WithExecDuration(30*time.Millisecond))
	return connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}}), s
}

// requests is what the simulator received since the last reset: the total, and a line
// naming each operation with its count.
func requests(s *sim.Server) (int, string) {
	n := 0
	var ops []string
	for op, c := range s.Counts() {
		n += c
		ops = append(ops, fmt.Sprintf("%s x%d", op, c))
	}
	sort.Strings(ops)
	s.ResetCounts()
	return n, strings.Join(ops, ", ")
}

// TestRequests_PerQuestion counts the Komodo requests of everyday questions: name
// lookups come from the session's index of resources (one list per type, read once and
// again on a miss), so a target filter costs at most 3 requests once the index knows the
// types, and a Get at most 3 (the resource, its list item's state, its last deploy).
func TestRequests_PerQuestion(t *testing.T) {
	cs, s := seedSession(t)
	// The assistant looks at the fleet first, as it does: the lists teach the index
	// their types, and the first name of unknown type reads the other types once.
	for _, tool := range []string{"komodo_read_ListServers", "komodo_read_ListDeployments", "komodo_read_ListStacks", "komodo_read_ListBuilds"} {
		call(t, cs, tool, `{}`)
	}
	requests(s)
	call(t, cs, "komodo_read_ListUpdates", `{"target":"redis-cache"}`)
	if n, ops := requests(s); n > 1+len(resources.Types)-4 {
		t.Errorf("first target filter: %d requests (%s): more than the types not read yet", n, ops)
	}
	cases := []struct {
		tool, args string
		max        int
	}{
		{"komodo_read_GetServer", `{"id":"prod-1"}`, 2},
		{"komodo_read_GetDeployment", `{"id":"api-gateway"}`, 3},
		{"komodo_read_GetStack", `{"id":"monitoring"}`, 3},
		{"komodo_read_ListUpdates", `{"target":"worker-queue"}`, 3},
		{"komodo_read_ListUpdates", `{"target":"web-frontend","operation":"Deploy"}`, 3},
		{"komodo_read_ListDeployments", `{"server_id":"prod-1"}`, 1},
		{"komodo_read_ListStacks", `{"query":{"specific":{"server_ids":["prod-2"]}}}`, 1},
	}
	for _, c := range cases {
		res := call(t, cs, c.tool, c.args)
		if res.IsError {
			code, msg := toolError(t, res)
			t.Errorf("%s %s: %s %s", c.tool, c.args, code, msg)
		}
		if n, ops := requests(s); n > c.max {
			t.Errorf("%s %s: %d requests (%s), want at most %d", c.tool, c.args, n, ops, c.max)
		}
	}
}

// TestRequests_ColdTargetFilter: a session that has read nothing yet pays one list per
// resource type once for a name of unknown type; the next filter costs one request.
func TestRequests_ColdTargetFilter(t *testing.T) {
	cs, s := seedSession(t)
	requests(s)
	call(t, cs, "komodo_read_ListUpdates", `{"target":"worker-queue"}`)
	cold, ops := requests(s)
	if cold > 1+len(resources.Types) {
		t.Errorf("cold target filter: %d requests (%s)", cold, ops)
	}
	call(t, cs, "komodo_read_ListUpdates", `{"target":"redis-cache"}`)
	if n, ops := requests(s); n > 1 {
		t.Errorf("warm target filter: %d requests (%s), want 1", n, ops)
	}
	// A name the index does not know reads the types again once (it may be new), then
	// refuses by name.
	res := call(t, cs, "komodo_read_ListUpdates", `{"target":"no-such-thing"}`)
	if code, msg := toolError(t, res); code != "NOT_FOUND" || !strings.Contains(msg, "no-such-thing") {
		t.Errorf("unknown target: %s %s", code, msg)
	}
}

// TestNames_WhereKomodoTakesIDs sweeps every tool whose Komodo request has a resource
// query: each id list of its query.specific takes names (a name that exists does not
// answer an error, and filters like its id) and a name that matches nothing is refused
// by name - never a silently empty list.
func TestNames_WhereKomodoTakesIDs(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.Document, &doc); err != nil {
		t.Fatal(err)
	}
	type prop struct {
		Type        string `json:"type"`
		Description string `json:"description"`
		AllOf       []struct {
			Ref string `json:"$ref"`
		} `json:"allOf"`
	}
	schema := func(name string) map[string]prop {
		var s struct {
			Properties map[string]prop `json:"properties"`
		}
		_ = json.Unmarshal(doc.Components.Schemas[name], &s)
		return s.Properties
	}
	ref := func(p prop) string {
		if len(p.AllOf) == 0 {
			return ""
		}
		return strings.TrimPrefix(p.AllOf[0].Ref, "#/components/schemas/")
	}
	// The type of resource each id list names, by its words ("Only accepts Server id").
	typeOf := map[string]string{"server_ids": "Server", "servers": "Server", "swarm_ids": "Swarm", "build_ids": "Build", "builder_ids": "Builder", "linked_repos": "Repo"}

	cs, _ := seedSessionAll(t)
	checked := 0
	for _, ct := range catalog.Tools {
		q, ok := schema(ct.Operation)["query"]
		if !ok || ct.Module != "read" {
			continue
		}
		specific := ref(schema(ref(q))["specific"])
		if specific == "" {
			continue
		}
		for field, p := range schema(specific) {
			desc := strings.ToLower(p.Description)
			takesIDs := strings.HasSuffix(field, "_ids") || strings.Contains(desc, " id (not name)") || strings.Contains(desc, " ids")
			if p.Type != "array" || !takesIDs {
				continue
			}
			typ := typeOf[field]
			if typ == "" {
				t.Errorf("%s query.specific.%s: which type does it name?", ct.Name, field)
				continue
			}
			checked++
			res := call(t, cs, ct.Name, fmt.Sprintf(`{"query":{"specific":{%q:["no-such-%s"]}}}`, field, strings.ToLower(typ)))
			if code, msg := toolError(t, res); code != "NOT_FOUND" || !strings.Contains(msg, "no-such-") {
				t.Errorf("%s query.specific.%s with an unknown name: %s %s, want NOT_FOUND naming it", ct.Name, field, code, msg)
			}
			list := structured(t, call(t, cs, "komodo_read_List"+typ+"s", `{}`))
			items, _ := list["items"].([]any)
			if len(items) == 0 {
				continue // the simulator has none of this type
			}
			name := items[0].(map[string]any)["name"].(string)
			if res := call(t, cs, ct.Name, fmt.Sprintf(`{"query":{"specific":{%q:[%q]}}}`, field, name)); res.IsError {
				code, msg := toolError(t, res)
				t.Errorf("%s query.specific.%s with %s %q: %s %s", ct.Name, field, typ, name, code, msg)
			}
		}
	}
	if checked < 10 {
		t.Errorf("only %d id lists checked: the sweep lost its tools", checked)
	}
	// A name in server_ids finds what its id finds.
	byName := names(envelope(t, call(t, cs, "komodo_read_ListStacks", `{"query":{"specific":{"server_ids":["prod-2"]}}}`), -1, 1, 50))
	if len(byName) == 0 {
		t.Error("ListStacks on prod-2 by name is empty")
	}
}

// TestGetStack_LastDeployCountsServiceDeploys: Komodo records a deploy of some services
// as DeployStackService (bin/core/src/helpers/update.rs): it is the stack's last deploy.
func TestGetStack_LastDeployCountsServiceDeploys(t *testing.T) {
	cs, _ := seedSession(t)
	res := structured(t, call(t, cs, "komodo_execute_DeployStack", `{"id":"monitoring","services":["grafana"],"wait":true}`))
	if res["status"] != "succeeded" {
		t.Fatalf("DeployStack of one service: %v", res["status"])
	}
	stack := structured(t, call(t, cs, "komodo_read_GetStack", `{"id":"monitoring"}`))
	last, _ := stack["last_deploy"].(map[string]any)
	if last["operation"] != "DeployStackService" || last["id"] != res["job_id"] {
		t.Errorf("last_deploy = %v, want the DeployStackService update %v", last, res["job_id"])
	}
	if tm, _ := last["time"].(string); !strings.HasSuffix(tm, "Z") {
		t.Errorf("last_deploy time %q is not ISO 8601 UTC", tm)
	}
}

// TestGetUpdate_NoMarkup: Komodo's "Task Error" stages carry HTML for its web UI; every
// log text an assistant reads is plain (GetUpdate's stderr, not only stderr_tail).
func TestGetUpdate_NoMarkup(t *testing.T) {
	cs, s := seedSessionAll(t)
	if err := s.SetState("Server", "prod-1", "NotOk"); err != nil {
		t.Fatal(err)
	}
	res := structured(t, call(t, cs, "komodo_execute_PruneImages", `{"id":"prod-1","wait":true}`))
	update := call(t, cs, "komodo_read_GetUpdate", fmt.Sprintf(`{"id":%q}`, res["job_id"]))
	text := update.Content[0].(*mcp.TextContent).Text
	if strings.Contains(text, "<span") || !strings.Contains(text, "ERROR") {
		t.Errorf("GetUpdate of a failed update: %s", text)
	}
	if !strings.Contains(fmt.Sprint(structured(t, call(t, cs, "komodo_read_GetUpdate", fmt.Sprintf(`{"id":%q,"raw":true}`, res["job_id"])))), "<span") {
		t.Error("raw: true must keep Komodo's answer as it came")
	}
}
