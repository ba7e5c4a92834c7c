package auth_test

import (
	"bytes"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// TestJWT_ReloginAfterCoreRestart: a Core restarted without a fixed jwt_secret answers every
// old token 500 "Invalid user credentials"; jwt mode logs in again once and the call succeeds.
func TestJWT_ReloginAfterCoreRestart(t *testing.T) {
	s := simtest.Start(t)
	rt, err := auth.NewJWT(s.URL(), auth.Credentials{Username: sim.DemoUsername, Password: sim.DemoPassword}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: rt}
	call := func() (int, string) {
		t.Helper()
		resp, err := c.Post(s.URL()+"/read/ListServers", "application/json", bytes.NewReader([]byte(`{}`)))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if st, body := call(); st != 200 {
		t.Fatalf("first call: HTTP %d %s", st, body)
	}
	old, _ := rt.Token(t.Context())
	s.RotateJWTSecret()
	if st, body := call(); st != 200 || !strings.Contains(body, "prod-1") {
		t.Fatalf("call after the restart: HTTP %d %s, want 200 after a new login", st, body)
	}
	if tok, _ := rt.Token(t.Context()); tok == old {
		t.Error("the session still holds the rejected token")
	}
}
