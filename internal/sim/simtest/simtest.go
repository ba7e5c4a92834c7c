// Package simtest starts the Komodo simulator (internal/sim) for tests. It is the only
// place that ties the simulator to package testing, so that the release binary, which
// embeds the simulator for `komodo-mcp sim` and --demo, links no test machinery.
package simtest

import (
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// Start runs a simulator on 127.0.0.1 with a random port for the duration of a test;
// it is closed when the test ends.
func Start(t testing.TB, opts ...Option) *sim.Server {
	t.Helper()
	var o sim.Options
	for _, f := range opts {
		f(&o)
	}
	s, err := sim.Listen("127.0.0.1:0", o)
	if err != nil {
		t.Fatalf("start the Komodo simulator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

// Option changes the simulator's options before Start.
type Option func(*sim.Options)

// WithExecDuration sets Options.ExecDuration.
func WithExecDuration(d time.Duration) Option {
	return func(o *sim.Options) { o.ExecDuration = d }
}

// WithHMAC sets Options.AcceptHMAC.
func WithHMAC() Option { return func(o *sim.Options) { o.AcceptHMAC = true } }

// WithLacks sets Options.Lacks: a Core of another version, without these operations.
func WithLacks(ops ...string) Option { return func(o *sim.Options) { o.Lacks = ops } }
