package follow_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/follow"
	"github.com/komodo-mcp/komodo-mcp/internal/memnet"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// TestWait_JWTSessionAfterCoreRestart: in jwt mode, after a Core restart without a fixed
// jwt_secret has invalidated the session's token, a wait still follows the update over the
// websocket (whichever of GetUpdate and the /ws/update login meets the old token first
// renews it; TestWait_JWTRenewedForWebsocket isolates the websocket's renewal).
//
// The simulator runs on an in-memory network in a synctest bubble: its deploy takes 20 s
// of the bubble's clock, none of the test's.
func TestWait_JWTSessionAfterCoreRestart(t *testing.T) {
	synctest.Test(t, testJWTSessionAfterCoreRestart)
}

func testJWTSessionAfterCoreRestart(t *testing.T) {
	s := sim.New(sim.Options{ExecDuration: 20 * time.Second})
	defer s.Close()
	srv := memnet.NewServer(s.Handler())
	defer srv.Close()
	c, err := rpc.NewWithTransport(&config.Config{URL: srv.URL, AuthMode: auth.ModeJWT, Username: sim.DemoUsername, Password: sim.DemoPassword,
		RetryCount: 1, RetryDelay: time.Millisecond, Timeout: 10 * time.Second}, srv.Transport(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	data, err := c.Call(ctx, "POST", "/execute/Deploy", []byte(`{"deployment":"web-frontend"}`))
	if err != nil {
		t.Fatal(err)
	}
	var u struct {
		ID struct {
			OID string `json:"$oid"`
		} `json:"_id"`
	}
	if err := json.Unmarshal(data, &u); err != nil || u.ID.OID == "" {
		t.Fatalf("Deploy answered %s", data)
	}
	s.RotateJWTSecret()
	never := time.Hour
	res, err := follow.Wait(ctx, c, u.ID.OID, follow.Options{Login: follow.JWTLogin(c.Session()), Cap: time.Minute,
		PollInterval: never, SafetyPoll: never, WebsocketClient: srv.Client()})
	if err != nil || !res.Complete || res.Via != follow.ViaWebsocket {
		t.Fatalf("Wait = %+v, %v; want complete, followed over the websocket", res, err)
	}
	if res.Waited > 20*time.Second {
		t.Errorf("Waited = %v, want at most the deploy's 20 s", res.Waited)
	}
}
