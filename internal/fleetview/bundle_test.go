package fleetview

import (
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/ui"
)

// bundleBudget is the most the fleet view's HTML may weigh (issue 19: 200 KB). make ui reports
// the size; tools/ui/build.mjs says what keeps it below.
const bundleBudget = 200 * 1024

// The embedded view stays within its size budget, so an SDK upgrade or a new feature that
// grows it is noticed at once rather than in a host.
func TestBundleBudget(t *testing.T) {
	if n := len(ui.FleetHTML); n > bundleBudget {
		t.Fatalf("gen/ui/fleet.html is %d bytes, over the %d-byte budget: see tools/ui/build.mjs", n, bundleBudget)
	}
}

// Shrinking the bundle never loosens its Content-Security-Policy: scripts and styles inline
// only, no eval, no origin to fetch from or connect to.
func TestBundleCSP(t *testing.T) {
	const csp = `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:; connect-src 'none'; font-src 'none'; frame-src 'none'; base-uri 'none'; form-action 'none'">`
	if !strings.Contains(ui.FleetHTML, csp) {
		t.Fatalf("gen/ui/fleet.html lost its Content-Security-Policy %s", csp)
	}
	if n := strings.Count(ui.FleetHTML, "<script"); n != 1 || strings.Contains(ui.FleetHTML, "<script src") {
		t.Fatalf("gen/ui/fleet.html has %d script elements (want one inline)", n)
	}
}
