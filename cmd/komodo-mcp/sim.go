package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// defaultSimAddr is where `komodo-mcp sim` listens unless told otherwise (Komodo Core's own port).
const defaultSimAddr = "127.0.0.1:9120"

// runSim serves the Komodo simulator until interrupted, for demos and for trying
// komodo-mcp (or any Komodo client) without a Komodo.
func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlagSet("sim", stderr)
	addr := fs.String("addr", defaultSimAddr, "`HOST:PORT` to listen on (default 127.0.0.1:9120, or a free port when that one is taken)")
	execDuration := fs.Duration("exec-duration", 1500*time.Millisecond, "how long a simulated execution (deploy, build...) takes, a `DURATION` like 1.5s")
	hmac := fs.Bool("hmac", false, "also accept HMAC-signed requests (X-Komodo-Signature, as KOMODO_AUTH_MODE=hmac sends)")
	komodoVersion := fs.String("komodo-version", "", "the Komodo Core `VERSION` to play, one komodo-mcp has tools for: "+strings.Join(catalog.Versions(), ", ")+" (default "+sim.DefaultVersion()+")")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("unexpected argument %q: sim takes only flags (komodo-mcp sim --help)", fs.Arg(0))
	}
	explicit := false
	fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "addr" })

	if *komodoVersion != "" {
		if m, err := catalog.ForCore(*komodoVersion); err != nil || !m.Exact {
			return usageError("--komodo-version: the simulator plays the Komodo versions komodo-mcp has tools for (%s), not %s", strings.Join(catalog.Versions(), ", "), *komodoVersion)
		}
		*komodoVersion = strings.TrimPrefix(*komodoVersion, "v")
	}
	logger := newLogger(stderr, 0)
	opts := sim.Options{Logger: logger, ExecDuration: *execDuration, AcceptHMAC: *hmac, KomodoVersion: *komodoVersion}
	s, err := sim.Listen(*addr, opts)
	if err != nil && !explicit {
		// The usual port is taken (often by a real Komodo Core, or a simulator already running):
		// any free port serves a demo as well. An address the user chose is never replaced.
		fmt.Fprintf(stderr, "komodo-mcp sim: %s is not free (%v); listening on a free port instead\n", *addr, err)
		s, err = sim.Listen("127.0.0.1:0", opts)
	}
	if err != nil {
		return fmt.Errorf("start the simulator on %s: %w (choose another address with --addr, or leave --addr out to take a free port)", *addr, err)
	}
	defer s.Close()
	url := s.URL()
	logger.Info("komodo simulator listening", "url", url, "version", s.Version())
	fmt.Fprintf(stdout, `Komodo simulator (Komodo Core %s) listening on %s

Point komodo-mcp at it:
  KOMODO_URL=%s KOMODO_API_KEY=%s KOMODO_API_SECRET=%s komodo-mcp call komodo_read_ListServers

Or log in as %s / %s (KOMODO_AUTH_MODE=jwt).
A read-only user (may read, not change; shows what a permission error looks like):
  KOMODO_API_KEY=%s KOMODO_API_SECRET=%s, or %s / %s
Press Ctrl-C to stop.
`, s.Version(), url, url, sim.DemoAPIKey, sim.DemoAPISecret, sim.DemoUsername, sim.DemoPassword,
		sim.ViewerAPIKey, sim.ViewerAPISecret, sim.ViewerUsername, sim.ViewerPassword)
	<-ctx.Done()
	return nil
}
