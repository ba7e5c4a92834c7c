package main

import (
	"os/exec"
	"strings"
	"testing"
)

// The binary links only what it uses. The typed client gen/komodo (~110k generated lines)
// would double the binary's cold build, and the runtime has no use for it: tools send the
// validated JSON arguments to Komodo byte for byte (internal/rpc), so decoding them into
// generated structs and encoding them again could only lose what the structs do not model.
func TestBinaryDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps gave only %d packages: %q", len(deps), out)
	}
	forbidden := map[string]string{
		"github.com/komodo-mcp/komodo-mcp/gen/komodo": "the typed Go client is for programs that import it, not for the server",
		// Test helpers never ship: the simulator's live in internal/sim/simtest.
		"testing":           "test machinery: move the helper to a _test.go file or a ...test package",
		"net/http/httptest": "test machinery: move the helper to a _test.go file or a ...test package",
		"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest": "the simulator's test helpers",
	}
	for _, d := range deps {
		if why, ok := forbidden[d]; ok {
			t.Errorf("komodo-mcp links %s: %s", d, why)
		}
	}
}
