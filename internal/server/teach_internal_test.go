package server

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// An error that points at a tool the session does not list says how to reach it, and
// stays the {"error", "code"} JSON; one that points at a listed tool is left alone.
func TestReachable(t *testing.T) {
	cfg := &config.Config{URL: "http://127.0.0.1:9", AuthMode: auth.ModeAPIKey, APIKey: sim.DemoAPIKey, APISecret: sim.DemoAPISecret,
		RetryCount: 1, RetryDelay: time.Millisecond, Timeout: time.Second}
	client, err := rpc.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(client, Selection{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	res, _ := s.render(context.Background(), nil, &errcode.Error{Code: errcode.ValidationError, Message: "x", Hint: "use komodo_execute_StopContainer with signal SIGKILL"})
	text := res.Content[0].(*mcp.TextContent).Text
	var e struct{ Error, Code, Reach string }
	if err := json.Unmarshal([]byte(text), &e); err != nil {
		t.Fatalf("not JSON any more: %s", text)
	}
	if !strings.Contains(e.Reach, "komodo_execute_StopContainer") || !strings.Contains(e.Reach, "komodo_call_tool") {
		t.Errorf("reach = %q", e.Reach)
	}
	if got := gateway.Reach(s.sf(), &errcode.Error{Code: errcode.NotFound, Message: "x", Hint: "see komodo_read_ListUpdates"}); got != "" {
		t.Errorf("a listed tool got a note: %s", got)
	}
}
