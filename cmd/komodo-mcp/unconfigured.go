package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/stdio"
)

// errReported is an error that was already printed: the command exits with status 2
// without printing it again.
type errReported struct{ error }

// configFix says where to change the setting a configuration error names: in the Claude
// Desktop extension's settings by the title the extension shows, or in the MCP client's
// configuration of this server (its "env").
func configFix(err error) string {
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Setting == "" {
		return "Fix the server's settings in the MCP client's configuration of komodo-mcp (Claude Desktop: Settings > Extensions > Komodo > Configure), then restart the server."
	}
	if title := config.DesktopTitle(ce.Setting); title != "" {
		return fmt.Sprintf("In Claude Desktop this is the extension's %q setting (Settings > Extensions > Komodo > Configure); other MCP clients set %s in the \"env\" of this server's configuration. Then restart the server.", title, ce.Setting)
	}
	return fmt.Sprintf("Set %s in the \"env\" of this server's configuration in the MCP client (the Claude Desktop extension does not ask for it: install komodo-mcp with claude_desktop_config.json to set it), then restart the server.", ce.Setting)
}

// serveUnconfigured serves MCP on stdio for a server whose settings are wrong: an MCP client
// (Claude Desktop, which starts the server and shows only "connection closed" if it exits)
// completes the handshake, sees the default tools, and every call answers with the
// configuration error and what to change. It returns when stdin closes.
func serveUnconfigured(ctx context.Context, cause error, stdin io.Reader, stdout, stderr io.Writer) error {
	fix := configFix(cause)
	fmt.Fprintf(stderr, "komodo-mcp: %v. %s (Serving MCP on stdio and answering every tool call with this until the client disconnects.)\n", cause, fix)
	body, _ := json.Marshal(map[string]string{
		"error": "komodo-mcp is not configured correctly, so it cannot reach Komodo: " + cause.Error(),
		"code":  string(errcode.ValidationError),
		"hint":  fix + " Tell the user: nothing can be done in Komodo until then.",
	})
	answer := &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: string(body)}}}

	srv := mcp.NewServer(&mcp.Implementation{Name: "komodo-mcp", Version: server.Version}, &mcp.ServerOptions{
		Instructions: "komodo-mcp is not configured correctly: " + cause.Error() + ". " + fix,
		Logger:       slog.New(slog.DiscardHandler),
	})
	listed, _ := server.List(server.Selection{})
	defs := map[string]*mcp.Tool{}
	for _, t := range server.Inventory() {
		defs[t.Def.Name] = t.Def
	}
	for _, t := range listed {
		if def := defs[t.Name]; def != nil {
			srv.AddTool(def, func(context.Context, *mcp.CallToolRequest) (*mcp.CallToolResult, error) { return answer, nil })
		}
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	t := &stdio.Transport{Reader: stdin, Writer: stdout, Logger: logger}
	if err := srv.Run(ctx, t); err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, io.EOF) {
		return err
	}
	return errReported{cause}
}

// selectionError names the setting of a selection the tools do not have: a toolset
// (KOMODO_TOOLSETS) or a tool to add or remove (KOMODO_TOOLS, KOMODO_EXCLUDE_TOOLS).
func selectionError(cfg *config.Config) error {
	for _, part := range []struct {
		env string
		sel server.Selection
	}{
		{"KOMODO_TOOLSETS", server.Selection{Toolsets: cfg.Toolsets}},
		{"KOMODO_TOOLS", server.Selection{Toolsets: cfg.Toolsets, Tools: cfg.Tools}},
		{"KOMODO_EXCLUDE_TOOLS", selection(cfg)},
	} {
		if _, err := server.List(part.sel); err != nil {
			return &config.Error{Setting: part.env, Msg: part.env + ": " + err.Error()}
		}
	}
	return nil
}
