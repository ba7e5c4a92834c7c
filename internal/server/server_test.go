package server_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// testConfig points at url with the simulator's demo credentials and fast retries.
func testConfig(url string) *config.Config {
	return &config.Config{
		URL: url, AuthMode: auth.ModeAPIKey, APIKey: sim.DemoAPIKey, APISecret: sim.DemoAPISecret,
		RetryCount: 3, RetryDelay: time.Millisecond, Timeout: 10 * time.Second,
	}
}

// connect serves the server in-process and returns a connected MCP client session.
func connect(t *testing.T, cfg *config.Config, sel server.Selection, opts ...server.Options) *mcp.ClientSession {
	t.Helper()
	client, err := rpc.New(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, sel, quiet, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return session(t, srv)
}

func call(t *testing.T, cs *mcp.ClientSession, name string, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
	if err != nil {
		t.Fatalf("%s: protocol error: %v", name, err)
	}
	return res
}

// toolError decodes the {"error", "code"} JSON from a failed result.
func toolError(t *testing.T, res *mcp.CallToolResult) (code, msg string) {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want an error result, got %+v", res.StructuredContent)
	}
	var e struct{ Error, Code string }
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &e); err != nil {
		t.Fatalf("error content is not the {error, code} JSON: %v", err)
	}
	return e.Code, e.Error
}

func structured(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool failed: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	raw, _ := json.Marshal(res.StructuredContent)
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestServer_ToolSelection(t *testing.T) {
	s := simtest.Start(t)
	cfg := testConfig(s.URL())
	names := func(sel server.Selection) []string {
		cs := connect(t, cfg, sel)
		var out []string
		for tool, err := range cs.Tools(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, tool.Name)
		}
		return out
	}
	defaults, _ := server.List(server.Selection{})
	defaults = slices.DeleteFunc(defaults, func(t server.ToolInfo) bool { return t.AppOnly }) // a client without MCP Apps is not shown them
	if got := names(server.Selection{}); len(got) != len(defaults) || len(got) < len(catalog.Default) || !slices.Contains(got, "komodo_read_ListServers") {
		t.Errorf("default surface = %d tools %v", len(got), got)
	}
	if got := names(server.Selection{Toolsets: []string{"all"}}); len(got) < len(catalog.Tools) {
		t.Errorf("all = %d tools, want at least %d", len(got), len(catalog.Tools))
	}
	ro := names(server.Selection{Toolsets: []string{"all"}, Tools: []string{"komodo_execute_DeployStack"}, ReadOnly: true})
	for _, n := range ro {
		if tool, ok := catalog.ByName(n); ok && !tool.Effect.ReadOnly() {
			t.Errorf("--read-only exposes %s", n)
		}
	}
	stacks := names(server.Selection{Toolsets: []string{"stacks"}, Exclude: []string{"komodo_execute_DestroyStack"}})
	if !slices.Contains(stacks, "komodo_execute_DeployStack") || slices.Contains(stacks, "komodo_execute_DestroyStack") || slices.Contains(stacks, "komodo_read_ListServers") {
		t.Errorf("stacks minus DestroyStack = %v", stacks)
	}
	if _, err := server.List(server.Selection{Toolsets: []string{"bogus"}}); err == nil || !strings.Contains(err.Error(), `"bogus"`) ||
		strings.Count(err.Error(), " auth,") != 1 || !strings.Contains(err.Error(), "terminal (= terminals)") || !strings.Contains(err.Error(), "user (= users)") {
		t.Errorf("unknown toolset error = %v (want each toolset once, and the aliases)", err)
	}
	if _, err := server.List(server.Selection{Tools: []string{"komodo_read_Nope"}}); err == nil {
		t.Error("unknown tool accepted")
	}
}

func TestServer_CallRead(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}})
	res := call(t, cs, "komodo_read_ListServers", `{}`)
	items, _ := structured(t, res)["items"].([]any)
	if len(items) < 3 {
		t.Fatalf("ListServers items = %d, want the seeded servers", len(items))
	}
	text := res.Content[0].(*mcp.TextContent).Text
	if !json.Valid([]byte(text)) || strings.Contains(text, "\n") {
		t.Errorf("text rendering is not compact JSON: %.80s", text)
	}
	first := items[0].(map[string]any)["name"].(string)
	got := structured(t, call(t, cs, "komodo_read_GetServer", `{"server":"`+first+`"}`))
	if got["name"] != first {
		t.Errorf("GetServer by name = %v", got["name"])
	}
}

