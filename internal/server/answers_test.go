package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// text is the text content of a result, as a client hands it to the model.
func text(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

// Compact results: lists are read at a glance (name, state, error, version, region,
// tags of servers - no configuration flags); raw: true is Komodo's answer; fields keeps
// what is asked, configuration included.
func TestReads_Compact(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})

	res := call(t, cs, "komodo_read_ListServers", `{}`)
	body := text(t, res)
	for _, want := range []string{`"name":"edge-1"`, `"state":"NotOk"`, `"region":"eu-frankfurt"`, `Connection refused`, `"tags":["edge"]`, `"version":"v` + s.Version() + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("compact ListServers lacks %s:\n%s", want, body)
		}
	}
	for _, noise := range []string{"null", "alerting_thresholds", `"template"`, `"stats"`, `"type":"Server"`, "send_", "public_key", "core_count", "terminals_disabled", `"address"`} {
		if strings.Contains(body, noise) {
			t.Errorf("compact ListServers still has %s:\n%s", noise, body)
		}
	}
	if addr := text(t, call(t, cs, "komodo_read_ListServers", `{"fields":["name","address","send_cpu_alerts"]}`)); !strings.Contains(addr, `"address":"https://10.0.3.7:8120"`) || !strings.Contains(addr, `"send_cpu_alerts":true`) {
		t.Errorf("fields must still give configuration: %s", addr)
	}

	raw := text(t, call(t, cs, "komodo_read_ListServers", `{"raw":true}`))
	for _, want := range []string{"null", `"send_cpu_alerts":true`, `"tags":["6968`, `"stats":{`} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw ListServers lacks Komodo's %s", want)
		}
	}

	picked := structured(t, call(t, cs, "komodo_read_ListServers", `{"fields":["name","state"]}`))
	items := picked["items"].([]any)
	first := items[0].(map[string]any)
	if len(first) != 2 || first["name"] == nil || first["info"].(map[string]any)["state"] == nil {
		t.Errorf("fields [name, state] gave %v", first)
	}
	missing := structured(t, call(t, cs, "komodo_read_ListServers", `{"fields":["name","colour"]}`))
	if note, _ := missing["missing_fields"].(string); !strings.Contains(note, "colour") {
		t.Errorf("a field no item has is not reported: %v", missing["missing_fields"])
	}

	// Updates: times in ISO 8601, targets named.
	ups := text(t, call(t, cs, "komodo_read_ListUpdates", `{"page_size":2}`))
	if !strings.Contains(ups, `"start_ts":"2026-01-15T`) || !strings.Contains(ups, `"name":"worker-queue"`) {
		t.Errorf("compact ListUpdates: %s", ups)
	}
}

// Gets say how the thing is: state, error, version, stats, last deploy.
func TestReads_GetState(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})

	srv := structured(t, call(t, cs, "komodo_read_GetServer", `{"id":"prod-1"}`))
	info := srv["info"].(map[string]any)
	if info["state"] != "Ok" || info["version"] != "v"+sim.DefaultVersion() || info["stats"] == nil {
		t.Errorf("GetServer info = %v", info)
	}
	edge := structured(t, call(t, cs, "komodo_read_GetServer", `{"id":"edge-1"}`))
	if !strings.Contains(toJSON(edge), "Connection refused") {
		t.Errorf("GetServer of an unreachable server lacks its error: %v", edge)
	}
	dep := structured(t, call(t, cs, "komodo_read_GetDeployment", `{"id":"api-gateway"}`))
	last, _ := dep["last_deploy"].(map[string]any)
	if dep["info"].(map[string]any)["state"] != "running" || last["success"] != true || !strings.HasPrefix(last["time"].(string), "2026-") {
		t.Errorf("GetDeployment state/last deploy: %v %v", dep["info"], last)
	}
	stack := structured(t, call(t, cs, "komodo_read_GetStack", `{"id":"monitoring"}`))
	if stack["info"].(map[string]any)["state"] != "running" || stack["last_deploy"] == nil {
		t.Errorf("GetStack state/last deploy: %v %v", stack["info"], stack["last_deploy"])
	}
	// Komodo's own name for the target is accepted for `id`; the log's tail is filled in.
	if got := structured(t, call(t, cs, "komodo_read_GetServer", `{"server":"prod-2"}`)); got["name"] != "prod-2" {
		t.Errorf("server alias: %v", got["name"])
	}
	if res := call(t, cs, "komodo_read_GetDeploymentLog", `{"id":"api-gateway"}`); res.IsError {
		t.Errorf("GetDeploymentLog without tail: %s", text(t, res))
	}
}

