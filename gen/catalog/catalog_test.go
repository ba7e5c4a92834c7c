package catalog_test

import (
	"encoding/json"
	"strconv"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// The checks of what clients receive (names, annotations, schema rules, snapshots) run
// over a live tools/list in internal/server, hand-written tools included. These check
// what only the catalog knows.

// TestTools_Operations checks that the catalog has one tool per Komodo operation, plus
// GetUser and the five seed aliases.
func TestTools_Operations(t *testing.T) {
	operations, aliases := 0, 0
	for _, tool := range catalog.Tools {
		if tool.Name == "komodo_"+tool.Module+"_"+tool.Operation {
			operations++
		} else {
			aliases++
		}
	}
	if operations != 334 || aliases != 5 {
		t.Errorf("%d operation tools and %d aliases, want 333 Komodo operations + GetUser and the 5 seed aliases", operations, aliases)
	}
	for _, tool := range catalog.Tools {
		if got, ok := catalog.ByName(tool.Name); !ok || got.Name != tool.Name {
			t.Errorf("ByName(%s) = %v, %v", tool.Name, got, ok)
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
