// Package selection resolves which tools a server offers from the toolsets, tools,
// exclusions and read-only setting its operator chose; an unknown name is refused with
// what exists.
package selection

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/fleettools"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Selection says which tools to expose; see Select.
type Selection struct {
	Toolsets []string // family or module toolsets, "default", "all"; empty means "default"
	Tools    []string // individual tools added on top
	Exclude  []string // tools removed
	ReadOnly bool     // drop every tool that is not read-only; wins over everything
	// Catalog is the Komodo version's catalog whose tools are offered; nil: the newest.
	Catalog *catalog.Catalog
	// SkipMissing skips the toolsets and tools that Catalog lacks instead of refusing
	// them: the server sets it when it moves to the version a Core reports, because the
	// names were checked against the catalog it started with and an older Core may lack
	// some (CancelAction, the swarm toolset on 1.19.5).
	SkipMissing bool
}

// moduleToolsets select every tool of one module.
var moduleToolsets = []string{"read", "write", "execute", "auth"}

// toolsetAliases are module names of the seed contract (terminal, user) for family toolsets.
var toolsetAliases = map[string]string{"terminal": "terminals", "user": "users"}

// Select resolves a selection among all into the tools to expose, sorted by name. An
// unknown toolset or tool name is an error that names it and lists what exists.
func Select(all []*tool.Tool, sel Selection) ([]*tool.Tool, error) {
	byName := map[string]*tool.Tool{}
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
		case sel.SkipMissing: // a toolset this version lacks: nothing of it to offer
		default:
			return nil, unknownToolset(ts, families)
		}
	}
	for _, n := range sel.Tools {
		if _, ok := byName[n]; !ok {
			if sel.SkipMissing {
				continue
			}
			return nil, fmt.Errorf("unknown tool %q in --tools%s: `komodo-mcp tools --toolsets all` lists every tool", n, suggest.DidYouMean(n, slices.Sorted(maps.Keys(byName))))
		}
		chosen[n] = true
	}
	for _, n := range sel.Exclude {
		if _, ok := byName[n]; !ok {
			if sel.SkipMissing {
				continue
			}
			return nil, fmt.Errorf("unknown tool %q in --exclude-tools%s: `komodo-mcp tools --toolsets all` lists every tool", n, suggest.DidYouMean(n, slices.Sorted(maps.Keys(byName))))
		}
		delete(chosen, n)
	}
	if !chosen[fleettools.Name] { // the view's own tools go with the view
		for n := range chosen {
			if byName[n].AppOnly() {
				delete(chosen, n)
			}
		}
	}
	var out []*tool.Tool
	for n := range chosen {
		t := byName[n]
		if sel.ReadOnly && !t.ReadOnly() {
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
