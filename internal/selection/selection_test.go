package selection_test

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/selection"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

func names(tools []*tool.Tool) string {
	var out []string
	for _, t := range tools {
		out = append(out, t.Def.Name)
	}
	return strings.Join(out, " ")
}

func TestSelect(t *testing.T) {
	mk := func(name, module, toolset string, e catalog.Effect, def bool, meta mcp.Meta) *tool.Tool {
		return &tool.Tool{Def: &mcp.Tool{Name: name, Meta: meta}, Module: module, Toolset: toolset, Effect: e, Default: def}
	}
	all := []*tool.Tool{
		mk("komodo_read_ListStacks", "read", "stacks", catalog.EffectRead, true, nil),
		mk("komodo_execute_DeployStack", "execute", "stacks", catalog.EffectDisrupt, true, nil),
		mk("komodo_read_ListServers", "read", "servers", catalog.EffectRead, false, nil),
		mk("komodo_read_ShowFleet", "read", "ui", catalog.EffectRead, false, fleetview.ToolMeta(fleetview.VisibleToModel, fleetview.VisibleToApp)),
		mk("komodo_read_FleetWatchUpdate", "read", "ui", catalog.EffectRead, true, fleetview.ToolMeta(fleetview.VisibleToApp)),
	}
	for _, c := range []struct {
		sel  selection.Selection
		want string
	}{
		// the view's own tools go with the view only
		{selection.Selection{}, "komodo_execute_DeployStack komodo_read_ListStacks"},
		{selection.Selection{Toolsets: []string{"stacks"}, ReadOnly: true}, "komodo_read_ListStacks"},
		{selection.Selection{Toolsets: []string{"read"}, Exclude: []string{"komodo_read_ListStacks"}}, "komodo_read_FleetWatchUpdate komodo_read_ListServers komodo_read_ShowFleet"},
		{selection.Selection{Toolsets: []string{"servers"}, Tools: []string{"komodo_execute_DeployStack"}}, "komodo_execute_DeployStack komodo_read_ListServers"},
	} {
		got, err := selection.Select(all, c.sel)
		if err != nil || names(got) != c.want {
			t.Errorf("Select(%+v) = %q, %v; want %q", c.sel, names(got), err, c.want)
		}
	}
	for sel, want := range map[*selection.Selection]string{
		{Toolsets: []string{"stack"}}:           `unknown toolset "stack"`,
		{Tools: []string{"komodo_read_Nope"}}:   `unknown tool "komodo_read_Nope" in --tools`,
		{Exclude: []string{"komodo_read_Nope"}}: `unknown tool "komodo_read_Nope" in --exclude-tools`,
	} {
		if _, err := selection.Select(all, *sel); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Select(%+v): %v, want %s", *sel, err, want)
		}
	}
}
