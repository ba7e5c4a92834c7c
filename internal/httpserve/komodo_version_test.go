package httpserve

import (
	"context"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// TestKomodoReachable_Komodo1: a 1.19.5 Core has no GET /version; /readyz still sees it.
func TestKomodoReachable_Komodo1(t *testing.T) {
	s := simtest.Start(t, func(o *sim.Options) { o.KomodoVersion = "1.19.5" })
	if err := KomodoReachable(s.URL())(context.Background()); err != nil {
		t.Fatalf("a 1.19.5 Core is not ready: %v", err)
	}
	if err := KomodoReachable(s.URL() + "/wrong")(context.Background()); err == nil {
		t.Fatal("a wrong base path is ready")
	}
}
