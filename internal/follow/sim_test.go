package follow_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/follow"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// TestWait_JWTSessionAfterCoreRestart: in jwt mode, after a Core restart without a fixed
// jwt_secret has invalidated the session's token, a wait still follows the update over the
// websocket (whichever of GetUpdate and the /ws/update login meets the old token first
// renews it; TestWait_JWTRenewedForWebsocket isolates the websocket's renewal).
func TestWait_JWTSessionAfterCoreRestart(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(300*time.Millisecond))
	c, err := rpc.New(&config.Config{URL: s.URL(), AuthMode: auth.ModeJWT, Username: sim.DemoUsername, Password: sim.DemoPassword,
		RetryCount: 1, RetryDelay: time.Millisecond, Timeout: 10 * time.Second}, slog.New(slog.DiscardHandler))
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
	res, err := follow.Wait(ctx, c, u.ID.OID, follow.Options{Login: follow.JWTLogin(c.Session()), Cap: 30 * time.Second,
		PollInterval: never, SafetyPoll: never})
	if err != nil || !res.Complete || res.Via != follow.ViaWebsocket {
		t.Fatalf("Wait = %+v, %v; want complete, followed over the websocket", res, err)
	}
}
