package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// runSim serves the Komodo simulator until interrupted, for demos and for trying
// komodo-mcp (or any Komodo client) without a Komodo.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("komodo-mcp sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:9120", "address to listen on")
	execDuration := fs.Duration("exec-duration", 1500*time.Millisecond, "how long a simulated execution (deploy, build...) takes")
	hmac := fs.Bool("hmac", false, "also accept the usage guide's HMAC-signed requests (KOMODO_AUTH_MODE=hmac)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	logger := newLogger(stderr, 0)
	return sim.ListenAndServe(ctx, *addr, sim.Options{Logger: logger, ExecDuration: *execDuration, AcceptHMAC: *hmac}, func(url string) {
		fmt.Fprintf(stdout, `Komodo simulator (Komodo Core %s) listening on %s

Point komodo-mcp at it:
  KOMODO_URL=%s KOMODO_API_KEY=%s KOMODO_API_SECRET=%s komodo-mcp call komodo_read_ListServers

Or log in as %s / %s (KOMODO_AUTH_MODE=jwt). Press Ctrl-C to stop.
`, sim.Version, url, url, sim.DemoAPIKey, sim.DemoAPISecret, sim.DemoUsername, sim.DemoPassword)
	})
}
