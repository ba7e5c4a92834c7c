package server_test

import (
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// TestTerminal_Execute runs commands through komodo_terminal_Execute against the
// simulator's streamed /terminal/execute, including the edge cases of the exit marker.
func TestTerminal_Execute(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"terminal"}})
	run := func(args string) map[string]any {
		t.Helper()
		return structured(t, call(t, cs, "komodo_terminal_Execute", args))
	}
	exitCode := func(m map[string]any) any { return m["exit_code"] }

	m := run(`{"type":"server","id":"prod-1","command":"echo hello from komodo"}`)
	if exitCode(m) != float64(0) || !strings.Contains(m["output"].(string), "hello from komodo") {
		t.Errorf("echo: %v", m)
	}
	if m = run(`{"type":"server","id":"prod-1","command":"false"}`); exitCode(m) != float64(1) {
		t.Errorf("false: exit %v", exitCode(m))
	}
	// A command that prints the marker itself does not fool the parser.
	m = run(`{"type":"server","id":"prod-1","command":"echo __KOMODO_EXIT_CODE:7; echo done"}`)
	if exitCode(m) != float64(0) || !strings.Contains(m["output"].(string), "__KOMODO_EXIT_CODE:7") {
		t.Errorf("fake marker: exit %v output %q", exitCode(m), m["output"])
	}
	// A command that ends the shell: no exit code, and a note that says why.
	m = run(`{"type":"server","id":"prod-1","command":"exit 3"}`)
	if exitCode(m) != nil || m["note"] == nil {
		t.Errorf("exit: exit_code %v note %v", exitCode(m), m["note"])
	}
	// Output over the cap keeps the tail, with a note.
	m = run(`{"type":"server","id":"prod-1","command":"seq 1 5000","max_output_bytes":1024}`)
	if m["truncated"] != true || !strings.HasSuffix(strings.TrimSpace(m["output"].(string)), "5000") || m["note"] == nil {
		t.Errorf("capped output: truncated %v tail %q", m["truncated"], tail(m["output"].(string)))
	}
	// A command outliving the timeout: what was read, and timed_out.
	m = run(`{"type":"server","id":"prod-1","command":"echo started; sleep 10","timeout":1}`)
	if m["timed_out"] != true || !strings.Contains(m["output"].(string), "started") {
		t.Errorf("timeout: %v", m)
	}

	// Failures are error codes, never a crash.
	if code, _ := toolError(t, call(t, cs, "komodo_terminal_Execute", `{"type":"server","id":"no-such-server","command":"id"}`)); code != "NOT_FOUND" {
		t.Errorf("unknown server: %s", code)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_terminal_Execute", `{"type":"container","id":"prod-1","command":"id"}`)); code != "VALIDATION_ERROR" {
		t.Errorf("container without a container name: %s", code)
	}
	viewer := testConfig(s.URL())
	viewer.APIKey, viewer.APISecret = sim.ViewerAPIKey, sim.ViewerAPISecret
	vs := connect(t, viewer, server.Selection{Toolsets: []string{"terminal"}})
	if code, msg := toolError(t, call(t, vs, "komodo_terminal_Execute", `{"type":"server","id":"prod-1","command":"id"}`)); code != "AUTH_ERROR" {
		t.Errorf("no terminal permission: %s %q", code, msg)
	}
}

func tail(s string) string {
	if len(s) > 40 {
		return s[len(s)-40:]
	}
	return s
}
