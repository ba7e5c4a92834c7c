package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// httpProcess is a komodo-mcp serving HTTP; url is its MCP endpoint, read from its log.
type httpProcess struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
	done   chan error
}

func startHTTP(t testing.TB, env []string, args ...string) *httpProcess {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"--http", "127.0.0.1:0"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
	cmd.Dir = t.TempDir()
	pipe, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &httpProcess{cmd: cmd, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	sc := bufio.NewScanner(pipe)
	for sc.Scan() {
		line := sc.Text()
		p.stderr.Write([]byte(line + "\n"))
		if i := strings.Index(line, "url=http://"); i >= 0 && strings.Contains(line, "serving MCP") {
			p.url = strings.Fields(line[i+4:])[0]
			break
		}
	}
	go func() { io.Copy(p.stderr, pipe); p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.done
	})
	if p.url == "" {
		t.Fatalf("the server did not log its URL; stderr:\n%s", p.stderr.String())
	}
	return p
}

func TestHTTP_RefusesSharedCredentialsWithoutTokensOffLoopback(t *testing.T) {
	cmd := exec.Command(binary, "--http", "0.0.0.0:0")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "KOMODO_URL=http://127.0.0.1:1", "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s"}
	cmd.Dir = t.TempDir()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	exit, _ := err.(*exec.ExitError)
	if exit == nil || exit.ExitCode() != 2 {
		t.Errorf("exit %v, want status 2", err)
	}
	if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], "KOMODO_HTTP_TOKENS_FILE") {
		t.Errorf("stderr %q, want one line naming KOMODO_HTTP_TOKENS_FILE", stderr.String())
	}
}

// On loopback the same setup starts, with a warning; SIGTERM ends it cleanly (status 0).
func TestHTTP_LoopbackWarnsAndStopsOnSIGTERM(t *testing.T) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := startHTTP(t, simEnv(s))
	if !strings.Contains(p.stderr.String(), "level=WARN") || !strings.Contains(p.stderr.String(), "KOMODO_HTTP_TOKENS_FILE") {
		t.Errorf("no warning about missing tokens:\n%s", p.stderr.String())
	}
	resp, err := http.Get(strings.TrimSuffix(p.url, "/mcp") + "/healthz")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/healthz: %v %v", resp, err)
	}
	resp.Body.Close()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.done:
		if err != nil {
			t.Errorf("after SIGTERM: %v\n%s", err, p.stderr.String())
		}
		p.done <- err // for the cleanup
	case <-time.After(30 * time.Second):
		t.Fatal("SIGTERM did not stop the server")
	}
}

// roundRobin sends each HTTP request to the next of several replicas, as a load balancer
// without session affinity would, and counts what each received.
type roundRobin struct {
	mu       sync.Mutex
	backends []*url.URL
	next     int
	methods  []map[string]int // per backend: JSON-RPC method -> count
}

func (rr *roundRobin) RoundTrip(r *http.Request) (*http.Response, error) {
	rr.mu.Lock()
	i := rr.next % len(rr.backends)
	rr.next++
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	for _, m := range []string{"initialize", "tools/call", "tools/list"} {
		if bytes.Contains(body, []byte(`"method":"`+m+`"`)) {
			rr.methods[i][m]++
		}
	}
	rr.mu.Unlock()
	r = r.Clone(r.Context())
	r.URL.Host = rr.backends[i].Host
	r.Host = rr.backends[i].Host
	r.Body = io.NopCloser(bytes.NewReader(body))
	return http.DefaultTransport.RoundTrip(r)
}

