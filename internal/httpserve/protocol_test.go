package httpserve_test

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/httpserve"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// Without a session, only initialize is served: anything else is 400 Bad Request (not a
// throwaway session answering 200); an unknown session is 404. Stateless mode serves all.
func TestSessionRequired(t *testing.T) {
	e := start(t, false, httpserve.Options{})
	list := `{"jsonrpc":"2.0","id":1,"method":"tools/list"}`
	for _, body := range []string{list, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, `[` + list + `]`, `{"jsonrpc":"2.0","id":1,"method":"ping"}`} {
		resp, text := e.post(t, body, nil)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(text, "Mcp-Session-Id") {
			t.Errorf("%s without a session: %d %s", body, resp.StatusCode, text)
		}
	}
	resp, text := e.post(t, list, map[string]string{"Mcp-Session-Id": "no-such-session"})
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown session: %d %s", resp.StatusCode, text)
	}
	resp, text = e.post(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Mcp-Session-Id") == "" {
		t.Fatalf("initialize: %d %s", resp.StatusCode, text)
	}
	sid := resp.Header.Get("Mcp-Session-Id")
	resp, text = e.post(t, list, map[string]string{"Mcp-Session-Id": sid, "Mcp-Protocol-Version": "2025-06-18"})
	if resp.StatusCode != http.StatusOK || !strings.Contains(text, "komodo_") {
		t.Errorf("tools/list in the session: %d %.200s", resp.StatusCode, text)
	}

	stateless := start(t, false, httpserve.Options{Stateless: true})
	if resp, text := stateless.post(t, list, nil); resp.StatusCode != http.StatusOK || !strings.Contains(text, "komodo_") {
		t.Errorf("stateless tools/list: %d %.200s", resp.StatusCode, text)
	}
}

// Over streamable HTTP, a waited execute's progress travels on the call's own stream:
// every notification arrives before the result, none after.
func TestProgressBeforeResult(t *testing.T) {
	e := start(t, false, httpserve.Options{}, sim.Options{ExecDuration: 300 * time.Millisecond})
	var mu sync.Mutex
	var got []float64
	done := false
	late := 0
	cs, err := e.connect(t, nil, &mcp.ClientOptions{ProgressNotificationHandler: func(_ context.Context, r *mcp.ProgressNotificationClientRequest) {
		mu.Lock()
		defer mu.Unlock()
		if done {
			late++
		}
		got = append(got, r.Params.Progress)
	}})
	if err != nil {
		t.Fatal(err)
	}
	params := &mcp.CallToolParams{Name: "komodo_execute_Deploy", Arguments: map[string]any{"id": "web-frontend", "wait": true}}
	params.SetProgressToken("p1")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, params)
	mu.Lock()
	done = true
	n := len(got)
	mu.Unlock()
	if err != nil || res.IsError {
		t.Fatalf("deploy: %v %+v", err, res)
	}
	if n < 2 {
		t.Fatalf("%d progress notifications before the result, want several", n)
	}
	time.Sleep(200 * time.Millisecond) // a notification sent after the result would show up now
	mu.Lock()
	defer mu.Unlock()
	if late > 0 {
		t.Errorf("%d progress notifications arrived after the result", late)
	}
}
