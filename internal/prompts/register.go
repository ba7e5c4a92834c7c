package prompts

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Add registers the workflow prompts on srv. They are offered whatever tools are
// selected; a prompt says which of its tools exposed reports missing (toolset selection,
// --exclude-tools, --read-only), so that the assistant can tell the user instead of
// calling a tool that is not there. exposed is asked at every prompts/get: the tools on
// offer follow the Komodo version served.
func Add(srv *mcp.Server, exposed func(tool string) bool) {
	for _, p := range Prompts() {
		srv.AddPrompt(p.Def, handler(p, exposed))
	}
}

func handler(p Prompt, exposed func(string) bool) mcp.PromptHandler {
	return func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		text, err := p.Text(req.Params.Arguments)
		if err != nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("prompt %s: %v", p.Def.Name, err)}
		}
		if note := missingToolsNote(text, exposed); note != "" {
			text = strings.TrimRight(text, "\n") + "\n\n" + note
		}
		return &mcp.GetPromptResult{
			Description: p.Def.Description,
			Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: text}}},
		}, nil
	}
}

// missingToolsNote names the tools a prompt text mentions that this server does not expose;
// empty when all are there.
func missingToolsNote(text string, exposed func(string) bool) string {
	var missing []string
	for _, name := range MentionedTools(text) {
		if !exposed(name) {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "Note: this server does not expose these tools: " + strings.Join(missing, ", ") +
		" (its toolset selection or --read-only leaves them out). Do the steps you can; for the others, tell the user exactly what you would run, so that they can enable the tools (--toolsets, --tools) or do those steps themselves."
}