func TestServer_Errors(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}})

	s.ResetCounts()
	code, msg := toolError(t, call(t, cs, "komodo_read_GetServer", `{"server":"no-such-server"}`))
	if code != "NOT_FOUND" || !strings.Contains(msg, "no-such-server") {
		t.Errorf("unknown server: %s %q", code, msg)
	}
	if n := s.Count("GetServer"); n != 1 {
		t.Errorf("GetServer reached the simulator %d times, want exactly 1 (a Komodo 500 is not retried)", n)
	}

	s.ResetCounts()
	code, msg = toolError(t, call(t, cs, "komodo_execute_Deploy", `{"id":"api","deployment":"api"}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "`deployment`") || !strings.Contains(msg, "`id`") {
		t.Errorf("Deploy with id and deployment: %s %q", code, msg)
	}
	code, msg = toolError(t, call(t, cs, "komodo_execute_Deploy", `{"stop_time":5}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "`id`") {
		t.Errorf("Deploy without a target: %s %q", code, msg)
	}
	code, msg = toolError(t, call(t, cs, "komodo_execute_Deploy", `{"deployment":"api","options":{"force":true,"nuke":true}}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "`nuke`") {
		t.Errorf("Deploy with an unknown option: %s %q", code, msg)
	}
	code, msg = toolError(t, call(t, cs, "komodo_execute_Deploy", `{"deployment":5}`))
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, "`deployment`") {
		t.Errorf("Deploy with a number: %s %q", code, msg)
	}
	if n := s.Count("Deploy"); n != 0 {
		t.Errorf("invalid arguments reached Komodo %d times", n)
	}

	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_read_NoSuchTool"})
	if err == nil && !res.IsError {
		t.Error("unknown tool accepted")
	}
}

func TestServer_Retry(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}})

	s.InjectFault(sim.Fault{Op: "ListServers", Kind: sim.FaultProxy, Status: 503, Times: 2})
	s.ResetCounts()
	structured(t, call(t, cs, "komodo_read_ListServers", `{}`))
	if n := s.Count("ListServers"); n != 3 {
		t.Errorf("503 twice then OK on a read: %d requests, want 3", n)
	}

	s.InjectFault(sim.Fault{Op: "Deploy", Kind: sim.FaultProxy, Status: 502, Times: 1})
	s.ResetCounts()
	res := call(t, cs, "komodo_execute_Deploy", `{"deployment":"does-not-matter"}`)
	code, _ := toolError(t, res)
	if text := res.Content[0].(*mcp.TextContent).Text; !strings.Contains(text, "komodo_read_ListUpdates") {
		t.Errorf("a failed execute does not warn that it may have reached Komodo: %s", text)
	}
	if n := s.Count("Deploy"); n != 1 {
		t.Errorf("502 on an execute: %d requests reached Komodo, want exactly 1", n)
	}
	if code != "NETWORK_ERROR" {
		t.Errorf("502 from a proxy: code %s", code)
	}
}

func TestServer_Auth(t *testing.T) {
	s := simtest.Start(t)
	cfg := testConfig(s.URL())
	cfg.APISecret = "wrong-secret-value"
	cs := connect(t, cfg, server.Selection{})
	res := call(t, cs, "komodo_read_ListServers", `{}`)
	code, msg := toolError(t, res)
	if code != "AUTH_ERROR" {
		t.Errorf("wrong secret: code %s", code)
	}
	if strings.Contains(msg, "wrong-secret-value") || strings.Contains(res.Content[0].(*mcp.TextContent).Text, "wrong-secret-value") {
		t.Error("the secret appears in the error")
	}
}

func TestServer_KomodoDown(t *testing.T) {
	ln := httptest.NewServer(http.NotFoundHandler())
	url := ln.URL
	ln.Close() // nothing listens there any more
	cfg := testConfig(url)
	cfg.RetryCount = 2
	cs := connect(t, cfg, server.Selection{})
	code, _ := toolError(t, call(t, cs, "komodo_read_ListServers", `{}`))
	if code != "NETWORK_ERROR" {
		t.Errorf("Komodo down: code %s, want NETWORK_ERROR", code)
	}
}

// TestServer_SentAsValidated checks that Komodo receives the validated arguments: the same
// JSON value, numbers exactly as the client wrote them (Komodo's i64 ids, timestamps).
func TestServer_SentAsValidated(t *testing.T) {
	var got []byte
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, _ = io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"_id":{"$oid":"6740a1f3c2b9e84d1f0a0201"},"name":"api"}`)
	}))
	defer fake.Close()
	cs := connect(t, testConfig(fake.URL), server.Selection{Toolsets: []string{"all"}})
	args := `{"id":"api","config":{"image":{"type":"Image","params":{"image":"ghcr.io/acme/api:1.4.2"}},"ports":"8080:80","environment":"A=1\nB=\"two\" <&>","send_alerts":false,"redeploy_on_build":true,"termination_timeout":9007199254740993}}`
	structured(t, call(t, cs, "komodo_write_UpdateDeployment", args))
	want := `{"config":{"environment":"A=1\nB=\"two\" <&>","image":{"params":{"image":"ghcr.io/acme/api:1.4.2"},"type":"Image"},"ports":"8080:80","redeploy_on_build":true,"send_alerts":false,"termination_timeout":9007199254740993},"id":"api"}`
	if string(got) != want {
		t.Errorf("Komodo received\n%s\nwant\n%s", got, want)
	}
	// A nested object sent as a JSON string (some clients do) arrives as the object.
	structured(t, call(t, cs, "komodo_write_UpdateDeployment", `{"id":"api","config":"{\"send_alerts\":true}"}`))
	if string(got) != `{"config":{"send_alerts":true},"id":"api"}` {
		t.Errorf("stringified object arrived as %s", got)
	}
}

