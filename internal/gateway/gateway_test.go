package gateway_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/fleetview"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// surface is a tool.Surface of a few tools: listed ones, and one the server excludes.
type surface struct {
	tools    map[string]*tool.Tool
	listed   map[string]bool
	excluded map[string]bool
	gateway  bool
}

func (s surface) Lookup(name string) (*tool.Tool, bool) { t, ok := s.tools[name]; return t, ok }
func (s surface) Listed(name string) bool               { return s.listed[name] }
func (s surface) Gateway() bool                         { return s.gateway }
func (s surface) ReadOnly() bool                        { return false }
func (s surface) Permit(name string) (*tool.Tool, *errcode.Error) {
	t, ok := s.tools[name]
	switch {
	case !ok:
		return nil, &errcode.Error{Code: errcode.NotFound, Message: "no tool named " + name}
	case s.excluded[name]:
		return nil, tool.Invalid(name+" is excluded", "")
	}
	return t, nil
}

func readTool(name string, meta mcp.Meta) *tool.Tool {
	return &tool.Tool{Def: &mcp.Tool{Name: name, Description: "reads " + name, InputSchema: json.RawMessage(`{"type":"object"}`), Meta: meta}, Effect: catalog.EffectRead}
}

func fixture(gw bool) surface {
	s := surface{tools: map[string]*tool.Tool{}, listed: map[string]bool{}, excluded: map[string]bool{"komodo_execute_PruneImages": true}, gateway: gw}
	for _, t := range append(gateway.Tools(),
		readTool("komodo_read_ListUpdates", nil), readTool("komodo_execute_StopContainer", nil), readTool("komodo_execute_PruneImages", nil),
		readTool("komodo_read_FleetWatchUpdate", fleetview.ToolMeta(fleetview.VisibleToApp))) {
		s.tools[t.Def.Name] = t
	}
	s.listed["komodo_read_ListUpdates"] = true
	if gw {
		s.listed[gateway.CallName] = true
	}
	return s
}

// An error that names a tool the session does not list says how to reach it, unless the
// tool cannot be called through the gateway or the gateway is not listed.
func TestReach(t *testing.T) {
	sf := fixture(true)
	e := &errcode.Error{Code: errcode.ValidationError, Message: "x", Hint: "use komodo_execute_StopContainer, komodo_read_ListUpdates, komodo_execute_PruneImages or komodo_read_FleetWatchUpdate"}
	got := gateway.Reach(sf, e)
	if !strings.Contains(got, "komodo_execute_StopContainer") || !strings.Contains(got, gateway.CallName) {
		t.Errorf("Reach = %q, want the unlisted tool and how to call it", got)
	}
	for _, not := range []string{"komodo_read_ListUpdates", "komodo_execute_PruneImages", "komodo_read_FleetWatchUpdate"} {
		if strings.Contains(got, not) {
			t.Errorf("Reach = %q names %s (listed, excluded or the view's own)", got, not)
		}
	}
	if got := gateway.Reach(fixture(false), e); got != "" {
		t.Errorf("without the gateway: Reach = %q, want nothing", got)
	}
}

// The gateway calls neither itself, the search, nor the fleet view's own tools.
func TestThrough(t *testing.T) {
	sf := fixture(true)
	for name, refused := range map[string]bool{
		gateway.CallName: true, gateway.SearchName: true, "komodo_read_FleetWatchUpdate": true, "komodo_read_ListUpdates": false,
	} {
		tl, _ := sf.Lookup(name)
		if e := gateway.Through(tl); (e != nil) != refused {
			t.Errorf("Through(%s) = %v, want refused %v", name, e, refused)
		}
	}
}

// The search index holds exactly the tools the gateway may call.
func TestIndex(t *testing.T) {
	sf := fixture(true)
	names := []string{gateway.CallName, gateway.SearchName, "komodo_read_ListUpdates", "komodo_execute_StopContainer", "komodo_execute_PruneImages", "komodo_read_FleetWatchUpdate"}
	var found []string
	for _, h := range gateway.Index(sf, names).Search("reads list updates stop container prune images watch update call search tools", 20) {
		found = append(found, h.Name)
	}
	if len(found) != 2 {
		t.Errorf("the index found %v, want the two tools the gateway may call", found)
	}
	for _, n := range found {
		if n != "komodo_read_ListUpdates" && n != "komodo_execute_StopContainer" {
			t.Errorf("the index holds %s, which the gateway does not call", n)
		}
	}
}

// A wrong name is answered with callable names close to it.
func TestClosest(t *testing.T) {
	sf := fixture(true)
	names := []string{"komodo_read_ListUpdates", "komodo_execute_StopContainer", "komodo_execute_PruneImages"}
	if got := gateway.Closest(sf, names, "komodo_read_ListUpdate"); !strings.Contains(got, "komodo_read_ListUpdates") {
		t.Errorf("Closest = %q", got)
	}
	if got := gateway.Closest(sf, names, "komodo_execute_PruneImage"); strings.Contains(got, "PruneImages") {
		t.Errorf("Closest suggests an excluded tool: %q", got)
	}
}