// ListUpdates' filters reach Komodo's query and the failed ones carry their stage.
func TestReads_ListUpdatesFilters(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(60*time.Millisecond))
	cs := connect(t, testConfig(s.URL()), server.Selection{})

	failed := envelope(t, call(t, cs, "komodo_read_ListUpdates", `{"operation":"RunBuild","success":false}`), 1, 1, 50)
	if failed[0]["failed_stage"] != "Build Image" || !strings.Contains(failed[0]["stderr_tail"].(string), "failed to solve") {
		t.Errorf("failed build update: %v", failed[0])
	}
	byTarget := envelope(t, call(t, cs, "komodo_read_ListUpdates", `{"target":"web-frontend"}`), -1, 1, 50)
	for _, u := range byTarget {
		if u["target"].(map[string]any)["name"] != "web-frontend" {
			t.Errorf("target filter let %v through", u["target"])
		}
	}
	if len(byTarget) < 2 { // the seeded RunBuild (build) and Deploy (deployment) named web-frontend
		t.Errorf("target web-frontend: %d updates", len(byTarget))
	}
	if n := len(envelope(t, call(t, cs, "komodo_read_ListUpdates", `{"since":"1h"}`), -1, 1, 50)); n != 0 {
		t.Errorf("since 1h before anything ran: %d updates", n)
	}
	call(t, cs, "komodo_execute_Deploy", `{"id":"web-frontend","wait":true}`)
	recent := envelope(t, call(t, cs, "komodo_read_ListUpdates", `{"since":"1h"}`), 1, 1, 50)
	if recent[0]["operation"] != "Deploy" {
		t.Errorf("since 1h after a deploy: %v", recent)
	}
	if code, msg := toolError(t, call(t, cs, "komodo_read_ListUpdates", `{"since":"yesterday-ish"}`)); code != "VALIDATION_ERROR" || !strings.Contains(msg, "since") {
		t.Errorf("bad since: %s %s", code, msg)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_read_ListUpdates", `{"target":"no-such-thing"}`)); code != "NOT_FOUND" {
		t.Errorf("unknown target: %s", code)
	}
}

// Misses teach: a wrong name gets the closest names, an unlisted tool says how to reach it.
func TestMisses(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})

	res := call(t, cs, "komodo_read_GetDeployment", `{"id":"api"}`)
	if code, _ := toolError(t, res); code != "NOT_FOUND" || !strings.Contains(text(t, res), "Did you mean api-gateway?") {
		t.Errorf("NOT_FOUND without the closest name: %s", text(t, res))
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_execute_PruneImages", Arguments: map[string]any{"id": "prod-1"}})
	if err != nil {
		t.Fatalf("an unlisted tool is a protocol error: %v", err)
	}
	msg := text(t, res)
	if !res.IsError || !strings.Contains(msg, "containers toolset") || !strings.Contains(msg, "komodo_call_tool") {
		t.Errorf("unlisted tool: %s", msg)
	}
	res, err = cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_read_ListUpdate"})
	if err != nil || !res.IsError {
		t.Fatalf("misspelt tool: %v %v", err, res)
	}
	if code, _ := toolError(t, res); code != "NOT_FOUND" || !strings.Contains(text(t, res), "komodo_read_ListUpdates") {
		t.Errorf("misspelt tool: %s", text(t, res))
	}
}