// TestServer_Redaction checks that secret variables and credentials never reach the assistant.
func TestServer_Redaction(t *testing.T) {
	fake := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"name":"DB_PASSWORD","value":"hunter2-very-secret","description":"","is_secret":true},
			{"name":"REGION","value":"eu-west","description":"","is_secret":false},
			{"name":"LEAK","value":"the secret is `+sim.DemoAPISecret+`","description":"","is_secret":false}]`)
	}))
	defer fake.Close()
	cs := connect(t, testConfig(fake.URL), server.Selection{Toolsets: []string{"variables"}})
	res := call(t, cs, "komodo_read_ListVariables", `{}`)
	text := res.Content[0].(*mcp.TextContent).Text
	raw, _ := json.Marshal(res.StructuredContent)
	for _, out := range []string{text, string(raw)} {
		if strings.Contains(out, "hunter2") || strings.Contains(out, sim.DemoAPISecret) {
			t.Errorf("secret in tool output: %s", out)
		}
		if !strings.Contains(out, "eu-west") {
			t.Errorf("non-secret value lost: %s", out)
		}
	}
}

// TestServer_JWTWrongPassword checks that a refused login is AUTH_ERROR and is not retried.
func TestServer_JWTWrongPassword(t *testing.T) {
	s := simtest.Start(t)
	cfg := testConfig(s.URL())
	cfg.AuthMode, cfg.APIKey, cfg.APISecret = auth.ModeJWT, "", ""
	cfg.Username, cfg.Password = sim.DemoUsername, "not-the-password"
	cs := connect(t, cfg, server.Selection{})
	s.ResetCounts()
	res := call(t, cs, "komodo_read_ListServers", `{}`)
	if code, _ := toolError(t, res); code != "AUTH_ERROR" {
		t.Errorf("wrong password: %s, want AUTH_ERROR", code)
	}
	if strings.Contains(res.Content[0].(*mcp.TextContent).Text, "not-the-password") {
		t.Error("the password appears in the result")
	}
	if n := s.Count("LoginLocalUser"); n != 1 {
		t.Errorf("%d login attempts reached Komodo, want 1 (a refused login is not retried)", n)
	}
}

// TestServer_HMACMode signs with the hmac scheme against a peer that verifies it.
func TestServer_HMACMode(t *testing.T) {
	s := simtest.Start(t, simtest.WithHMAC())
	cfg := testConfig(s.URL())
	cfg.AuthMode = auth.ModeHMAC
	cs := connect(t, cfg, server.Selection{})
	if items, _ := structured(t, call(t, cs, "komodo_read_ListServers", `{}`))["items"].([]any); len(items) == 0 {
		t.Error("hmac mode: no servers")
	}
	cfg.APISecret = "wrong-hmac-secret"
	cs = connect(t, cfg, server.Selection{})
	if code, _ := toolError(t, call(t, cs, "komodo_read_ListServers", `{}`)); code != "AUTH_ERROR" {
		t.Errorf("hmac with a wrong secret: %s", code)
	}
}

// session opens an in-memory MCP session with srv, closed when the test ends.
func session(t *testing.T, srv *server.Server) *mcp.ClientSession {
	t.Helper()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })
	return cs
}
