package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/server/servertest"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// The call contract (one typed call, one effect, one permit, one token per call), proven
// against the real binary on stdio and streamable HTTP, against the simulator counting
// every request.

// previewOf returns a result's confirmation token when it is a preview, else "".
func previewOf(res *mcp.CallToolResult) string {
	if len(res.Content) == 0 {
		return ""
	}
	tc, ok := res.Content[0].(*mcp.TextContent)
	if !ok {
		return ""
	}
	var p struct {
		Status string `json:"status"`
		Token  string `json:"confirmation_token"`
	}
	if json.Unmarshal([]byte(tc.Text), &p) != nil || p.Status != "confirmation_required" {
		return ""
	}
	return p.Token
}

// destructiveTools are the tools KOMODO_CONFIRM=destructive asks about.
func destructiveTools() []*server.Tool {
	var out []*server.Tool
	for _, t := range server.Inventory() {
		if !t.Dispatches && t.Effect.Mutates() && t.Effect.Destructive() {
			out = append(out, t)
		}
	}
	return out
}

// sweep calls every spelling of every destructive tool through call and checks that each
// is asked about with nothing sent; it returns the counts.
func sweep(t *testing.T, s *sim.Server, call func(name, args string) *mcp.CallToolResult) (tools, calls, asked int) {
	t.Helper()
	for _, tool := range destructiveTools() {
		tools++
		for _, sp := range servertest.Spellings(tool, servertest.MinimalArgs(tool)) {
			calls++
			before := servertest.Changes(s)
			res := call(sp.Tool, sp.Args)
			if sent := servertest.Changes(s) - before; sent != 0 {
				t.Errorf("%s (%s): Komodo received %d changing requests before the answer", sp.Inner, sp.Name, sent)
			}
			if previewOf(res) == "" {
				t.Errorf("%s (%s): not asked: %.300s", sp.Inner, sp.Name, res.Content[0].(*mcp.TextContent).Text)
				continue
			}
			asked++
		}
	}
	return tools, calls, asked
}

// TestContract_SweepStdio: every destructive tool of --toolsets all, every spelling, over
// the binary's stdio: asked, nothing sent; a token confirms one call in any spelling.
func TestContract_SweepStdio(t *testing.T) {
	if testing.Short() {
		t.Skip("the sweep calls every destructive tool in every spelling")
	}
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	p := start(t, simEnv(s, "KOMODO_TOOLSETS=all", "KOMODO_CONFIRM=destructive", "KOMODO_AUDIT_LOG="+auditFile))
	tools, calls, asked := sweep(t, s, func(name, args string) *mcp.CallToolResult { return p.call(t, name, args) })
	t.Logf("stdio: %d destructive tools x their spellings = %d calls, %d asked, %d changing requests sent before the answer", tools, calls, asked, servertest.Changes(s))
	if tools < 80 || asked != calls {
		t.Fatalf("%d tools, %d of %d calls asked", tools, asked, calls)
	}

	tok := previewOf(p.call(t, "komodo_execute_DestroyStack", `{"stack":"monitoring"}`))
	inner, _ := json.Marshal(map[string]string{"id": "monitoring", "confirmation_token": tok})
	outer, _ := json.Marshal(map[string]string{"name": "komodo_execute_DestroyStack", "arguments": string(inner)}) // arguments as a JSON string
	if res := p.call(t, "komodo_call_tool", string(outer)); res.IsError {
		t.Fatalf("confirmed in another spelling: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	if code := errorCode(t, p.call(t, "komodo_execute_DestroyStack", fmt.Sprintf(`{"stack":"monitoring","confirmation_token":%q}`, tok))); code != "VALIDATION_ERROR" {
		t.Errorf("second use of a token: %s", code)
	}
	if n := s.Count("DestroyStack"); n != 1 {
		t.Fatalf("DestroyStack reached Komodo %d times for one confirmation", n)
	}
	file, _ := os.ReadFile(auditFile)
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	if len(lines) != calls+3 {
		t.Errorf("%d audit lines for %d previews and 3 more calls", len(lines), calls)
	}
	assertOnlyProtocol(t, p)
}

// TestContract_SweepHTTP: the same over streamable HTTP, every spelling, and one token
// one call.
func TestContract_SweepHTTP(t *testing.T) {
	if testing.Short() {
		t.Skip("the sweep calls every destructive tool")
	}
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := startHTTP(t, simEnv(s, "KOMODO_TOOLSETS=all", "KOMODO_CONFIRM=destructive"))
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "sweep", Version: "1"}, nil).
		Connect(ctx, &mcp.StreamableClientTransport{Endpoint: h.url, MaxRetries: -1, DisableStandaloneSSE: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	call := func(name, args string) *mcp.CallToolResult {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
		if err != nil {
			t.Fatalf("%s %s: %v", name, args, err)
		}
		return res
	}
	tools, calls, asked := sweep(t, s, call)
	t.Logf("HTTP: %d destructive tools, %d calls, %d asked, %d changing requests sent before the answer", tools, calls, asked, servertest.Changes(s))
	if tools < 80 || asked != calls {
		t.Fatalf("%d of %d calls asked", asked, calls)
	}
	tok := previewOf(call("komodo_execute_DestroyStack", `{"stack":"monitoring"}`))
	for i := range 3 {
		res := call("komodo_execute_DestroyStack", fmt.Sprintf(`{"stack":"monitoring","confirmation_token":%q}`, tok))
		if (i == 0) == res.IsError {
			t.Fatalf("use %d of one token: isError %v: %s", i+1, res.IsError, res.Content[0].(*mcp.TextContent).Text)
		}
	}
	if n := s.Count("DestroyStack"); n != 1 {
		t.Fatalf("DestroyStack reached Komodo %d times for one confirmation", n)
	}
}

// TestContract_NoRedirect: KOMODO_URL answering a redirect to another host fails with a
// NETWORK_ERROR naming both; the other host (here the simulator) receives nothing.
func TestContract_NoRedirect(t *testing.T) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, s.URL()+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	env := simEnv(s, "KOMODO_URL="+front.URL, "KOMODO_CONFIRM=none", "KOMODO_TOOLSETS=all")
	p := start(t, env)
	for name, args := range map[string]string{"komodo_execute_Deploy": `{"id":"api-gateway"}`, "komodo_read_ListServers": `{}`} {
		res := p.call(t, name, args)
		text := res.Content[0].(*mcp.TextContent).Text
		if code := errorCode(t, res); code != "NETWORK_ERROR" || !strings.Contains(text, front.URL) || !strings.Contains(text, s.URL()) {
			t.Errorf("%s: %s", name, text)
		}
	}
	if c := s.Counts(); len(c) != 0 {
		t.Fatalf("the host KOMODO_URL redirects to received %v", c)
	}
}

