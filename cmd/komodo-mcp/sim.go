package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// runSim serves the Komodo simulator until interrupted, for demos and for trying
// komodo-mcp (or any Komodo client) without a Komodo.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("komodo-mcp sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9120", "address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := newLogger(stderr, 0)
	return sim.ListenAndServe(ctx, *addr, sim.Options{Logger: logger}, func(url string) {
		fmt.Fprintf(stdout, `Komodo simulator (Komodo Core %s) listening on %s

Point komodo-mcp at it:
  KOMODO_URL=%s KOMODO_API_KEY=%s KOMODO_API_SECRET=%s komodo-mcp call komodo_read_ListServers

Or log in as %s / %s (KOMODO_AUTH_MODE=jwt). Press Ctrl-C to stop.
`, sim.Version, url, url, sim.DemoAPIKey, sim.DemoAPISecret, sim.DemoUsername, sim.DemoPassword)
	})
}
