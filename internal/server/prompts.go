package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/guide"
)

// addPrompts registers the workflow prompts of internal/guide. They are offered whatever
// tools are selected; a prompt says which of its tools this server does not expose, so
// that the assistant can tell the user instead of calling a tool that is not there.
func (s *Server) addPrompts() {
	for _, p := range guide.Prompts() {
		s.mcp.AddPrompt(p.Def, s.promptHandler(p))
	}
}

func (s *Server) promptHandler(p guide.Prompt) mcp.PromptHandler {
	return func(_ context.Context, req *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		text, err := p.Text(req.Params.Arguments)
		if err != nil {
			return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams, Message: fmt.Sprintf("prompt %s: %v", p.Def.Name, err)}
		}
		if note := s.missingToolsNote(text); note != "" {
			text = strings.TrimRight(text, "\n") + "\n\n" + note
		}
		return &mcp.GetPromptResult{
			Description: p.Def.Description,
			Messages:    []*mcp.PromptMessage{{Role: "user", Content: &mcp.TextContent{Text: text}}},
		}, nil
	}
}

// missingToolsNote names the tools a prompt text mentions that this server does not expose
// (toolset selection, --exclude-tools, --read-only); empty when all are there.
func (s *Server) missingToolsNote(text string) string {
	exposed := map[string]bool{}
	for _, e := range s.sf().exposed {
		exposed[e.Def.Name] = true
	}
	var missing []string
	for _, name := range guide.MentionedTools(text) {
		if !exposed[name] {
			missing = append(missing, name)
		}
	}
	if len(missing) == 0 {
		return ""
	}
	return "Note: this server does not expose these tools: " + strings.Join(missing, ", ") +
		" (its toolset selection or --read-only leaves them out). Do the steps you can; for the others, tell the user exactly what you would run, so that they can enable the tools (--toolsets, --tools) or do those steps themselves."
}