// Two stateless replicas behind a round-robin balancer: the session is initialized on one,
// and calls that reach the other succeed. The same pair without --http-stateless fails,
// which shows the test can tell the difference.
func TestHTTP_StatelessReplicas(t *testing.T) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tokens := filepath.Join(t.TempDir(), "tokens")
	os.WriteFile(tokens, []byte("ci 0123456789abcdef0123456789\n"), 0o600)

	run := func(t *testing.T, stateless bool) (*roundRobin, error) {
		env := simEnv(s, "KOMODO_HTTP_TOKENS_FILE="+tokens)
		if stateless {
			env = append(env, "KOMODO_HTTP_STATELESS=true")
		}
		a, b := startHTTP(t, env), startHTTP(t, env)
		ua, _ := url.Parse(a.url)
		ub, _ := url.Parse(b.url)
		rr := &roundRobin{backends: []*url.URL{ua, ub}, methods: []map[string]int{{}, {}}}
		hc := &http.Client{Transport: headerTransport{h: map[string]string{"Authorization": "Bearer 0123456789abcdef0123456789"}, base: rr}}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// Pinned to the last protocol version with an initialize handshake: the proof needs one.
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "lb", Version: "1"}, nil).
			Connect(ctx, &mcp.StreamableClientTransport{Endpoint: a.url, HTTPClient: hc, MaxRetries: -1, DisableStandaloneSSE: true}, &mcp.ClientSessionOptions{ProtocolVersion: "2025-11-25"})
		if err != nil {
			return rr, err
		}
		defer cs.Close()
		for range 4 {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "komodo_read_ListServers", Arguments: map[string]any{}})
			if err != nil {
				return rr, err
			}
			if res.IsError {
				t.Fatalf("call: %+v", res.Content)
			}
		}
		return rr, nil
	}

	rr, err := run(t, true)
	if err != nil {
		t.Fatalf("stateless replicas: %v", err)
	}
	initOn := 0
	if rr.methods[1]["initialize"] > 0 {
		initOn = 1
	}
	if rr.methods[1-initOn]["tools/call"] == 0 {
		t.Errorf("no call reached the replica that did not see initialize: %v", rr.methods)
	}
	t.Logf("requests per replica: %v", rr.methods)

	if _, err := run(t, false); err == nil {
		t.Error("stateful replicas behind round-robin worked too: the test proves nothing")
	}
}

// headerTransport adds fixed headers to every request.
type headerTransport struct {
	h    map[string]string
	base http.RoundTripper
}

func (t headerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	for k, v := range t.h {
		r.Header.Set(k, v)
	}
	return t.base.RoundTrip(r)
}

// In stdio mode too, a change leaves one JSON audit line on stderr (and in KOMODO_AUDIT_LOG),
// and a destructive call is only previewed until it comes back with its token.
func TestStdio_AuditAndConfirmation(t *testing.T) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	auditFile := filepath.Join(t.TempDir(), "audit.log")
	p := start(t, simEnv(s, "KOMODO_TOOLS=komodo_write_DeleteVariable", "KOMODO_AUDIT_LOG="+auditFile))
	res := p.call(t, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL"}`)
	var preview struct {
		Status string `json:"status"`
		Token  string `json:"confirmation_token"`
	}
	raw := res.Content[0].(*mcp.TextContent).Text
	if json.Unmarshal([]byte(raw), &preview); preview.Status != "confirmation_required" || preview.Token == "" {
		t.Fatalf("preview: %s", raw)
	}
	if res := p.call(t, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL","confirmation_token":"`+preview.Token+`"}`); res.IsError {
		t.Fatalf("confirmed: %+v", res.Content)
	}
	file, _ := os.ReadFile(auditFile)
	lines := strings.Split(strings.TrimSpace(string(file)), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"caller":"admin","tool":"komodo_write_DeleteVariable","operation":"DeleteVariable","target":"LOG_LEVEL"`) ||
		!strings.Contains(lines[0], `"outcome":"confirmation_required"`) || !strings.Contains(lines[1], `"outcome":"ok"`) {
		t.Errorf("audit file:\n%s", file)
	}
	for _, l := range lines { // stderr is copied from a pipe by another goroutine: it may trail
		if !eventually.Within(eventually.Bound, func() bool { return strings.Contains(p.stderr.String(), l) }) {
			t.Errorf("audit line not on stderr: %s", l)
		}
	}
	assertOnlyProtocol(t, p)
}