// The gateway finds any tool and calls it through the tool's own complete handler: its
// validation, errors and the server's middleware (audit, confirmation) all apply.
func TestGateway(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(60*time.Millisecond))
	var mu sync.Mutex
	var seen []string
	record := func(tool *server.Tool, next server.Handler) server.Handler {
		return func(ctx context.Context, c *server.Call) (*mcp.CallToolResult, error) {
			mu.Lock()
			seen = append(seen, tool.Def.Name)
			mu.Unlock()
			return next(ctx, c)
		}
	}
	cs := connect(t, testConfig(s.URL()), server.Selection{Exclude: []string{"komodo_execute_PruneVolumes"}},
		server.Options{Middleware: []server.Middleware{record}})

	found := structured(t, call(t, cs, "komodo_search_tools", `{"query":"prune unused docker images on a server"}`))
	if !strings.Contains(toJSON(found), `"name":"komodo_execute_PruneImages"`) || !strings.Contains(toJSON(found), `"input_schema"`) {
		t.Errorf("search did not find PruneImages with its schema: %.400s", toJSON(found))
	}
	if strings.Contains(toJSON(found), "PruneVolumes") {
		t.Error("search offers an excluded tool")
	}

	seen = nil
	res := structured(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_execute_PruneImages","arguments":{"id":"prod-1","wait":true}}`))
	if res["status"] != "succeeded" {
		t.Errorf("PruneImages through the gateway: %v", res)
	}
	mu.Lock()
	if len(seen) != 2 || seen[0] != "komodo_call_tool" || seen[1] != "komodo_execute_PruneImages" {
		t.Errorf("middleware saw %v, want the gateway and then the called tool", seen)
	}
	mu.Unlock()

	// Same validation and errors as a direct call.
	code, msg := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_execute_PruneImages","arguments":{"id":"prod-1","nuke":true}}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "nuke") {
		t.Errorf("gateway validation: %s %s", code, msg)
	}
	direct := text(t, call(t, cs, "komodo_read_GetDeployment", `{"id":"no-such"}`))
	viaGateway := text(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_read_GetDeployment","arguments":{"id":"no-such"}}`))
	if direct != viaGateway {
		t.Errorf("errors differ:\ndirect  %s\ngateway %s", direct, viaGateway)
	}
	// Same selection: excluded tools and the gateway itself are refused.
	if code, msg := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_execute_PruneVolumes","arguments":{"id":"prod-1"}}`)); code != "VALIDATION_ERROR" || !strings.Contains(msg, "excluded") {
		t.Errorf("excluded tool through the gateway: %s %s", code, msg)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_call_tool","arguments":{}}`)); code != "VALIDATION_ERROR" {
		t.Errorf("gateway through the gateway: %s", code)
	}
	if code, msg := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_read_ListDeployment"}`)); code != "NOT_FOUND" || !strings.Contains(msg, "no tool named") {
		t.Errorf("unknown tool through the gateway: %s %s", code, msg)
	}
}

// A read-only server keeps the gateway, listed read-only, and it calls only reads.
func TestGateway_ReadOnly(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{ReadOnly: true})
	var gw *mcp.Tool
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		if tool.Name == "komodo_call_tool" {
			gw = tool
		}
	}
	if gw == nil || !gw.Annotations.ReadOnlyHint {
		t.Fatalf("read-only server: komodo_call_tool %v", gw)
	}
	s.ResetCounts()
	code, msg := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_execute_Deploy","arguments":{"id":"web-frontend"}}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "read-only") || s.Count("Deploy") != 0 {
		t.Errorf("read-only gateway called Deploy: %s %s", code, msg)
	}
	if res := call(t, cs, "komodo_call_tool", `{"name":"komodo_read_ListTags"}`); res.IsError {
		t.Errorf("read-only gateway refused a read: %s", text(t, res))
	}
	found := toJSON(structured(t, call(t, cs, "komodo_search_tools", `{"query":"deploy a deployment"}`)))
	if strings.Contains(found, "komodo_execute_Deploy\"") {
		t.Errorf("read-only search offers Deploy: %.300s", found)
	}
}

// FindResources finds names across types, with state and server.
func TestFindResources(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})
	got := toJSON(structured(t, call(t, cs, "komodo_read_FindResources", `{"query":"redis"}`)))
	if !strings.Contains(got, `"name":"redis-cache"`) || !strings.Contains(got, `"server":"prod-1"`) || !strings.Contains(got, `"type":"Deployment"`) {
		t.Errorf("FindResources redis: %s", got)
	}
	if got := toJSON(structured(t, call(t, cs, "komodo_read_FindResources", `{"query":"prod"}`))); !strings.Contains(got, `"type":"Server"`) {
		t.Errorf("FindResources prod: %s", got)
	}
}

func toJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A gateway call meets the confirmation policy and the audit log of the tool it calls,
// exactly as a direct call does.
func TestGateway_Policy(t *testing.T) {
	s := simtest.Start(t)
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	buf := &auditBuffer{}
	log, _ := audit.New(buf, "")
	srv, err := server.New(client, server.Selection{}, quiet, server.Options{Audit: log, Confirm: config.ConfirmDestructive})
	if err != nil {
		t.Fatal(err)
	}
	cs := session(t, srv)

	var preview map[string]any // the preview may be a tool error: read its text
	if err := json.Unmarshal([]byte(text(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_write_DeleteVariable","arguments":{"name":"LOG_LEVEL"}}`))), &preview); err != nil {
		t.Fatal(err)
	}
	tok, _ := preview["confirmation_token"].(string)
	if preview["status"] != "confirmation_required" || tok == "" {
		t.Fatalf("a destructive call through the gateway was not held for confirmation: %v", preview)
	}
	if call(t, cs, "komodo_call_tool", `{"name":"komodo_read_GetVariable","arguments":{"name":"LOG_LEVEL"}}`).IsError {
		t.Fatal("the preview deleted the variable")
	}
	if res := call(t, cs, "komodo_call_tool", `{"name":"komodo_write_DeleteVariable","arguments":{"name":"LOG_LEVEL","confirmation_token":"`+tok+`"}}`); res.IsError {
		t.Fatalf("confirmed call through the gateway: %s", text(t, res))
	}
	if !call(t, cs, "komodo_call_tool", `{"name":"komodo_read_GetVariable","arguments":{"name":"LOG_LEVEL"}}`).IsError {
		t.Error("the confirmed call did not delete the variable")
	}
	var tools []string
	for _, r := range buf.records(t) {
		tools = append(tools, r.Tool)
	}
	if strings.Join(tools, ",") != "komodo_write_DeleteVariable,komodo_write_DeleteVariable" {
		t.Errorf("audit records %v, want the preview and the deletion of komodo_write_DeleteVariable", tools)
	}
}

// The tool definitions an assistant pays for on every request stay small: the default
// tools/list within 40 KB, no default tool over 3 KB, and --toolsets all well under the
// 549 KB it was before nested configs were described briefly.
func TestToolList_Budget(t *testing.T) {
	s := simtest.Start(t)
	for _, tc := range []struct {
		toolsets       []string
		total, perTool int
	}{
		{nil, 40 << 10, 3 << 10},
		{[]string{"all"}, 360 << 10, 4 << 10},
	} {
		cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: tc.toolsets})
		res, err := cs.ListTools(context.Background(), nil)
		if err != nil {
			t.Fatal(err)
		}
		whole, _ := json.Marshal(res)
		if len(whole) > tc.total {
			t.Errorf("%v: tools/list is %d bytes, budget %d", tc.toolsets, len(whole), tc.total)
		}
		for _, tool := range res.Tools {
			if b, _ := json.Marshal(tool); len(b) > tc.perTool {
				t.Errorf("%v: %s is %d bytes, budget %d", tc.toolsets, tool.Name, len(b), tc.perTool)
			}
		}
	}
}

// TestLists_AtAGlance: the byte targets of lists on the Komodo-shaped world (issue 18):
// three servers with an unreachable one's error in at most 600 B, the stacks in 700 B,
// four deployments (one crash-looping, one exited) in 600 B - keeping what an operator
// scans: names (not ids), states, errors and exit codes, images, servers, tags.
func TestLists_AtAGlance(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})
	cases := []struct {
		tool, args string
		max        int
		want       []string
	}{
		{"komodo_read_ListServers", `{"query":{"names":["edge-1","prod-1","prod-2"]}}`, 600,
			[]string{`"name":"edge-1"`, `"state":"NotOk"`, "Connection refused (os error 111)", `"name":"prod-2"`, `"tags":["prod"]`}},
		{"komodo_read_ListStacks", `{}`, 700,
			[]string{`"name":"monitoring"`, `"server_name":"prod-1"`, `"state":"unknown"`, `"project_missing":true`, `"status":"exited(4)"`}},
		{"komodo_read_ListDeployments", `{"query":{"names":["api-gateway","redis-cache","worker-queue","web-frontend"]}}`, 600,
			[]string{`"state":"restarting"`, "Exited (137)", `"image":"redis:7.4-alpine"`, `"server_name":"prod-2"`, `"tags":["prod","infra"]`}},
	}
	for _, c := range cases {
		body := text(t, call(t, cs, c.tool, c.args))
		if len(body) > c.max {
			t.Errorf("%s %s: %d bytes, want at most %d:\n%s", c.tool, c.args, len(body), c.max, body)
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s lacks %s:\n%s", c.tool, w, body)
			}
		}
		if strings.Contains(body, `"id":"`) {
			t.Errorf("%s: ids are not read at a glance (every tool takes names):\n%s", c.tool, body)
		}
	}
}
