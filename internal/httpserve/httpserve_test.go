package httpserve_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
	"github.com/komodo-mcp/komodo-mcp/internal/httpserve"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

const initBody = `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}`

// env is a komodo-mcp HTTP service in front of a simulator.
type env struct {
	url   string // http://127.0.0.1:port
	sim   *sim.Server
	srv   *server.Server
	svc   *httpserve.Service
	audit *lockedBuffer // the audit lines
	stop  func() error  // cancels Serve and returns its error
}

// start serves a komodo-mcp over HTTP on 127.0.0.1. passThrough leaves the server without
// credentials; otherwise it uses the simulator's admin key. opts fills the rest.
// startConfirm is the confirmation policy of the servers start makes (none when empty).
var startConfirm config.ConfirmPolicy

func start(t testing.TB, passThrough bool, opts httpserve.Options, simOpts ...sim.Options) *env {
	t.Helper()
	so := sim.Options{ExecDuration: 50 * time.Millisecond}
	if len(simOpts) > 0 {
		so = simOpts[0]
	}
	s, err := sim.Listen("127.0.0.1:0", so)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	cfg := &config.Config{URL: s.URL(), AuthMode: auth.ModeAPIKey, Timeout: 10 * time.Second, RetryCount: 0, RetryDelay: time.Millisecond, PassThrough: passThrough}
	if !passThrough {
		cfg.APIKey, cfg.APISecret = sim.DemoAPIKey, sim.DemoAPISecret
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	client, err := rpc.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	auditBuf := &lockedBuffer{}
	auditLog, _ := audit.New(auditBuf, "")
	srv, err := server.New(client, server.Selection{Tools: []string{"komodo_write_UpdateVariableValue"}}, logger, server.Options{PollInterval: 20 * time.Millisecond, Audit: auditLog, Confirm: startConfirm})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if opts.Addr == "" {
		opts.Addr = ln.Addr().String()
	}
	opts.PassThrough = passThrough
	if passThrough {
		opts.Lookup = httpserve.KomodoUser(client)
	}
	if opts.Ready == nil {
		opts.Ready = httpserve.KomodoReachable(s.URL())
	}
	opts.Logger = logger
	svc, err := httpserve.New(srv.MCP(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	var stopped bool
	var serveErr error
	stop := func() error {
		if !stopped {
			cancel()
			serveErr, stopped = <-done, true
		}
		return serveErr
	}
	t.Cleanup(func() { _ = stop() })
	return &env{url: "http://" + ln.Addr().String(), sim: s, srv: srv, svc: svc, stop: stop, audit: auditBuf}
}

// post sends one raw MCP POST to /mcp with the given headers.
func (e *env) post(t testing.TB, body string, headers map[string]string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	for k, v := range headers {
		if k == "Host" {
			req.Host = v
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

func (e *env) sessions() int {
	n := 0
	for range e.srv.MCP().Sessions() {
		n++
	}
	return n
}

// headerTransport adds fixed headers to every request of an MCP client.
type headerTransport struct {
	h    map[string]string
	base http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header.Set(k, v)
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// connect opens an MCP session with the go-sdk client, sending headers with every request.
func (e *env) connect(t testing.TB, headers map[string]string, copts *mcp.ClientOptions) (*mcp.ClientSession, error) {
	t.Helper()
	c := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, copts)
	tr := &mcp.StreamableClientTransport{Endpoint: e.url + "/mcp", HTTPClient: &http.Client{Transport: headerTransport{h: headers}}, MaxRetries: -1}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, tr, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
	if err == nil {
		t.Cleanup(func() { _ = cs.Close() })
	}
	return cs, err
}

func call(t testing.TB, cs *mcp.ClientSession, tool string, args map[string]any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String()
}

var (
	admin  = map[string]string{"X-Api-Key": sim.DemoAPIKey, "X-Api-Secret": sim.DemoAPISecret}
	viewer = map[string]string{"X-Api-Key": sim.ViewerAPIKey, "X-Api-Secret": sim.ViewerAPISecret}
)

func TestPassThrough_NoCredentials401BeforeAnySession(t *testing.T) {
	e := start(t, true, httpserve.Options{})
	for name, h := range map[string]map[string]string{
		"none":           nil,
		"key no secret":  {"X-Api-Key": sim.DemoAPIKey},
		"wrong secret":   {"X-Api-Key": sim.DemoAPIKey, "X-Api-Secret": "nope"},
		"bad jwt":        {"Authorization": "Bearer not.a.jwt"},
		"basic not jwt?": {"Authorization": "Basic dXNlcjpwYXNz"},
	} {
		resp, body := e.post(t, initBody, h)
		if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: %d %q, WWW-Authenticate %q; want 401 with a challenge", name, resp.StatusCode, body, resp.Header.Get("WWW-Authenticate"))
		}
		if resp.Header.Get("Mcp-Session-Id") != "" {
			t.Errorf("%s: a session id was issued", name)
		}
	}
	if n := e.sessions(); n != 0 {
		t.Errorf("%d sessions exist after refused requests", n)
	}
}

// Komodo decides per person: the viewer may read and may not write; the admin may. The
// execute with wait proves that the wait's polling carries the caller's credentials too.
func TestPassThrough_EachCallerKomodoPermissions(t *testing.T) {
	e := start(t, true, httpserve.Options{})
	v, err := e.connect(t, viewer, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := call(t, v, "komodo_read_ListServers", map[string]any{}); res.IsError {
		t.Fatalf("viewer read: %s", text(res))
	}
	res := call(t, v, "komodo_write_UpdateVariableValue", map[string]any{"name": "LOG_LEVEL", "value": "debug"})
	if !res.IsError || !strings.Contains(text(res), "permission") {
		t.Errorf("viewer write: %s; want Komodo's permission error", text(res))
	}

	a, err := e.connect(t, admin, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := call(t, a, "komodo_write_UpdateVariableValue", map[string]any{"name": "LOG_LEVEL", "value": "debug"}); res.IsError {
		t.Errorf("admin write: %s", text(res))
	}
	res = call(t, a, "komodo_execute_Deploy", map[string]any{"deployment": "web-frontend", "wait": true})
	if res.IsError || !strings.Contains(text(res), "Complete") {
		t.Errorf("admin deploy with wait: %s", text(res))
	}

	// The audit log names the Komodo user behind each caller's credentials.
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(e.audit.String()), "\n") {
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line %q: %v", line, err)
		}
		got = append(got, r.Caller+" "+r.Operation+" "+r.Target+" "+r.Outcome)
		if r.Operation == "Deploy" && r.UpdateID == "" {
			t.Errorf("deploy audited without its update id: %+v", r)
		}
	}
	want := []string{"viewer UpdateVariableValue LOG_LEVEL error", "admin UpdateVariableValue LOG_LEVEL ok", "admin Deploy web-frontend ok"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("audit:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, secret := range []string{sim.DemoAPISecret, sim.ViewerAPISecret} {
		if strings.Contains(e.audit.String(), secret) {
			t.Error("a caller's secret reached the audit log")
		}
	}
}

// lockedBuffer is a bytes.Buffer safe for concurrent use.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestPassThrough_SessionBoundToItsCaller(t *testing.T) {
	e := start(t, true, httpserve.Options{})
	resp, _ := e.post(t, initBody, admin)
	id := resp.Header.Get("Mcp-Session-Id")
	if resp.StatusCode != http.StatusOK || id == "" {
		t.Fatalf("admin initialize: %d, session %q", resp.StatusCode, id)
	}
	h := map[string]string{"Mcp-Session-Id": id, "Mcp-Protocol-Version": "2025-06-18"}
	for k, v := range viewer {
		h[k] = v
	}
	resp, body := e.post(t, `{"jsonrpc":"2.0","id":2,"method":"tools/list"}`, h)
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("viewer on the admin's session: %d %q; want 403", resp.StatusCode, body)
	}
}

func writeTokens(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "tokens")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

const (
	aliceToken = "alice-0123456789abcdef0123"
	bobToken   = "bob-0123456789abcdef0123456"
)

func TestTokens_RequiredCheckedAndReloaded(t *testing.T) {
	path := writeTokens(t, "# team\nalice "+aliceToken+"\n\nbob "+bobToken+"\n")
	tokens, err := httpserve.LoadTokens(path)
	if err != nil {
		t.Fatal(err)
	}
	e := start(t, false, httpserve.Options{Tokens: tokens})

	for name, h := range map[string]map[string]string{
		"none":          nil,
		"wrong":         {"Authorization": "Bearer alice-0123456789abcdef0124"},
		"prefix":        {"Authorization": "Bearer " + aliceToken[:10]},
		"not bearer":    {"Authorization": aliceToken},
		"komodo keys":   admin,
		"name as token": {"Authorization": "Bearer alice"},
	} {
		resp, body := e.post(t, initBody, h)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: %d %q; want 401 with WWW-Authenticate", name, resp.StatusCode, body)
		}
	}
	cs, err := e.connect(t, map[string]string{"Authorization": "Bearer " + aliceToken}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res := call(t, cs, "komodo_read_ListServers", map[string]any{}); res.IsError {
		t.Fatal(text(res))
	}

	// Bob is removed; the reload takes effect at once. A broken file keeps the old set.
	if err := os.WriteFile(path, []byte("alice "+aliceToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Reload(); err != nil {
		t.Fatal(err)
	}
	if resp, _ := e.post(t, initBody, map[string]string{"Authorization": "Bearer " + bobToken}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("removed token: %d; want 401", resp.StatusCode)
	}
	if err := os.WriteFile(path, []byte("alice short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := tokens.Reload(); err == nil || strings.Contains(err.Error(), "short") && strings.Contains(err.Error(), "alice short") {
		t.Errorf("broken reload: %v; want an error that quotes no token", err)
	}
	if resp, _ := e.post(t, initBody, map[string]string{"Authorization": "Bearer " + aliceToken}); resp.StatusCode != http.StatusOK {
		t.Errorf("after a broken reload the previous tokens must stay: %d", resp.StatusCode)
	}
}

func TestLoadTokens_Mistakes(t *testing.T) {
	for name, content := range map[string]string{
		"empty":          "# nothing\n",
		"one field":      "alice\n",
		"three fields":   "alice " + aliceToken + " extra\n",
		"short":          "alice abc\n",
		"duplicate name": "alice " + aliceToken + "\nalice " + bobToken + "\n",
		"shared token":   "alice " + aliceToken + "\nbob " + aliceToken + "\n",
	} {
		_, err := httpserve.LoadTokens(writeTokens(t, content))
		if err == nil || strings.Contains(err.Error(), aliceToken) {
			t.Errorf("%s: %v; want an error without the token", name, err)
		}
	}
}

func TestNew_RefusesSharedCredentialsWithoutTokensOffLoopback(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "x", Version: "1"}, nil)
	for _, addr := range []string{":8080", "0.0.0.0:8080", "10.0.0.5:8080", "[::]:8080", "example.com:80"} {
		_, err := httpserve.New(srv, httpserve.Options{Addr: addr})
		if !errors.Is(err, httpserve.ErrUnsafe) {
			t.Errorf("%s: %v; want ErrUnsafe", addr, err)
		}
	}
	for _, addr := range []string{"127.0.0.1:8080", "localhost:8080", "[::1]:8080"} {
		svc, err := httpserve.New(srv, httpserve.Options{Addr: addr})
		if err != nil || len(svc.Warnings()) == 0 {
			t.Errorf("%s: %v, warnings %v; want a start with a warning", addr, err, svc.Warnings())
		}
	}
}

func TestOriginAndHost(t *testing.T) {
	e := start(t, false, httpserve.Options{AllowedOrigins: []string{"https://app.example.com"}, AllowedHosts: []string{"mcp.example.com"}})
	tests := []struct {
		name string
		h    map[string]string
		want int
	}{
		{"no origin", nil, http.StatusOK},
		{"allowed origin", map[string]string{"Origin": "https://app.example.com"}, http.StatusOK},
		{"foreign origin", map[string]string{"Origin": "http://evil.example"}, http.StatusForbidden},
		{"null origin", map[string]string{"Origin": "null"}, http.StatusForbidden},
		{"rebinding host", map[string]string{"Host": "evil.example:8080"}, http.StatusForbidden},
		{"localhost", map[string]string{"Host": "localhost"}, http.StatusOK},
		{"allowed host", map[string]string{"Host": "mcp.example.com"}, http.StatusOK},
		{"other ip", map[string]string{"Host": "10.1.2.3"}, http.StatusForbidden},
	}
	for _, tt := range tests {
		resp, body := e.post(t, initBody, tt.h)
		if resp.StatusCode != tt.want {
			t.Errorf("%s: %d %q; want %d", tt.name, resp.StatusCode, body, tt.want)
		}
	}
}

func TestSessions_Capped(t *testing.T) {
	e := start(t, false, httpserve.Options{MaxSessions: 2})
	for i := range 2 {
		if resp, body := e.post(t, initBody, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("session %d: %d %q", i+1, resp.StatusCode, body)
		}
	}
	resp, body := e.post(t, initBody, nil)
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Errorf("third session: %d %q; want 503 with Retry-After", resp.StatusCode, body)
	}
}

func TestBodyLimit(t *testing.T) {
	e := start(t, false, httpserve.Options{})
	for _, size := range []int{1 << 20, 10 << 20} {
		body := `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"pad":"` + strings.Repeat("x", size) + `"}}`
		resp, msg := e.post(t, body, nil)
		if resp.StatusCode != http.StatusRequestEntityTooLarge {
			t.Errorf("%d bytes: %d %q; want 413", size, resp.StatusCode, msg)
		}
	}
	if n := e.sessions(); n != 0 {
		t.Errorf("%d sessions after refused bodies", n)
	}
}

func TestHealthAndReady(t *testing.T) {
	e := start(t, false, httpserve.Options{})
	get := func(path string) int {
		resp, err := http.Get(e.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := get("/healthz"); c != 200 {
		t.Errorf("/healthz: %d", c)
	}
	if c := get("/readyz"); c != 200 {
		t.Errorf("/readyz with Komodo up: %d", c)
	}
	down := start(t, false, httpserve.Options{Ready: httpserve.KomodoReachable("http://127.0.0.1:1")})
	resp, err := http.Get(down.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("/readyz with Komodo down: %d; want 503", resp.StatusCode)
	}
}

// A call in flight when shutdown begins finishes; then Serve returns and nothing more is
// accepted.
func TestServe_GracefulShutdown(t *testing.T) {
	e := start(t, false, httpserve.Options{}, sim.Options{ExecDuration: 700 * time.Millisecond})
	cs, err := e.connect(t, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan *mcp.CallToolResult, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_execute_Deploy", Arguments: map[string]any{"deployment": "web-frontend", "wait": true}})
		if err != nil {
			res = &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: err.Error()}}}
		}
		got <- res
	}()
	// Shut down once the call is under way: it is waiting for the deploy (reading its Update).
	eventually.True(t, "the call waiting for its deploy (reading its Update)", func() bool { return e.sim.Count("GetUpdate") > 0 })
	if err := e.stop(); err != nil {
		t.Fatalf("Serve: %v", err)
	}
	select {
	case res := <-got:
		if res.IsError || !strings.Contains(text(res), "Complete") {
			t.Errorf("call in flight at shutdown: %s", text(res))
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the call in flight never answered")
	}
	if _, err := http.Get(e.url + "/healthz"); err == nil {
		t.Error("still accepting after shutdown")
	}
}

// A wrong key costs Komodo at most one check per interval: the refusal is remembered under
// the credential's hash (also for concurrent requests), and an address whose keys Komodo
// keeps refusing gets 429 without Komodo being asked - except for credentials already
// known good.
func TestPassThrough_FailedChecksThrottled(t *testing.T) {
	e := start(t, true, httpserve.Options{})
	checks := func() int { return e.sim.Count("GetUser") + e.sim.Count("user") }
	if resp, _ := e.post(t, initBody, admin); resp.StatusCode != http.StatusOK {
		t.Fatalf("admin: %d", resp.StatusCode)
	}
	base := checks()
	if base != 1 {
		t.Fatalf("the admin's key took %d checks", base)
	}
	bad := map[string]string{"X-Api-Key": sim.DemoAPIKey, "X-Api-Secret": "wrong-secret"}
	var wg sync.WaitGroup
	for range 100 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if resp, _ := e.post(t, initBody, bad); resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("bad key: %d, want 401", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	if n := checks() - base; n != 1 {
		t.Fatalf("100 requests with one wrong key cost Komodo %d checks, want 1", n)
	}
	limited := 0
	for i := range 30 {
		guess := map[string]string{"X-Api-Key": sim.DemoAPIKey, "X-Api-Secret": fmt.Sprintf("guess-%d", i)}
		resp, _ := e.post(t, initBody, guess)
		switch resp.StatusCode {
		case http.StatusUnauthorized:
		case http.StatusTooManyRequests:
			limited++
			if resp.Header.Get("Retry-After") == "" {
				t.Error("429 without Retry-After")
			}
		default:
			t.Errorf("guess %d: %d", i, resp.StatusCode)
		}
	}
	if n := checks() - base; n > 10 || limited < 20 {
		t.Fatalf("31 wrong keys from one address cost Komodo %d checks (%d answered 429), want at most 10", n, limited)
	}
	if resp, _ := e.post(t, initBody, admin); resp.StatusCode != http.StatusOK {
		t.Fatalf("a key known good is refused on a throttled address: %d", resp.StatusCode)
	}
}

// A client that never answers a confirmation question (elicitation) does not keep the
// process from exiting: shutdown ends within the grace whatever the sessions wait for.
func TestServe_ShutdownWithUnansweredQuestion(t *testing.T) {
	startConfirm = config.ConfirmDestructive
	e := start(t, false, httpserve.Options{ShutdownGrace: time.Second})
	startConfirm = ""
	asked := make(chan struct{}, 1)
	never := make(chan struct{})
	defer close(never)
	cs, err := e.connect(t, nil, &mcp.ClientOptions{ElicitationHandler: func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
		asked <- struct{}{}
		<-never
		return nil, fmt.Errorf("never answered")
	}})
	if err != nil {
		t.Fatal(err)
	}
	answered := make(chan string, 1)
	go func() {
		res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_call_tool", Arguments: map[string]any{
			"name": "komodo_execute_DestroyStack", "arguments": map[string]any{"stack": "monitoring"}}})
		if err != nil {
			answered <- err.Error()
		} else {
			answered <- text(res)
		}
	}()
	select {
	case <-asked:
	case a := <-answered:
		t.Fatalf("answered without asking: %s", a)
	case <-time.After(20 * time.Second):
		t.Fatal("the destroy was never asked about")
	}
	stopped := make(chan error, 1)
	go func() { stopped <- e.stop() }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("Serve did not return: a question nobody answers keeps the process from exiting")
	}
}
