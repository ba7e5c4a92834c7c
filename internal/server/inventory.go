package server

import (
	"sort"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/authtools"
	"github.com/komodo-mcp/komodo-mcp/internal/catalogtools"
	"github.com/komodo-mcp/komodo-mcp/internal/changestool"
	"github.com/komodo-mcp/komodo-mcp/internal/execwait"
	"github.com/komodo-mcp/komodo-mcp/internal/findtool"
	"github.com/komodo-mcp/komodo-mcp/internal/fleettools"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/selection"
	"github.com/komodo-mcp/komodo-mcp/internal/terminaltool"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// The one type of tool and its call, as the packages that define tools use them
// (internal/tool).
type (
	// Tool is one tool of the server, generated or hand-written (tool.Tool).
	Tool = tool.Tool
	// Handler answers one validated call of a tool (tool.Handler).
	Handler = tool.Handler
	// Call is one tool call, decoded, normalised and validated once (tool.Call).
	Call = tool.Call
	// Middleware wraps the handler of every tool (tool.Middleware).
	Middleware = tool.Middleware
	// Selection says which tools to expose (selection.Selection).
	Selection = selection.Selection
)

// ConfirmationArg is the argument that carries a confirmation token back to a tool.
const ConfirmationArg = tool.ConfirmationArg

// Inventory is every tool the server knows for the newest Komodo version, generated and
// hand-written, sorted by name. Each call returns fresh values.
func Inventory() []*Tool { return InventoryFor(catalog.Newest()) }

// InventoryFor is every tool the server knows for the Komodo version of c: the catalog's,
// and the hand-written ones of each package.
func InventoryFor(c *catalog.Catalog) []*Tool {
	defaults := map[string]bool{}
	for _, n := range catalog.Default {
		defaults[n] = true
	}
	all := catalogtools.Tools(c, defaults)
	all = append(all, authtools.Tools()...)
	all = append(all, execwait.WaitTool(), terminaltool.Tool(), findtool.Tool(), changestool.Tool())
	all = append(all, gateway.Tools()...)
	all = append(all, fleettools.Tools()...)
	sort.Slice(all, func(i, j int) bool { return all[i].Def.Name < all[j].Def.Name })
	return all
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
	chosen, err := selection.Select(InventoryFor(c), sel)
	if err != nil {
		return nil, err
	}
	out := make([]ToolInfo, 0, len(chosen))
	for _, t := range chosen {
		a := t.Def.Annotations
		out = append(out, ToolInfo{
			Name: t.Def.Name, Title: t.Def.Title, Module: t.Module, Toolset: t.Toolset,
			ReadOnly: a.ReadOnlyHint, Destructive: a.DestructiveHint != nil && *a.DestructiveHint, AppOnly: t.AppOnly(),
			InputBytes: len(tool.SchemaJSON(t.Def.InputSchema)), OutputBytes: len(tool.SchemaJSON(t.Def.OutputSchema)),
		})
	}
	return out, nil
}