// TestContract_PassThroughAndProtocolErrors: over the binary's HTTP in pass-through, 100
// requests with one wrong key cost Komodo one check, and a request nested too deep is
// answered with its id.
func TestContract_PassThroughAndProtocolErrors(t *testing.T) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	h := startHTTP(t, []string{"KOMODO_URL=" + s.URL()})
	post := func(body string, hdr map[string]string) (int, string) {
		req, _ := http.NewRequest("POST", h.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json, text/event-stream")
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	initBody := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`
	var unauthorized atomic.Int32
	for range 100 {
		if code, _ := post(initBody, map[string]string{"X-Api-Key": sim.DemoAPIKey, "X-Api-Secret": "wrong"}); code == http.StatusUnauthorized {
			unauthorized.Add(1)
		}
	}
	if n := s.Count("GetUser") + s.Count("user"); n != 1 || unauthorized.Load() != 100 {
		t.Fatalf("100 requests with a wrong key: %d answered 401, %d checks reached Komodo (want 1)", unauthorized.Load(), n)
	}
	deep := `{"jsonrpc":"2.0","id":"deep-1","method":"tools/list","params":{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}}`
	code, text := post(deep, map[string]string{"X-Api-Key": sim.DemoAPIKey, "X-Api-Secret": sim.DemoAPISecret})
	var m struct {
		ID    any             `json:"id"`
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal([]byte(text), &m); code != http.StatusBadRequest || m.ID != "deep-1" || m.Error == nil {
		t.Fatalf("nested too deep: %d %s", code, text)
	}
}

// TestContract_AuditBoundedAndRefused: over stdio, the audit line of a megabyte target is
// bounded; a call refused by validation is audited as refused without its arguments; the
// server's own secret never appears.
func TestContract_AuditBoundedAndRefused(t *testing.T) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	p := start(t, simEnv(s, "KOMODO_TOOLSETS=all", "KOMODO_AUDIT_LOG="+auditFile))
	huge := strings.Repeat("x", 1<<20)
	p.call(t, "komodo_execute_DestroyStack", fmt.Sprintf(`{"stack":%q}`, huge))
	p.call(t, "komodo_write_DeleteVariable", fmt.Sprintf(`{"name":%q}`, sim.DemoAPISecret))
	p.call(t, "komodo_execute_DestroyStack", fmt.Sprintf(`{"stack":%q,"unknown":%q}`, huge, sim.DemoAPISecret))
	file, _ := os.ReadFile(auditFile)
	if strings.Contains(string(file), sim.DemoAPISecret) {
		t.Error("the server's API secret is in the audit log")
	}
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d audit lines:\n%.2000s", len(lines), file)
	}
	for _, l := range lines {
		if len(l) > audit.MaxLine {
			t.Errorf("audit line of %d bytes", len(l))
		}
	}
	var refused audit.Record
	if json.Unmarshal([]byte(lines[2]), &refused); refused.Outcome != audit.OutcomeRefused || refused.Target != "" {
		t.Errorf("refused call: %s", lines[2])
	}
	if s.Count("DestroyStack") != 0 || s.Count("DeleteVariable") != 0 {
		t.Error("a previewed or refused call reached Komodo")
	}
}
