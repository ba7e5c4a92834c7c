package catalog_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

var update = flag.Bool("update", false, "rewrite the tool schema snapshots in testdata/toolsnaps")

func decode(t *testing.T, raw []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatalf("schema is not a JSON object: %v", err)
	}
	return m
}

// walk calls fn for every schema nested in s, with its JSON pointer-ish path.
func walk(path string, s map[string]any, fn func(path string, s map[string]any)) {
	fn(path, s)
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			walk(path+"/properties/"+k, v.(map[string]any), fn)
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
				walk(path+"/"+kw+"/"+strconv.Itoa(i), a.(map[string]any), fn)
			}
		}
	}
}

var validName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,48}$`)

// TestTools_ClientLimits checks every tool against what the major MCP clients accept.
func TestTools_ClientLimits(t *testing.T) {
	operations, aliases := 0, 0
	for _, tool := range catalog.Tools {
		if tool.Name == "komodo_"+tool.Module+"_"+tool.Operation {
			operations++
		} else {
			aliases++
		}
	}
	if operations != 334 || aliases != 5 {
		t.Errorf("%d operation tools and %d aliases, want 333 Komodo operations + GetUser and the guide's 5 aliases", operations, aliases)
	}
	for _, tool := range catalog.Tools {
		if !validName.MatchString(tool.Name) {
			t.Errorf("%s: name does not match %s", tool.Name, validName)
		}
		if !strings.HasPrefix(tool.Name, "komodo_"+tool.Module+"_") {
			t.Errorf("%s: name is not komodo_{module}_{Type}", tool.Name)
		}
		if tool.Description == "" || tool.Title == "" {
			t.Errorf("%s: missing description or title", tool.Name)
		}
		in := decode(t, tool.InputSchema)
		if in["type"] != "object" {
			t.Errorf("%s: input schema root type = %v, want object", tool.Name, in["type"])
		}
		for _, kw := range []string{"oneOf", "anyOf", "allOf"} {
			if _, ok := in[kw]; ok {
				t.Errorf("%s: top-level %s in input schema", tool.Name, kw)
			}
		}
		check := func(which string) func(string, map[string]any) {
			return func(path string, s map[string]any) {
				for _, kw := range []string{"$ref", "$defs", "definitions", "nullable", "discriminator"} {
					if _, ok := s[kw]; ok {
						t.Errorf("%s %s%s: has %s", tool.Name, which, path, kw)
					}
				}
				if typeIs(s, "array") && s["items"] == nil {
					t.Errorf("%s %s%s: array without items", tool.Name, which, path)
				}
			}
		}
		walk("", in, check("input"))
		if tool.OutputSchema != nil {
			out := decode(t, tool.OutputSchema)
			if out["type"] != "object" {
				t.Errorf("%s: output schema root type = %v, want object", tool.Name, out["type"])
			}
			walk("", out, check("output"))
		}
	}
}

// TestTools_OutputAcceptsNull checks that every optional field of every output schema
// accepts null, which is how Komodo sends it.
func TestTools_OutputAcceptsNull(t *testing.T) {
	emitted := 0
	for _, tool := range catalog.Tools {
		if tool.OutputSchema == nil {
			continue
		}
		emitted++
		walk("", decode(t, tool.OutputSchema), func(path string, s map[string]any) {
			props, _ := s["properties"].(map[string]any)
			req, _ := s["required"].([]any)
			for name, p := range props {
				if path == "" && (tool.ResultWrap != "") {
					continue // our own wrapper
				}
				if !slices.Contains(req, any(name)) && !acceptsNull(p.(map[string]any)) {
					t.Errorf("%s output %s/%s: optional but does not accept null", tool.Name, path, name)
				}
			}
		})
	}
	if emitted == 0 {
		t.Fatal("no output schemas emitted")
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

func acceptsNull(s map[string]any) bool {
	if _, typed := s["type"]; !typed {
		alts, ok := s["anyOf"].([]any)
		if !ok {
			return true // no constraint
		}
		return slices.ContainsFunc(alts, func(a any) bool { return typeIs(a.(map[string]any), "null") })
	}
	return typeIs(s, "null")
}

var destructiveVerbs = []string{"Delete", "Destroy", "Stop", "Prune", "Remove", "Kill", "Update", "Rename", "Set", "Rotate", "Restart", "Deploy", "Cancel", "Unlink", "Write", "Commit", "Pull", "Clone"}

// TestTools_Annotations checks the hints clients use to ask for confirmation.
func TestTools_Annotations(t *testing.T) {
	for _, tool := range catalog.Tools {
		switch tool.Module {
		case "read", "user":
			if !tool.ReadOnly || !tool.Idempotent || tool.Destructive {
				t.Errorf("%s: read tool must be readOnly+idempotent, not destructive", tool.Name)
			}
		default:
			if tool.ReadOnly {
				t.Errorf("%s: %s tool marked read-only", tool.Name, tool.Module)
			}
			for _, verb := range destructiveVerbs {
				if strings.HasPrefix(tool.Operation, verb) || strings.HasPrefix(tool.Operation, "Batch"+verb) {
					if !tool.Destructive {
						t.Errorf("%s: %s... must be destructive", tool.Name, verb)
					}
				}
			}
		}
	}
	for _, name := range []string{"komodo_execute_StartStack", "komodo_write_CreateServer", "komodo_write_CopyDeployment"} {
		if tool, ok := catalog.ByName(name); !ok || tool.Destructive {
			t.Errorf("%s: additive tool marked destructive (or missing)", name)
		}
	}
}

// TestTools_Toolsets checks that every tool is in a declared toolset and the default
// surface exists.
func TestTools_Toolsets(t *testing.T) {
	ids := map[string]bool{}
	for _, ts := range catalog.Toolsets {
		ids[ts.ID] = true
	}
	for _, tool := range catalog.Tools {
		if !ids[tool.Toolset] {
			t.Errorf("%s: toolset %q is not declared", tool.Name, tool.Toolset)
		}
	}
	for _, name := range catalog.Default {
		if _, ok := catalog.ByName(name); !ok {
			t.Errorf("default tool %s missing", name)
		}
	}
	want := map[string]string{
		"komodo_read_ListServers": "servers", "komodo_execute_DeployStack": "stacks", "komodo_execute_Deploy": "deployments",
		"komodo_write_UpdateVariableValue": "variables", "komodo_read_ListUpdates": "updates", "komodo_execute_RunBuild": "builds",
		"komodo_read_ListBuilders": "builders", "komodo_read_ListSwarmNodes": "swarm",
	}
	for name, ts := range want {
		tool, ok := catalog.ByName(name)
		if ts == "" {
			continue
		}
		if !ok || tool.Toolset != ts {
			t.Errorf("%s: toolset = %v, want %s", name, tool, ts)
		}
	}
}

// TestTools_Snapshots compares every tool definition with its golden snapshot in
// testdata/toolsnaps. Run `go test ./gen/catalog -update` after a deliberate change and
// review the diff. A missing snapshot is a failure.
func TestTools_Snapshots(t *testing.T) {
	dir := filepath.Join("testdata", "toolsnaps")
	if *update {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for _, tool := range catalog.Tools {
		snap := snapshot(t, tool)
		path := filepath.Join(dir, tool.Name+".snap")
		seen[tool.Name+".snap"] = true
		if *update {
			if err := os.WriteFile(path, snap, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: no snapshot (%v): run `go test ./gen/catalog -update` and review it", tool.Name, err)
			continue
		}
		if !bytes.Equal(want, snap) {
			t.Errorf("%s: definition differs from %s: run `go test ./gen/catalog -update` and review the diff", tool.Name, path)
		}
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if !seen[e.Name()] {
			if *update {
				os.Remove(filepath.Join(dir, e.Name()))
			} else {
				t.Errorf("stale snapshot %s: the tool no longer exists", e.Name())
			}
		}
	}
}

// snapshot renders a tool the way tools/list shows it, with sorted keys.
func snapshot(t *testing.T, tool catalog.Tool) []byte {
	t.Helper()
	v := map[string]any{
		"name":        tool.Name,
		"title":       tool.Title,
		"description": tool.Description,
		"toolset":     tool.Toolset,
		"annotations": map[string]any{"readOnlyHint": tool.ReadOnly, "destructiveHint": tool.Destructive, "idempotentHint": tool.Idempotent},
		"inputSchema": json.RawMessage(tool.InputSchema),
	}
	if tool.OutputSchema != nil {
		v["outputSchema"] = json.RawMessage(tool.OutputSchema)
	}
	// Round-trip through any so that keys are sorted at every level.
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var sorted any
	if err := json.Unmarshal(raw, &sorted); err != nil {
		t.Fatal(err)
	}
	out, err := json.MarshalIndent(sorted, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}
