package main

import (
	"fmt"
	"io"

	"golang.org/x/term"
)

// isTerminal reports whether r is an interactive terminal (a person typing, not an MCP client).
// A variable so that tests can pretend.
var isTerminal = func(r io.Reader) bool {
	f, ok := r.(interface{ Fd() uintptr })
	return ok && term.IsTerminal(int(f.Fd()))
}

// stdioHint tells a person who started the stdio server in a terminal what is going on:
// it waits for an MCP client, which speaks JSON-RPC, and typing will not work. It names the
// commands that try the tools by hand. demo says whether --demo was given.
func stdioHint(stderr io.Writer, demo bool) {
	call := "komodo-mcp call komodo_read_ListServers"
	if demo {
		call = "komodo-mcp call --demo komodo_read_ListServers"
	}
	fmt.Fprintf(stderr, `komodo-mcp is serving MCP on stdin/stdout and waits for an MCP client (Claude Desktop, Claude
Code, Cursor, VS Code...), which starts it and speaks JSON-RPC: what you type here is answered
with a JSON-RPC error.
To try it by hand instead:
  %-47s list the tools
  %-47s run one and print its result
To add it to a client, see the README. Press Ctrl-C to stop.
`, "komodo-mcp tools", call)
}
