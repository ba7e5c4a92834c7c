package server

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
)

// Selection says which tools to expose; see Select.
type Selection struct {
	Toolsets []string // family or module toolsets, "default", "all"; empty means "default"
	Tools    []string // individual tools added on top
	Exclude  []string // tools removed
	ReadOnly bool     // drop every tool that is not read-only; wins over everything
	// Catalog is the Komodo version's catalog whose tools are offered; nil: the newest.
	Catalog *catalog.Catalog
}

// moduleToolsets select every tool of one module.
var moduleToolsets = []string{"read", "write", "execute", "auth"}

// toolsetAliases are module names of the seed contract (terminal, user) for family toolsets.
var toolsetAliases = map[string]string{"terminal": "terminals", "user": "users"}

// selectTools resolves a selection into the tools to expose, sorted by name. An unknown
// toolset or tool name is an error that names it and lists what exists.
func selectTools(all []*Tool, sel Selection) ([]*Tool, error) {
	byName := map[string]*Tool{}
	families := map[string]bool{}
	for _, t := range all {
		byName[t.Def.Name] = t
		families[t.Toolset] = true
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
			for _, t := range all {
				chosen[t.Def.Name] = true
			}
		case ts == "default":
			for _, t := range all {
				if t.Default {
					chosen[t.Def.Name] = true
				}
			}
		case slices.Contains(moduleToolsets, ts):
			for _, t := range all {
				if t.Module == ts {
					chosen[t.Def.Name] = true
				}
			}
		case families[ts]:
			for _, t := range all {
				if t.Toolset == ts {
					chosen[t.Def.Name] = true
				}
			}
		default:
			return nil, unknownToolset(ts, families)
		}
	}
	for _, n := range sel.Tools {
		if _, ok := byName[n]; !ok {
			return nil, fmt.Errorf("unknown tool %q in --tools%s: `komodo-mcp tools --toolsets all` lists every tool", n, suggest.DidYouMean(n, slices.Sorted(maps.Keys(byName))))
		}
		chosen[n] = true
	}
	for _, n := range sel.Exclude {
		if _, ok := byName[n]; !ok {
			return nil, fmt.Errorf("unknown tool %q in --exclude-tools%s: `komodo-mcp tools --toolsets all` lists every tool", n, suggest.DidYouMean(n, slices.Sorted(maps.Keys(byName))))
		}
		delete(chosen, n)
	}
	if !chosen[fleetToolName] { // the view's own tools go with the view
		for n := range chosen {
			if appOnly(byName[n]) {
				delete(chosen, n)
			}
		}
	}
	var out []*Tool
	for n := range chosen {
		t := byName[n]
		if sel.ReadOnly && !t.readOnly() {
			continue
		}
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Def.Name < out[j].Def.Name })
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
	AppOnly                      bool // for the fleet view only: not offered to the model
	InputBytes, OutputBytes      int  // size of the input and output schemas in tools/list
}

// List resolves a selection without connecting to Komodo.
func List(sel Selection) ([]ToolInfo, error) {
	c := sel.Catalog
	if c == nil {
		c = catalog.Newest()
	}
	chosen, err := selectTools(InventoryFor(c), sel)
	if err != nil {
		return nil, err
	}
	out := make([]ToolInfo, 0, len(chosen))
	for _, t := range chosen {
		a := t.Def.Annotations
		out = append(out, ToolInfo{
			Name: t.Def.Name, Title: t.Def.Title, Module: t.Module, Toolset: t.Toolset,
			ReadOnly: a.ReadOnlyHint, Destructive: a.DestructiveHint != nil && *a.DestructiveHint, AppOnly: appOnly(t),
			InputBytes: len(schemaJSON(t.Def.InputSchema)), OutputBytes: len(schemaJSON(t.Def.OutputSchema)),
		})
	}
	return out, nil
}

// unknownToolset names a toolset that does not exist and lists those that do, each once:
// all, default, the modules (read, write, execute, auth), the families (a family may share
// a module's name, as auth does), and the aliases.
func unknownToolset(ts string, families map[string]bool) error {
	names := append([]string{"all", "default"}, moduleToolsets...)
	for _, f := range sortedKeys(families) {
		if !slices.Contains(names, f) {
			names = append(names, f)
		}
	}
	var aliases []string
	known := slices.Clone(names)
	for _, alias := range slices.Sorted(maps.Keys(toolsetAliases)) {
		aliases = append(aliases, alias+" (= "+toolsetAliases[alias]+")")
		known = append(known, alias)
	}
	return fmt.Errorf("unknown toolset %q%s: use one of %s; aliases: %s",
		ts, suggest.DidYouMean(ts, known), strings.Join(names, ", "), strings.Join(aliases, ", "))
}
