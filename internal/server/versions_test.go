package server_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// TestKomodoVersion_Older meets a Komodo 1.19.5 Core: the server reads its version and
// serves its tools (what it lacks leaves tools/list, with list_changed; renamed operations
// keep their tool names), and the everyday tools work against it.
func TestKomodoVersion_Older(t *testing.T) {
	s := simtest.Start(t, func(o *sim.Options) { o.KomodoVersion = "1.19.5" })
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{Toolsets: []string{"all"}}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	changed := make(chan struct{}, 16)
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, &mcp.ClientOptions{
		ToolListChangedHandler: func(context.Context, *mcp.ToolListChangedRequest) { changed <- struct{}{} },
	}).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })

	names := func() map[string]bool {
		out := map[string]bool{}
		for tool, err := range cs.Tools(ctx, nil) {
			if err != nil {
				t.Fatal(err)
			}
			out[tool.Name] = true
		}
		return out
	}
	if !names()["komodo_write_CreateSwarm"] {
		t.Fatal("before detection the newest version's tools are served")
	}
	m, err := srv.DetectKomodo(ctx)
	if err != nil || m.Catalog.Version != "1.19.5" || !m.Exact {
		t.Fatalf("DetectKomodo = %+v, %v", m, err)
	}
	select {
	case <-changed:
	case <-time.After(30 * time.Second):
		t.Fatal("no notifications/tools/list_changed")
	}
	got := names()
	for _, gone := range []string{"komodo_write_CreateSwarm", "komodo_execute_CancelAction", "komodo_write_RotateCoreKeys", "komodo_read_ListSwarms"} {
		if got[gone] {
			t.Errorf("%s is offered to a 1.19.5 Core", gone)
		}
	}
	for _, want := range []string{"komodo_write_CreateBuildWebhook", "komodo_read_ListContainers", "komodo_read_ListServers", "komodo_execute_Deploy"} {
		if !got[want] {
			t.Errorf("%s is missing for a 1.19.5 Core", want)
		}
	}
	if res := call(t, cs, "komodo_read_ListContainers", `{"id":"prod-1"}`); res.IsError {
		t.Errorf("ListContainers (ListDockerContainers on 1.19.5): %s", res.Content[0].(*mcp.TextContent).Text)
	}
	if res := call(t, cs, "komodo_read_ListServers", `{}`); res.IsError {
		t.Errorf("ListServers on 1.19.5: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	// A field 1.19.5 lacks (lists took no page/limit before 2.3) is refused by name, not sent.
	if res := call(t, cs, "komodo_read_ListTags", `{"limit": 5}`); !res.IsError {
		t.Errorf("ListTags with limit on 1.19.5 should be refused, got %+v", res.StructuredContent)
	}
	code, msg := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_execute_CancelAction","arguments":{"action":"x"}}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "CancelAction") {
		t.Errorf("CancelAction on 1.19.5: %s %s", code, msg)
	}
	// What an upgrade of this Core to the newest version brings, from the changelog.
	ch := structured(t, call(t, cs, "komodo_read_KomodoChanges", `{}`))
	text := fmt.Sprint(ch)
	if ch["from"] != "1.19.5" || ch["to"] != catalog.KomodoVersion || !strings.Contains(text, "CancelAction") ||
		!strings.Contains(text, "from:ListDockerContainers") || !strings.Contains(text, "to:ListContainers") {
		t.Errorf("KomodoChanges from this 1.19.5 Core: %v", ch)
	}
	ch = structured(t, call(t, cs, "komodo_read_KomodoChanges", `{"from":"2.2","to":"2.3.2","operation":"Container"}`))
	if n := ch["counts"].(map[string]any)["renamed"]; fmt.Sprint(n) != "4" {
		t.Errorf("2.2 -> 2.3.2 Container renames = %v: %v", n, ch)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_read_KomodoChanges", `{"to":"9.9"}`)); code != "VALIDATION_ERROR" {
		t.Errorf("unknown version: %s", code)
	}
}

// TestKomodoVersion_Newest: a Core of the newest version keeps the tools as they are.
func TestKomodoVersion_Newest(t *testing.T) {
	s := simtest.Start(t)
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	m, err := srv.DetectKomodo(context.Background())
	if err != nil || m.Catalog.Version != catalog.KomodoVersion || !m.Exact || srv.Catalog() != catalog.Newest() {
		t.Fatalf("DetectKomodo = %+v, %v", m, err)
	}
}

// TestKomodoVersion_OlderWithNewerNames: a selection that names what only newer Komodo
// versions have (a tool in KOMODO_TOOLS or KOMODO_EXCLUDE_TOOLS, the swarm toolset) still
// moves to an older Core's tools, leaving those names out, rather than keeping the newest
// tools for ever (the older Core would then be sent operations it lacks).
func TestKomodoVersion_OlderWithNewerNames(t *testing.T) {
	s := simtest.Start(t, func(o *sim.Options) { o.KomodoVersion = "1.19.5" })
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	for _, sel := range []server.Selection{
		{Toolsets: []string{"all"}, Exclude: []string{"komodo_execute_CancelAction"}},
		{Toolsets: []string{"stacks"}, Tools: []string{"komodo_execute_CancelAction"}},
		{Toolsets: []string{"swarm", "stacks"}},
		{Toolsets: []string{"swarm"}},
	} {
		srv, err := server.New(client, sel, quiet)
		if err != nil {
			t.Fatal(err)
		}
		m, err := srv.DetectKomodo(context.Background())
		if err != nil {
			t.Fatalf("%+v: %v", sel, err)
		}
		if got := srv.Catalog().Version; got != "1.19.5" || m.Catalog.Version != "1.19.5" {
			t.Errorf("%+v: serves the tools of %s against a 1.19.5 Core", sel, got)
		}
		cs := session(t, srv)
		listed := 0
		for tl, err := range cs.Tools(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			listed++
			if tl.Name == "komodo_execute_CancelAction" || strings.Contains(tl.Name, "Swarm") {
				t.Errorf("%+v: 1.19.5 lacks %s, yet it is listed", sel, tl.Name)
			}
		}
		if len(sel.Toolsets) == 1 && sel.Toolsets[0] == "swarm" && listed > 0 {
			t.Errorf("only the swarm toolset, which 1.19.5 lacks: %d tools listed, want none", listed)
		}
	}
}
