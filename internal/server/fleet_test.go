package server_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// uiSession is a session whose client declares (or not) the MCP Apps extension.
func uiSession(t *testing.T, url string, sel server.Selection, declares bool) *mcp.ClientSession {
	t.Helper()
	client, err := rpc.New(testConfig(url), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, sel, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	opts := &mcp.ClientOptions{}
	if declares {
		opts.Capabilities = &mcp.ClientCapabilities{}
		opts.Capabilities.AddExtension(fleetview.Extension, map[string]any{"mimeTypes": []string{fleetview.MIMEType}})
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "ui-test", Version: "1"}, opts).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })
	return cs
}

func listTools(t *testing.T, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	out := map[string]*mcp.Tool{}
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[tool.Name] = tool
	}
	return out
}

// The fleet tool answers the seeded fleet: servers with their states, stats of a reachable
// one, the error of an unreachable one, stacks and deployments under their server, alerts.
func TestFleet_ShowsTheFleet(t *testing.T) {
	s := simtest.Start(t)
	cs := uiSession(t, s.URL(), server.Selection{}, false)
	res := call(t, cs, "komodo_read_ShowFleet", `{}`)
	if res.IsError {
		t.Fatalf("error: %v", res.Content)
	}
	text := res.Content[0].(*mcp.TextContent).Text
	for _, want := range []string{"prod-1: Ok", "edge-1: NotOk", "lab-1: Disabled", "open alerts"} {
		if !strings.Contains(text, want) {
			t.Errorf("summary lacks %q:\n%s", want, text)
		}
	}
	var f fleetview.Fleet
	raw, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	byName := map[string]fleetview.Server{}
	items := 0
	for _, srv := range f.Servers {
		byName[srv.Name] = srv
		items += len(srv.Stacks) + len(srv.Deployments)
	}
	if p := byName["prod-1"]; p.State != "Ok" || p.Stats == nil || p.Stats.MemTotalGB == 0 || p.Version == "" {
		t.Errorf("prod-1 = %+v, want Ok with version and stats", p)
	}
	if e := byName["edge-1"]; e.State != "NotOk" || e.Error == "" {
		t.Errorf("edge-1 = %+v, want NotOk with its error", e)
	}
	if items == 0 || len(f.Alerts) == 0 || len(f.Builds) == 0 {
		t.Errorf("fleet has %d stacks+deployments, %d alerts, %d builds; want some of each", items, len(f.Alerts), len(f.Builds))
	}
	for _, a := range f.Alerts {
		if a.Target == "" || a.Level == "" || a.Type == "" {
			t.Errorf("alert without level, type or target: %+v", a)
		}
	}
	if f.Actions == nil || f.Actions.Tools["stack.stop"] != "komodo_execute_StopStack" {
		t.Errorf("actions = %+v, want the stack's stop button on komodo_execute_StopStack", f.Actions)
	}
}

// Negotiation: only a client that declares io.modelcontextprotocol/ui sees _meta.ui and the
// tools meant only for the view; the model never reaches them through the gateway.
func TestFleet_CapabilityNegotiation(t *testing.T) {
	s := simtest.Start(t)
	plain := listTools(t, uiSession(t, s.URL(), server.Selection{}, false))
	if _, ok := plain["komodo_read_FleetWatchUpdate"]; ok {
		t.Error("a client without MCP Apps lists the view's own tool")
	}
	if f, ok := plain["komodo_read_ShowFleet"]; !ok || f.Meta["ui"] != nil {
		t.Errorf("a client without MCP Apps: komodo_read_ShowFleet listed=%v meta=%v, want listed without _meta.ui", ok, f)
	}
	ui := listTools(t, uiSession(t, s.URL(), server.Selection{}, true))
	w, ok := ui["komodo_read_FleetWatchUpdate"]
	if !ok || !fleetview.AppOnly(w.Meta) {
		t.Fatalf("an MCP Apps client: watch tool listed=%v meta=%v, want visibility [app]", ok, w)
	}
	meta, _ := ui["komodo_read_ShowFleet"].Meta["ui"].(map[string]any)
	if meta["resourceUri"] != fleetview.ResourceURI {
		t.Errorf("komodo_read_ShowFleet _meta.ui = %v, want resourceUri %s", meta, fleetview.ResourceURI)
	}

	if ui["komodo_execute_DeployStack"].Meta["ui"] == nil || plain["komodo_execute_DeployStack"].Meta["ui"] != nil {
		t.Error("the execute tools behind the view's buttons show the view to MCP Apps clients only")
	}

	cs := uiSession(t, s.URL(), server.Selection{}, true)
	res, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: fleetview.ResourceURI})
	if err != nil {
		t.Fatal(err)
	}
	if c := res.Contents[0]; c.MIMEType != "text/html;profile=mcp-app" || !strings.Contains(c.Text, "<html") {
		t.Errorf("resource = %s %.60q, want the HTML view", c.MIMEType, c.Text)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_read_FleetWatchUpdate","arguments":{"id":"x"}}`)); code != "VALIDATION_ERROR" {
		t.Errorf("the gateway called the view's own tool: %s", code)
	}
	noUI := uiSession(t, s.URL(), server.Selection{}, false)
	if code, _ := toolError(t, call(t, noUI, "komodo_read_FleetWatchUpdate", `{"id":"x"}`)); code != "VALIDATION_ERROR" {
		t.Errorf("a client without MCP Apps called the view's own tool: %s", code)
	}
}

