package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// errToolFailed marks a tool call that returned an error result (exit status 1).
var errToolFailed = errors.New("tool failed")

// callTool runs one tool through a real MCP session in-process and prints its result:
// the structured content as indented JSON, or the text content; a failed tool prints the
// guide's {"error", "code"} and exits with status 1.
func callTool(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, cf := newFlagSet("call", stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: komodo-mcp call [flags] TOOL ['{\"json\": \"arguments\"}']")
		fs.PrintDefaults()
	}
	// Accept flags before and after the tool name: komodo-mcp call TOOL '{}' --demo.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError("%v", err)
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
		fs.Usage()
		return usageError("call takes a tool name and optionally its JSON arguments")
	}
	name, rawArgs := positional[0], "{}"
	if len(positional) == 2 {
		rawArgs = positional[1]
	}
	if !json.Valid([]byte(rawArgs)) {
		return usageError("the arguments %q are not valid JSON", rawArgs)
	}
	// The tool named on the command line is exposed whatever the toolsets say.
	cfg.Tools = append(cfg.Tools, name)

	logger := newLogger(stderr, cfg.LogLevel)
	srv, cleanup, err := build(ctx, cfg, logger)
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
