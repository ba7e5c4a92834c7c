package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
)

// errToolFailed marks a tool call that returned an error result (exit status 1).
var errToolFailed = errors.New("tool failed")

// callTool runs one tool through a real MCP session in-process and prints its result:
// the structured content as indented JSON, or the text content; a failed tool prints the
// {"error", "code"} JSON and exits with status 1.
func callTool(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, cf := newFlagSet("call", stderr)
	// Accept flags before and after the tool name: komodo-mcp call TOOL '{}' --demo.
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := cf.Load(getenv)
	if err != nil {
		return err
	}
	if len(positional) == 0 || len(positional) > 2 {
		return usageError("call takes a tool name and optionally its JSON arguments: komodo-mcp call [flags] TOOL [JSON] (komodo-mcp call --help)")
	}
	name, rawArgs := positional[0], "{}"
	if len(positional) == 2 {
		rawArgs = positional[1]
	}
	if !json.Valid([]byte(rawArgs)) {
		return usageError("the arguments %q are not valid JSON", rawArgs)
	}
	if err := checkToolName(name, cfg); err != nil {
		return err
	}
	// The tool named on the command line is offered whatever the toolsets say.
	cfg.Tools = append(cfg.Tools, name)

	logger := newLogger(stderr, cfg.LogLevel)
	srv, cleanup, err := build(ctx, cfg, logger, stderr)
	if err != nil {
		return err
	}
	defer cleanup()

	serverT, clientT := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, serverT, nil)
	if err != nil {
		return err
	}
	defer func() { _ = ss.Close() }()
	client := mcp.NewClient(&mcp.Implementation{Name: "komodo-mcp-cli", Version: "1"}, nil)
	cs, err := client.Connect(ctx, clientT, nil)
	if err != nil {
		return err
	}
	defer func() { _ = cs.Close() }()

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(rawArgs)})
	if err != nil {
		return err
	}
	printResult(stdout, res)
	if res.IsError {
		return errToolFailed
	}
	return nil
}

// checkToolName refuses a tool that does not exist, suggesting the nearest name, or one
// that the configuration removes (--read-only, --exclude-tools), saying which setting does.
func checkToolName(name string, cfg *config.Config) error {
	all, err := server.List(server.Selection{Toolsets: []string{"all"}})
	if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, t := range all {
		if t.Name == name {
			switch {
			case cfg.ReadOnly && !t.ReadOnly:
				return usageError("%s changes things in Komodo and read-only mode is on (--read-only or KOMODO_READ_ONLY)", name)
			case slices.Contains(cfg.ExcludeTools, name):
				return usageError("%s is excluded by --exclude-tools or KOMODO_EXCLUDE_TOOLS", name)
			}
			return nil
		}
		names[i] = t.Name
	}
	return usageError("unknown tool %q%s: `komodo-mcp tools --toolsets all` lists every tool", name, suggestTool(name, names))
}

// suggestTool is the "did you mean" for a tool name: the tool of that Komodo operation when
// the prefix was left out (ListServers), else the nearest name.
func suggestTool(name string, names []string) string {
	var byOperation []string
	for _, n := range names {
		if i := strings.LastIndexByte(n, '_'); i >= 0 && strings.EqualFold(n[i+1:], name) {
			byOperation = append(byOperation, n)
		}
	}
	if len(byOperation) > 0 {
		return " (did you mean " + strings.Join(quoteEach(byOperation), " or ") + "?)"
	}
	return suggest.DidYouMean(name, names)
}

func quoteEach(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// printResult prints structured content as indented JSON, else the text content.
func printResult(w io.Writer, res *mcp.CallToolResult) {
	if res.StructuredContent != nil && !res.IsError {
		raw, err := json.Marshal(res.StructuredContent)
		if err == nil {
			var buf bytes.Buffer
			if json.Indent(&buf, raw, "", "  ") == nil {
				fmt.Fprintln(w, buf.String())
				return
			}
		}
	}
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			fmt.Fprintln(w, t.Text)
		}
	}
}