// Read-only: the view gets no actions, so it shows no buttons.
func TestFleet_ReadOnlyHasNoActions(t *testing.T) {
	s := simtest.Start(t)
	cs := uiSession(t, s.URL(), server.Selection{ReadOnly: true}, true)
	res := call(t, cs, "komodo_read_ShowFleet", `{}`)
	if res.IsError {
		t.Fatalf("error: %v", res.Content)
	}
	if a := structured(t, res)["actions"]; a != nil {
		t.Errorf("read-only fleet has actions %v", a)
	}
	if _, ok := listTools(t, cs)["komodo_read_FleetWatchUpdate"]; !ok {
		t.Error("read-only: the view cannot follow updates")
	}
}

// Excluding komodo_read_ShowFleet removes the whole view: no resource, no view tools.
func TestFleet_Off(t *testing.T) {
	s := simtest.Start(t)
	cs := uiSession(t, s.URL(), server.Selection{Exclude: []string{"komodo_read_ShowFleet"}}, true)
	tools := listTools(t, cs)
	if _, ok := tools["komodo_read_FleetWatchUpdate"]; ok {
		t.Error("the view's tool stays without the view")
	}
	if _, err := cs.ReadResource(context.Background(), &mcp.ReadResourceParams{URI: fleetview.ResourceURI}); err == nil {
		t.Error("the view's resource stays without the view")
	}
}

// A deploy watched stage by stage: each call answers once a new stage completes, until the
// update is over; a failing build names its failed stage and error.
func TestFleet_WatchUpdate(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(600*time.Millisecond))
	cs := uiSession(t, s.URL(), server.Selection{}, true)
	for _, tc := range []struct {
		tool, id string
		success  bool
	}{{"komodo_execute_DeployStack", "monitoring", true}, {"komodo_execute_Build", "api-gateway", false}} {
		started := structured(t, call(t, cs, tc.tool, `{"id":"`+tc.id+`"}`))
		job, _ := started["job_id"].(string)
		if job == "" {
			t.Fatalf("%s: no job_id in %v", tc.tool, started)
		}
		seen, calls := 0, 0
		var last map[string]any
		for {
			calls++
			if calls > 50 {
				t.Fatalf("%s: not done after 50 watches: %v", tc.tool, last)
			}
			last = structured(t, call(t, cs, "komodo_read_FleetWatchUpdate", `{"id":"`+job+`","seen":`+itoa(seen)+`,"timeout":10}`))
			stages, _ := last["stages"].([]any)
			if last["done"] == true {
				break
			}
			if len(stages) <= seen && last["status"] != "Queued" {
				t.Errorf("%s: a watch answered without a new stage: %v", tc.tool, last)
			}
			seen = len(stages)
		}
		if last["success"] != tc.success {
			t.Errorf("%s: success = %v, want %v (%v)", tc.tool, last["success"], tc.success, last)
		}
		if !tc.success && (last["failed_stage"] == nil || last["error_tail"] == nil) {
			t.Errorf("%s: a failure without failed_stage/error_tail: %v", tc.tool, last)
		}
	}
}

// The view asks for the update a tool is starting on a resource (the host showed it the
// tool's input, not yet its result) and follows the same update the tool answers.
func TestFleet_WatchByTarget(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(600*time.Millisecond))
	cs := uiSession(t, s.URL(), server.Selection{}, true)
	// The view asks first (it has the tool's input), the tool's call reaches Komodo after.
	watched := make(chan map[string]any)
	go func() {
		res, _ := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_read_FleetWatchUpdate",
			Arguments: json.RawMessage(`{"tool":"komodo_execute_Deploy","target":"web-frontend","timeout":10}`)})
		m, _ := res.StructuredContent.(map[string]any)
		watched <- m
	}()
	started := structured(t, call(t, cs, "komodo_execute_Deploy", `{"id":"web-frontend"}`))
	if p := <-watched; p["id"] != started["job_id"] || p["operation"] != "Deploy" {
		t.Errorf("watched %v (%v), want the started update %v", p["id"], p["operation"], started["job_id"])
	}
	// That update is taken: a later ask waits for a new call rather than show an old one.
	if code, _ := toolError(t, call(t, cs, "komodo_read_FleetWatchUpdate", `{"tool":"komodo_execute_Deploy","target":"web-frontend","timeout":1}`)); code != "TIMEOUT" {
		t.Errorf("a second ask: %s, want TIMEOUT", code)
	}
	for _, args := range []string{`{}`, `{"id":"x","tool":"komodo_execute_Deploy","target":"web-frontend"}`, `{"tool":"komodo_execute_Deploy"}`} {
		if code, _ := toolError(t, call(t, cs, "komodo_read_FleetWatchUpdate", args)); code != "VALIDATION_ERROR" {
			t.Errorf("%s: %s, want VALIDATION_ERROR", args, code)
		}
	}
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
