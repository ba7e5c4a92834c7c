package main

import (
	"os"
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

// TestGoInstallLatest keeps `go install github.com/komodo-mcp/komodo-mcp/cmd/komodo-mcp@latest`
// working: the go command refuses it when the module's go.mod has a replace or exclude
// directive. That is why the typed client (gen/komodo, its own module) is not required by
// this module: its tests that need both live in the test-only module internal/sim/typedtest.
func TestGoInstallLatest(t *testing.T) {
	data, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "replace" || f[0] == "exclude") {
			t.Errorf("go.mod: %q breaks `go install ...@latest`", line)
		}
		if strings.Contains(line, "komodo-mcp/gen/komodo") {
			t.Errorf("go.mod: %q: the server does not need the typed client module", line)
		}
	}
}
