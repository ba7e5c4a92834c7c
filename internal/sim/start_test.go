package sim

import (
	"testing"
	"time"
)

// Start runs a simulator on 127.0.0.1 for the duration of a test of this package (other
// packages use simtest.Start, which this package's tests cannot import).
func Start(t testing.TB, opts ...func(*Options)) *Server {
	t.Helper()
	var o Options
	for _, f := range opts {
		f(&o)
	}
	s, err := Listen("127.0.0.1:0", o)
	if err != nil {
		t.Fatalf("start the simulator: %v", err)
	}
	t.Cleanup(s.Close)
	return s
}

func WithExecDuration(d time.Duration) func(*Options) {
	return func(o *Options) { o.ExecDuration = d }
}

func WithoutWebsocket() func(*Options) { return func(o *Options) { o.DisableWebsocket = true } }

func WithTerminalLineDelay(d time.Duration) func(*Options) {
	return func(o *Options) { o.TerminalLineDelay = d }
}
