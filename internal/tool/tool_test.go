package tool_test

import (
	"context"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

type greeter interface{ Greeting() string }

type env struct{}

func (env) Greeting() string { return "hello" }

// Bind gives a handler only what its package asks for, and refuses to build it from an
// environment that does not provide that.
func TestBind(t *testing.T) {
	build := tool.Bind(func(d greeter) tool.Handler {
		return func(context.Context, *tool.Call) (*mcp.CallToolResult, error) {
			return tool.Success(map[string]any{"said": d.Greeting()}), nil
		}
	})
	h, err := build(env{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := h(context.Background(), &tool.Call{})
	if err != nil || res.StructuredContent.(map[string]any)["said"] != "hello" {
		t.Fatalf("handler answered %v, %v", res, err)
	}
	if _, err := build(struct{}{}); err == nil || !strings.Contains(err.Error(), "greeter") {
		t.Errorf("an environment without the dependency: err = %v, want a refusal naming it", err)
	}
}

// Success keeps structuredContent whole and cuts only the text rendering.
func TestSuccess_TextBudget(t *testing.T) {
	big := strings.Repeat("é", 40<<10) // 80 KiB of two-byte runes
	res := tool.Success(map[string]any{"v": big})
	text := res.Content[0].(*mcp.TextContent).Text
	if !strings.Contains(text, "[truncated: the answer is") || len(text) > 65<<10 {
		t.Errorf("text of %d bytes, want it cut at the budget with a note", len(text))
	}
	if res.StructuredContent.(map[string]any)["v"] != big {
		t.Error("structuredContent was cut")
	}
}
