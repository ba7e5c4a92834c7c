package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

var update = flag.Bool("update", false, "rewrite the tool snapshots in testdata/toolsnaps")

// listed is one entry of a live tools/list: the tool as the client decoded it, and the
// JSON object it came as.
type listed struct {
	tool *mcp.Tool
	raw  map[string]any
}

// listAll serves every tool of the inventory and answers what tools/list returns.
func listAll(t *testing.T) []listed {
	t.Helper()
	s := simtest.Start(t)
	// A client that renders MCP Apps: it is shown the fleet view's own tools as well.
	cs := uiSession(t, s.URL(), server.Selection{Toolsets: []string{"all"}}, true)
	var out []listed
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(tool)
		if err != nil {
			t.Fatal(err)
		}
		var raw map[string]any
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		out = append(out, listed{tool, raw})
	}
	return out
}

// TestInventory_ListsEveryTool checks that tools/list with every toolset shows each tool
// of the inventory, generated and hand-written, once.
func TestInventory_ListsEveryTool(t *testing.T) {
	var got []string
	for _, l := range listAll(t) {
		got = append(got, l.tool.Name)
	}
	var want []string
	for _, tool := range server.Inventory() {
		want = append(want, tool.Def.Name)
	}
	if !slices.Equal(got, want) {
		t.Errorf("tools/list shows %d tools, the inventory has %d", len(got), len(want))
	}
	for _, hand := range []string{"komodo_auth_Login", "komodo_auth_Status", "komodo_read_WaitForUpdate", "komodo_terminal_Execute"} {
		if !slices.Contains(got, hand) {
			t.Errorf("hand-written tool %s is not listed", hand)
		}
	}
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,48}$`)

// TestInventory_ClientLimits checks every listed tool against what the major MCP clients
// accept: names, titles, descriptions, explicit annotations, and schemas without $ref,
// top-level unions or arrays without items.
func TestInventory_ClientLimits(t *testing.T) {
	modules := map[string]string{}
	for _, tool := range server.Inventory() {
		modules[tool.Def.Name] = tool.Module
	}
	for _, l := range listAll(t) {
		name := l.tool.Name
		if !validName.MatchString(name) {
			t.Errorf("%s: name does not match %s", name, validName)
		}
		if modules[name] == "gateway" { // the gateway's two tools are named for what they do
			if name != "komodo_search_tools" && name != "komodo_call_tool" {
				t.Errorf("%s: unexpected gateway tool", name)
			}
		} else if !strings.HasPrefix(name, "komodo_"+modules[name]+"_") {
			t.Errorf("%s: name is not komodo_{module}_{Type} (module %q)", name, modules[name])
		}
		if l.tool.Description == "" || l.tool.Title == "" {
			t.Errorf("%s: missing description or title", name)
		}
		ann, _ := l.raw["annotations"].(map[string]any)
		for _, hint := range []string{"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint", "title"} {
			if _, ok := ann[hint]; !ok {
				t.Errorf("%s: annotation %s is not explicit", name, hint)
			}
		}
		in, _ := l.raw["inputSchema"].(map[string]any)
		if in["type"] != "object" {
			t.Errorf("%s: input schema root type = %v, want object", name, in["type"])
		}
		for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
			if _, ok := in[kw]; ok {
				t.Errorf("%s: top-level %s in input schema", name, kw)
			}
		}
		check := func(which string) func(string, map[string]any) {
			return func(path string, s map[string]any) {
				for _, kw := range []string{"$ref", "$defs", "definitions", "nullable", "discriminator"} {
					if _, ok := s[kw]; ok {
						t.Errorf("%s %s%s: has %s", name, which, path, kw)
					}
				}
				if typeIs(s, "array") && s["items"] == nil {
					t.Errorf("%s %s%s: array without items", name, which, path)
				}
			}
		}
		walk("", in, check("input"))
		if out, ok := l.raw["outputSchema"].(map[string]any); ok {
			if out["type"] != "object" {
				t.Errorf("%s: output schema root type = %v, want object", name, out["type"])
			}
			walk("", out, check("output"))
		}
	}
}

// TestInventory_Annotations checks, over the live tools/list, that every tool's hints are
// its typed effect's and agree with the confirmation policy: readOnlyHint exactly for
// reads, destructiveHint exactly for what KOMODO_CONFIRM=destructive asks about.
func TestInventory_Annotations(t *testing.T) {
	inv := map[string]*server.Tool{}
	for _, tool := range server.Inventory() {
		inv[tool.Def.Name] = tool
	}
	counts := map[catalog.Effect]int{}
	for _, l := range listAll(t) {
		a := l.tool.Annotations
		name := l.tool.Name
		tool := inv[name]
		destructive := a.DestructiveHint != nil && *a.DestructiveHint
		if tool.Dispatches { // the gateway: its called tool meets the policy itself
			if a.ReadOnlyHint || !destructive {
				t.Errorf("%s: the gateway can call anything: not read-only, destructive", name)
			}
			continue
		}
		e := tool.Effect
		counts[e]++
		if !e.Known() {
			t.Errorf("%s: unknown effect %q", name, e)
			continue
		}
		if a.ReadOnlyHint != e.ReadOnly() {
			t.Errorf("%s: readOnlyHint %v, effect %s", name, a.ReadOnlyHint, e)
		}
		if asks := confirm.Needed(config.ConfirmDestructive, e); destructive != asks {
			t.Errorf("%s: destructiveHint %v but KOMODO_CONFIRM=destructive asks: %v (effect %s)", name, destructive, asks, e)
		}
		if e.ReadOnly() && !a.IdempotentHint {
			t.Errorf("%s: a read must be idempotent", name)
		}
		if ct, ok := catalog.ByName(name); ok && e.ReadOnly() != (ct.Module == "read" || ct.Module == "user") {
			t.Errorf("%s: module %s, effect %s", name, ct.Module, e)
		}
		if tool.Operation == "" {
			t.Errorf("%s: no operation for the audit log", name)
		}
	}
	t.Logf("effects over tools/list: %v", counts)
	// The cases, and everyday work that must not ask.
	for name, want := range map[string]bool{
		"komodo_execute_RunStackService": true, "komodo_write_UpdateAction": true, "komodo_execute_RunAction": true,
		"komodo_execute_TriggerAction": true, "komodo_write_UpdateUserAdmin": true, "komodo_write_UpdatePermissionOnTarget": true,
		"komodo_write_CreateTerminal": true, "komodo_execute_StopAllContainers": true, "komodo_execute_StopServer": true,
		"komodo_execute_DestroyStack": true, "komodo_execute_PruneImages": true, "komodo_write_DeleteAllTerminals": true,
		"komodo_write_RotateServerKeys": true, "komodo_write_CreateApiKeyForServiceUser": true, "komodo_terminal_Execute": true,
		"komodo_execute_Deploy": false, "komodo_execute_StartStack": false, "komodo_execute_RestartStack": false,
		"komodo_write_CreateServer": false, "komodo_write_CopyDeployment": false, "komodo_auth_Logout": false,
	} {
		tool, ok := inv[name]
		if !ok || *tool.Def.Annotations.DestructiveHint != want {
			t.Errorf("%s: destructiveHint should be %v (or the tool is missing)", name, want)
		}
	}
	if a := inv["komodo_auth_Status"].Def.Annotations; !a.ReadOnlyHint {
		t.Error("komodo_auth_Status must be read-only")
	}
}

// TestInventory_OutputAllowsCompactResults checks that every listed output schema accepts
// the compact results reads return: below our own wrapper nothing is required (nulls,
// empty and default values are left out, `fields` keeps only what was asked for), and
// time fields accept ISO 8601 text as well as Komodo's Unix milliseconds (raw: true).
func TestInventory_OutputAllowsCompactResults(t *testing.T) {
	emitted := 0
	for _, l := range listAll(t) {
		out, ok := l.raw["outputSchema"].(map[string]any)
		if !ok {
			continue
		}
		emitted++
		ct, generated := catalog.ByName(l.tool.Name)
		wrapped := !generated || ct.ResultWrap != ""
		walk("", out, func(path string, s map[string]any) {
			if req, _ := s["required"].([]any); len(req) > 0 && (path != "" || !wrapped) {
				t.Errorf("%s output %s: requires %v, which a compact result may leave out", l.tool.Name, path, req)
			}
			props, _ := s["properties"].(map[string]any)
			for name, p := range props {
				pm := p.(map[string]any)
				isTime := name == "ts" || strings.HasSuffix(name, "_ts") || strings.HasSuffix(name, "_at")
				if isTime && (typeHas(pm, "integer") || typeHas(pm, "number")) && !typeHas(pm, "string") {
					t.Errorf("%s output %s/%s: a time field must accept ISO 8601 text", l.tool.Name, path, name)
				}
			}
		})
	}
	if emitted == 0 {
		t.Fatal("no output schemas listed")
	}
}

// TestInventory_Snapshots compares every tool as tools/list returns it with its golden
// snapshot in testdata/toolsnaps. Run `go test ./internal/server -run Snapshots -update`
// after a deliberate change and review the diff. A missing snapshot is a failure.
func TestInventory_Snapshots(t *testing.T) {
	dir := filepath.Join("testdata", "toolsnaps")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, l := range listAll(t) {
		// Re-encoding the decoded object sorts the keys at every level.
		snap, err := json.MarshalIndent(l.raw, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		snap = append(snap, '\n')
		file := l.tool.Name + ".snap"
		seen[file] = true
		path := filepath.Join(dir, file)
		if *update {
			if err := os.WriteFile(path, snap, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (%v): run `go test ./internal/server -run Snapshots -update` and review it", l.tool.Name, err)
			continue
		}
		if !bytes.Equal(want, snap) {
			t.Errorf("%s: tools/list differs from %s: run `go test ./internal/server -run Snapshots -update` and review the diff", l.tool.Name, path)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if seen[e.Name()] {
			continue
		}
		if *update {
			if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
				t.Error(err)
			}
		} else {
			t.Errorf("stale snapshot %s: the tool no longer exists", e.Name())
		}
	}
}

// walk calls fn for every schema nested in s, with its JSON pointer-ish path.
func walk(path string, s map[string]any, fn func(path string, s map[string]any)) {
	fn(path, s)
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			if m, ok := v.(map[string]any); ok {
				walk(path+"/properties/"+k, m, fn)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		walk(path+"/items", items, fn)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		walk(path+"/additionalProperties", ap, fn)
	}
	for _, kw := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[kw].([]any); ok {
			for i, a := range alts {
				if m, ok := a.(map[string]any); ok {
					walk(path+"/"+kw+"/"+strconv.Itoa(i), m, fn)
				}
			}
		}
	}
}

func typeIs(s map[string]any, want string) bool {
	switch v := s["type"].(type) {
	case string:
		return v == want
	case []any:
		return slices.Contains(v, any(want))
	}
	return false
}

// TestMiddleware_EveryTool checks that Options.Middleware wraps generated and
// hand-written tools alike, and tools called by name with CallTool - inside the layer
// that makes the Call: a call refused by validation never reaches it.
func TestMiddleware_EveryTool(t *testing.T) {
	s := simtest.Start(t)
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	record := func(tag string) server.Middleware {
		return func(tool *server.Tool, next server.Handler) server.Handler {
			return func(ctx context.Context, c *server.Call) (*mcp.CallToolResult, error) {
				seen = append(seen, tag+":"+tool.Def.Name)
				return next(ctx, c)
			}
		}
	}
	srv, err := server.New(client, server.Selection{ReadOnly: true}, quiet, server.Options{Middleware: []server.Middleware{record("outer"), record("inner")}})
	if err != nil {
		t.Fatal(err)
	}
	cs := session(t, srv)
	ctx := context.Background()

	call(t, cs, "komodo_read_ListServers", `{}`)
	toolError(t, call(t, cs, "komodo_read_WaitForUpdate", `{"nope":1}`)) // refused by validation, before the middleware
	byName := func(name, args string) *mcp.CallToolResult {
		res, err := srv.CallTool(ctx, &mcp.CallToolRequest{Params: &mcp.CallToolParamsRaw{Name: name, Arguments: json.RawMessage(args)}})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	structured(t, byName("komodo_read_ListTags", `{}`)) // not on the default surface, still callable by name
	if code, _ := toolError(t, byName("komodo_execute_Deploy", `{"id":"web-frontend"}`)); code != "VALIDATION_ERROR" {
		t.Errorf("a read-only server called an execute tool by name: %s", code)
	}
	want := []string{
		"outer:komodo_read_ListServers", "inner:komodo_read_ListServers",
		"outer:komodo_read_ListTags", "inner:komodo_read_ListTags",
	}
	if !slices.Equal(seen, want) {
		t.Errorf("middleware saw %v, want %v", seen, want)
	}
	if s.Count("Deploy") != 0 {
		t.Error("Deploy reached Komodo from a read-only server")
	}
}

// typeHas reports whether a schema's type is, or lists, typ.
func typeHas(s map[string]any, typ string) bool {
	switch t := s["type"].(type) {
	case string:
		return t == typ
	case []any:
		return slices.Contains(t, any(typ))
	}
	return false
}
