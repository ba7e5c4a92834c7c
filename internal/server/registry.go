package server

import (
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// entry is one tool the server can expose: a generated catalog tool or a hand-written one.
type entry struct {
	name     string
	module   string // read, write, execute, user, auth, terminal
	toolset  string // family toolset
	readOnly bool
	tool     *catalog.Tool // nil for hand-written tools
	extra    *extraTool    // nil for generated tools
}

// Selection says which tools to expose; see Select.
type Selection struct {
	Toolsets []string // family or module toolsets, "default", "all"; empty means "default"
	Tools    []string // individual tools added on top
	Exclude  []string // tools removed
	ReadOnly bool     // drop every tool that is not read-only; wins over everything
}

// moduleToolsets select every tool of one module.
var moduleToolsets = []string{"read", "write", "execute", "auth"}

// toolsetAliases are the usage guide's module names for family toolsets.
var toolsetAliases = map[string]string{"terminal": "terminals", "user": "users"}

// entries lists every tool the server knows, generated and hand-written.
func entries(extras []*extraTool) []entry {
	all := make([]entry, 0, len(catalog.Tools)+len(extras))
	for i := range catalog.Tools {
		t := &catalog.Tools[i]
		all = append(all, entry{name: t.Name, module: t.Module, toolset: t.Toolset, readOnly: t.ReadOnly, tool: t})
	}
	for _, x := range extras {
		all = append(all, entry{name: x.def.Name, module: x.module, toolset: x.toolset, readOnly: x.def.Annotations.ReadOnlyHint, extra: x})
	}
	return all
}

// defaultNames is the default surface: the catalog's default list plus hand-written
// tools marked default.
func defaultNames(extras []*extraTool) []string {
	names := slices.Clone(catalog.Default)
	for _, x := range extras {
		if x.isDefault {
			names = append(names, x.def.Name)
		}
	}
	return names
}

// Select resolves a selection into the tools to expose, sorted by name. An unknown
// toolset or tool name is an error that names it and lists what exists.
func selectEntries(all []entry, defaults []string, sel Selection) ([]entry, error) {
	byName := map[string]entry{}
	families := map[string]bool{}
	for _, e := range all {
		byName[e.name] = e
		families[e.toolset] = true
	}
	chosen := map[string]bool{}
	toolsets := sel.Toolsets
	if len(toolsets) == 0 {
		toolsets = []string{"default"}
	}
	for _, ts := range toolsets {
		if alias, ok := toolsetAliases[ts]; ok {
			ts = alias
		}
		switch {
		case ts == "all":
			for _, e := range all {
				chosen[e.name] = true
			}
		case ts == "default":
			for _, n := range defaults {
				chosen[n] = true
			}
		case slices.Contains(moduleToolsets, ts):
			for _, e := range all {
				if e.module == ts {
					chosen[e.name] = true
				}
			}
		case families[ts]:
			for _, e := range all {
				if e.toolset == ts {
					chosen[e.name] = true
				}
			}
		default:
			return nil, fmt.Errorf("unknown toolset %q: use one of all, default, %s, %s",
				ts, strings.Join(moduleToolsets, ", "), strings.Join(sortedKeys(families), ", "))
		}
	}
	for _, n := range sel.Tools {
		if _, ok := byName[n]; !ok {
			return nil, fmt.Errorf("unknown tool %q in --tools: `komodo-mcp tools --toolsets all` lists every tool", n)
		}
		chosen[n] = true
	}
	for _, n := range sel.Exclude {
		if _, ok := byName[n]; !ok {
			return nil, fmt.Errorf("unknown tool %q in --exclude-tools: `komodo-mcp tools --toolsets all` lists every tool", n)
		}
		delete(chosen, n)
	}
	var out []entry
	for n := range chosen {
		e := byName[n]
		if sel.ReadOnly && !e.readOnly {
			continue
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func sortedKeys(m map[string]bool) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ToolInfo describes an exposed tool for listings (`komodo-mcp tools`).
type ToolInfo struct {
	Name, Title, Module, Toolset string
	ReadOnly, Destructive        bool
	InputBytes, OutputBytes      int // size of the input and output schemas in tools/list
}

// List resolves a selection without connecting to Komodo.
func List(sel Selection) ([]ToolInfo, error) {
	extras := extraTools()
	chosen, err := selectEntries(entries(extras), defaultNames(extras), sel)
	if err != nil {
		return nil, err
	}
	out := make([]ToolInfo, 0, len(chosen))
	for _, e := range chosen {
		info := ToolInfo{Name: e.name, Module: e.module, Toolset: e.toolset, ReadOnly: e.readOnly}
		if t := e.tool; t != nil {
			info.Title, info.Destructive = t.Title, t.Destructive
			info.InputBytes, info.OutputBytes = len(t.InputSchema), len(t.OutputSchema)
		} else {
			def := e.extra.def
			info.Title = def.Title
			info.Destructive = def.Annotations.DestructiveHint != nil && *def.Annotations.DestructiveHint
			in, _ := json.Marshal(def.InputSchema)
			info.InputBytes = len(in)
			if def.OutputSchema != nil {
				o, _ := json.Marshal(def.OutputSchema)
				info.OutputBytes = len(o)
			}
		}
		out = append(out, info)
	}
	return out, nil
}
