package httpserve_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

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
// read raw from the wire, every notification comes before the result, none after.
// (A client's handlers may run in any order; the wire order is what the spec fixes.)
func TestProgressBeforeResult(t *testing.T) {
	e := start(t, false, httpserve.Options{}, sim.Options{ExecDuration: 300 * time.Millisecond})
	resp, text := e.post(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
	sid := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || sid == "" {
		t.Fatalf("initialize: %d %s", resp.StatusCode, text)
	}
	h := map[string]string{"Mcp-Session-Id": sid, "Mcp-Protocol-Version": "2025-06-18"}
	e.post(t, `{"jsonrpc":"2.0","method":"notifications/initialized"}`, h)
	resp, text = e.post(t, `{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"komodo_execute_Deploy","arguments":{"id":"web-frontend","wait":true},"_meta":{"progressToken":"p1"}}}`, h)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("tools/call: %d %s", resp.StatusCode, text)
	}
	var order []string // "progress" or "result", as the events came
	for _, line := range strings.Split(text, "\n") {
		data, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			continue
		}
		var m struct {
			ID     any    `json:"id"`
			Method string `json:"method"`
		}
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("event is not JSON: %s", data)
		}
		switch {
		case m.Method == "notifications/progress":
			order = append(order, "progress")
		case m.ID == float64(2):
			order = append(order, "result")
		}
	}
	if len(order) < 3 || order[len(order)-1] != "result" || slices.Index(order, "result") != len(order)-1 {
		t.Fatalf("events on the call's stream: %v; want progress notifications, then the result last", order)
	}
}

// A request whose id is readable gets its id back in every error: nested too deep for
// any decoder, truncated, or otherwise not a valid request - in a session and stateless.
func TestErrorsCarryTheID(t *testing.T) {
	deep := func(n int) string {
		return `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"komodo_read_ListServers","arguments":{"a":` +
			strings.Repeat(`[`, n) + strings.Repeat(`]`, n) + `}}}`
	}
	cases := map[string]string{
		"nested 200 deep":   deep(200),
		"nested 20000 deep": deep(20000),
		"truncated":         `{"jsonrpc":"2.0","id":"deep","method":"tools/call","params":{"name":"x"`,
		"wrong jsonrpc":     `{"jsonrpc":"1.0","id":"deep","method":"ping"}`,
		"numeric method":    `{"jsonrpc":"2.0","id":"deep","method":5}`,
	}
	for _, stateless := range []bool{false, true} {
		e := start(t, false, httpserve.Options{Stateless: stateless})
		h := map[string]string{"Mcp-Protocol-Version": "2025-06-18"}
		if !stateless {
			resp, text := e.post(t, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`, nil)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("initialize: %d %s", resp.StatusCode, text)
			}
			h["Mcp-Session-Id"] = resp.Header.Get("Mcp-Session-Id")
		}
		for name, body := range cases {
			resp, text := e.post(t, body, h)
			var m struct {
				ID    any             `json:"id"`
				Error json.RawMessage `json:"error"`
			}
			data := text
			if i := strings.Index(text, "data: "); i >= 0 {
				data = strings.TrimSpace(strings.SplitN(text[i+6:], "\n", 2)[0])
			}
			if err := json.Unmarshal([]byte(data), &m); err != nil || m.ID != "deep" || m.Error == nil {
				t.Errorf("stateless %v, %s: %d %.300s", stateless, name, resp.StatusCode, text)
			}
		}
	}
}
