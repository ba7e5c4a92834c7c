package policy_test

import (
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/policy"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Allows refuses an excluded tool, and on a read-only server every tool that changes
// something - by its typed effect, whatever its name; the gateway itself passes.
func TestAllows(t *testing.T) {
	mk := func(name string, e catalog.Effect, dispatches bool) *tool.Tool {
		return &tool.Tool{Def: &mcp.Tool{Name: name}, Effect: e, Dispatches: dispatches}
	}
	p := &policy.Policy{ReadOnly: true, Excluded: map[string]bool{"komodo_read_GetServer": true}}
	for _, c := range []struct {
		t       *tool.Tool
		refused string
	}{
		{mk("komodo_read_ListServers", catalog.EffectRead, false), ""},
		{mk("komodo_read_GetServer", catalog.EffectRead, false), "excluded"},
		{mk("komodo_read_LooksLikeARead", catalog.EffectDestroy, false), "read-only"},
		{mk("komodo_execute_Deploy", catalog.EffectDisrupt, false), "read-only"},
		{mk("komodo_call_tool", "", true), ""},
	} {
		e := p.Allows(c.t)
		switch {
		case c.refused == "" && e != nil:
			t.Errorf("%s refused: %v", c.t.Def.Name, e)
		case c.refused != "" && (e == nil || !strings.Contains(e.Message, c.refused)):
			t.Errorf("%s: %v, want refused as %s", c.t.Def.Name, e, c.refused)
		}
	}
	if e := (&policy.Policy{}).Allows(mk("komodo_execute_Deploy", catalog.EffectDisrupt, false)); e != nil {
		t.Errorf("a server that is not read-only refused an execute tool: %v", e)
	}
}
