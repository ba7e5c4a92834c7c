package main_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// binary is komodo-mcp for the tests that run it as a process: this test binary, under
// a link named komodo-mcp, which TestMain (testmain_test.go) turns into the server. In
// that child, binary is simply its own name.
var binary = linkTestBinary()

func linkTestBinary() string {
	if filepath.Base(os.Args[0]) == "komodo-mcp" {
		return os.Args[0]
	}
	self, err := os.Executable()
	if err != nil {
		panic(err)
	}
	dir, err := os.MkdirTemp("", "komodo-mcp-e2e")
	if err != nil {
		panic(err)
	}
	link := filepath.Join(dir, "komodo-mcp")
	if err := os.Symlink(self, link); err != nil {
		panic(err)
	}
	_ = os.Setenv("KOMODO_MCP_TEST_LINK_DIR", dir) // TestMain removes it
	return link
}

// process is a komodo-mcp serving stdio, with everything it wrote to stdout recorded.
type process struct {
	session *mcp.ClientSession
	cmd     *exec.Cmd
	stdout  *lockedBuffer
	stderr  *lockedBuffer
}

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

func (l *lockedBuffer) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Len()
}

type readCloser struct {
	io.Reader
	io.Closer
}

// start runs the binary with env and args and connects an MCP client over its stdio.
func start(tb testing.TB, env []string, args ...string) *process {
	tb.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + tb.TempDir()}, env...)
	cmd.Dir = tb.TempDir() // no stray .env
	p := &process{cmd: cmd, stdout: &lockedBuffer{}, stderr: &lockedBuffer{}}
	cmd.Stderr = p.stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	transport := &mcp.IOTransport{Reader: readCloser{io.TeeReader(out, p.stdout), out}, Writer: stdin}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "e2e", Version: "1"}, nil).Connect(context.Background(), transport, nil)
	if err != nil {
		tb.Fatalf("connect: %v\nstderr: %s", err, p.stderr.String())
	}
	p.session = cs
	tb.Cleanup(p.close)
	return p
}

func (p *process) close() {
	p.session.Close()
	done := make(chan struct{})
	go func() { p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		p.cmd.Process.Kill()
		<-done
	}
}

func simEnv(s *sim.Server, extra ...string) []string {
	return append([]string{
		"KOMODO_URL=" + s.URL(), "KOMODO_API_KEY=" + sim.DemoAPIKey, "KOMODO_API_SECRET=" + sim.DemoAPISecret,
		"KOMODO_RETRY_DELAY=0.01",
	}, extra...)
}

func (p *process) tools(t testing.TB) []string {
	t.Helper()
	var names []string
	for tool, err := range p.session.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, tool.Name)
	}
	return names
}

func (p *process) call(t testing.TB, name, args string) *mcp.CallToolResult {
	t.Helper()
	res, err := p.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)})
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return res
}

func errorCode(t *testing.T, res *mcp.CallToolResult) string {
	t.Helper()
	if !res.IsError {
		t.Fatalf("want an error, got success")
	}
	var e struct{ Code string }
	json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &e)
	return e.Code
}

// assertOnlyProtocol checks that every line the process wrote to stdout is a JSON-RPC message.
func assertOnlyProtocol(t *testing.T, p *process) {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(p.stdout.String()))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	n := 0
	for sc.Scan() {
		var msg struct {
			JSONRPC string `json:"jsonrpc"`
		}
		if err := json.Unmarshal(sc.Bytes(), &msg); err != nil || msg.JSONRPC != "2.0" {
			t.Errorf("stdout line is not JSON-RPC: %.120q", sc.Text())
		}
		n++
	}
	if n == 0 {
		t.Error("nothing on stdout")
	}
}

func TestStdio_ToolLists(t *testing.T) {
	s := simtest.Start(t)
	cases := []struct {
		args      []string
		min, max  int
		has, hasn string
	}{
		{nil, 20, 60, "komodo_read_ListServers", "komodo_write_DeleteServer"},
		{[]string{"--toolsets", "all"}, 334, 400, "komodo_write_DeleteServer", ""},
		{[]string{"--toolsets", "stacks", "--read-only"}, 5, 30, "komodo_read_ListStacks", "komodo_execute_DeployStack"},
		{[]string{"--toolsets", "default", "--exclude-tools", "komodo_read_ListServers"}, 20, 60, "komodo_read_GetServer", "komodo_read_ListServers"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			p := start(t, simEnv(s), tc.args...)
			names := p.tools(t)
			joined := " " + strings.Join(names, " ") + " "
			if len(names) < tc.min || len(names) > tc.max {
				t.Errorf("%d tools, want %d..%d", len(names), tc.min, tc.max)
			}
			if !strings.Contains(joined, " "+tc.has+" ") {
				t.Errorf("missing %s", tc.has)
			}
			if tc.hasn != "" && strings.Contains(joined, " "+tc.hasn+" ") {
				t.Errorf("exposes %s", tc.hasn)
			}
			assertOnlyProtocol(t, p)
		})
	}
}

func TestStdio_Calls(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(20*time.Millisecond))
	p := start(t, simEnv(s, "KOMODO_LOG_LEVEL=debug"), "--toolsets", "all")

	if res := p.call(t, "komodo_read_ListDeployments", `{}`); res.IsError {
		t.Fatalf("read: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	if res := p.call(t, "komodo_write_CreateTag", `{"name":"e2e-tag"}`); res.IsError {
		t.Fatalf("write: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	deps := p.call(t, "komodo_read_ListDeployments", `{}`).StructuredContent.(map[string]any)["items"].([]any)
	name := deps[0].(map[string]any)["name"].(string)
	res := p.call(t, "komodo_execute_Deploy", `{"deployment":"`+name+`"}`)
	if res.IsError {
		t.Fatalf("execute: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	if op := res.StructuredContent.(map[string]any)["operation"]; op != "Deploy" {
		t.Errorf("execute answered operation %v, want an Update of Deploy", op)
	}

	// Unknown name: NOT_FOUND, and exactly one request reached Komodo.
	s.ResetCounts()
	if code := errorCode(t, p.call(t, "komodo_read_GetDeployment", `{"deployment":"no-such-deployment"}`)); code != "NOT_FOUND" {
		t.Errorf("unknown deployment: %s", code)
	}
	if n := s.Count("GetDeployment"); n != 1 {
		t.Errorf("GetDeployment reached Komodo %d times, want 1", n)
	}
	// 503 twice then OK on a read: success after 3 requests.
	s.ResetCounts()
	s.InjectFault(sim.Fault{Op: "ListStacks", Kind: sim.FaultProxy, Status: 503, Times: 2})
	if res := p.call(t, "komodo_read_ListStacks", `{}`); res.IsError {
		t.Errorf("503 twice then OK: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	if n := s.Count("ListStacks"); n != 3 {
		t.Errorf("ListStacks: %d requests, want 3", n)
	}
	// 502 on an execute: exactly one request.
	s.ResetCounts()
	s.InjectFault(sim.Fault{Op: "DeployStack", Kind: sim.FaultProxy, Status: 502, Times: 1})
	errorCode(t, p.call(t, "komodo_execute_DeployStack", `{"stack":"whatever"}`))
	if n := s.Count("DeployStack"); n != 1 {
		t.Errorf("DeployStack after a 502: %d requests, want exactly 1", n)
	}
	assertOnlyProtocol(t, p)
	if strings.Contains(p.stderr.String(), sim.DemoAPISecret) {
		t.Error("the API secret appears in the logs")
	}
}

func TestStdio_AuthAndNetworkErrors(t *testing.T) {
	s := simtest.Start(t)
	p := start(t, simEnv(s, "KOMODO_API_SECRET=not-the-secret"))
	if code := errorCode(t, p.call(t, "komodo_read_ListServers", `{}`)); code != "AUTH_ERROR" {
		t.Errorf("wrong secret: %s", code)
	}

	down := simtest.Start(t)
	url := down.URL()
	down.Close()
	p = start(t, []string{"KOMODO_URL=" + url, "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s", "KOMODO_RETRY_COUNT=2", "KOMODO_RETRY_DELAY=0.01"})
	if code := errorCode(t, p.call(t, "komodo_read_ListServers", `{}`)); code != "NETWORK_ERROR" {
		t.Errorf("simulator down: %s", code)
	}
	// stderr is copied by another goroutine than stdout's: wait for the lines to arrive.
	if !eventually.Within(eventually.Bound, func() bool { return strings.Count(p.stderr.String(), "retry") >= 2 }) {
		t.Errorf("want the 2 configured retries logged on stderr, saw %d mentions:\n%s", strings.Count(p.stderr.String(), "retry"), p.stderr.String())
	}
	assertOnlyProtocol(t, p)
}

func TestCLI_ConfigErrors(t *testing.T) {
	cases := []struct {
		env  []string
		args []string
		want string
	}{
		{nil, nil, "KOMODO_URL"},
		{[]string{"KOMODO_URL=https://k.example.com", "KOMODO_API_KEY=k"}, nil, "KOMODO_API_SECRET"},
		{[]string{"KOMODO_URL=https://k.example.com", "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s", "KOMODO_RETRY_COUNT=abc"}, nil, "KOMODO_RETRY_COUNT"},
		{[]string{"KOMODO_DEMO=1"}, []string{"--toolsets", "nope"}, `"nope"`},
	}
	for _, tc := range cases {
		cmd := exec.Command(binary, tc.args...)
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, tc.env...)
		cmd.Dir = t.TempDir()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		exit, _ := err.(*exec.ExitError)
		if exit == nil || exit.ExitCode() != 2 {
			t.Errorf("%v %v: exit %v, want status 2", tc.env, tc.args, err)
		}
		if lines := strings.Split(strings.TrimSpace(stderr.String()), "\n"); len(lines) != 1 || !strings.Contains(lines[0], tc.want) {
			t.Errorf("%v: stderr %q, want one line naming %s", tc.env, stderr.String(), tc.want)
		}
		if stdout.Len() != 0 {
			t.Errorf("%v: wrote %q to stdout", tc.env, stdout.String())
		}
	}
}

func TestCLI_CallDemo(t *testing.T) {
	cmd := exec.Command(binary, "call", "--demo", "komodo_read_ListServers")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	cmd.Dir = t.TempDir()
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("call --demo: %v", err)
	}
	var res struct{ Items []map[string]any }
	if err := json.Unmarshal(out, &res); err != nil || len(res.Items) < 3 {
		t.Errorf("call printed %q (%v)", out, err)
	}
}

func TestHTTP_StreamableServe(t *testing.T) {
	s := simtest.Start(t)
	cmd := exec.Command(binary, "--http", "127.0.0.1:0")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, simEnv(s)...)
	cmd.Dir = t.TempDir()
	stderr, _ := cmd.StderrPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	// The listening URL is logged on stderr.
	sc := bufio.NewScanner(stderr)
	url := ""
	for sc.Scan() {
		if i := strings.Index(sc.Text(), "url=http://"); i >= 0 {
			url = strings.Fields(sc.Text()[i+4:])[0]
			break
		}
	}
	go io.Copy(io.Discard, stderr)
	if url == "" {
		t.Fatal("the server did not log its URL")
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "http-e2e", Version: "1"}, nil).
		Connect(context.Background(), &mcp.StreamableClientTransport{Endpoint: url}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "komodo_read_ListServers", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("call over streamable HTTP: %v %+v", err, res)
	}
}

func TestCLI_Doctor(t *testing.T) {
	s := simtest.Start(t)
	run := func(env ...string) (string, int) {
		cmd := exec.Command(binary, "doctor")
		cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
		cmd.Dir = t.TempDir()
		out, err := cmd.Output()
		code := 0
		if exit, ok := err.(*exec.ExitError); ok {
			code = exit.ExitCode()
		}
		return string(out), code
	}
	out, code := run(simEnv(s)...)
	if code != 0 || strings.Count(out, "ok ") != 5 || !strings.Contains(out, "version "+sim.DefaultVersion()) || !strings.Contains(out, "tools: the catalog of Komodo") || !strings.Contains(out, "operation list (GET /docs) matches") {
		t.Errorf("doctor against the simulator: exit %d\n%s", code, out)
	}
	out, code = run(simEnv(s, "KOMODO_API_SECRET=wrong-secret-123")...)
	if code != 1 || !strings.Contains(out, "FAIL credentials") || !strings.Contains(out, "AUTH_ERROR") || strings.Contains(out, "wrong-secret-123") {
		t.Errorf("doctor with a wrong secret: exit %d\n%s", code, out)
	}
	// A configuration mistake: one line naming the setting as the extension shows it too.
	cmd := exec.Command(binary, "doctor")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "KOMODO_URL=komodo.example.com", "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s"}
	cmd.Dir = t.TempDir()
	var errOut bytes.Buffer
	cmd.Stderr = &errOut
	err := cmd.Run()
	if exit, _ := err.(*exec.ExitError); exit == nil || exit.ExitCode() != 2 || !strings.Contains(errOut.String(), "KOMODO_URL") || !strings.Contains(errOut.String(), `"Komodo URL"`) {
		t.Errorf("doctor with a URL without scheme: %v\n%s", err, errOut.String())
	}
}

// TestStdio_ConfigErrorsReachThePerson: with wrong settings the server still completes the
// handshake on stdio, offers the default tools, and every call answers with the mistake and
// where to change it (by the name the Claude Desktop extension shows); it exits, status 2,
// when stdin closes.
func TestStdio_ConfigErrorsReachThePerson(t *testing.T) {
	cases := []struct {
		env         []string
		want, where string
	}{
		{[]string{"KOMODO_URL=komodo.example.com", "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s"}, "is not an http(s) URL", `"Komodo URL"`},
		{[]string{"KOMODO_URL=https://komodo.example.com", "KOMODO_API_KEY=k"}, "KOMODO_API_SECRET is not set", `"API secret"`},
		{[]string{"KOMODO_URL=https://komodo.example.com", "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s", "KOMODO_TOOLSETS=stack"}, `unknown toolset "stack"`, `"Toolsets"`},
		{[]string{"KOMODO_URL=https://komodo.example.com", "KOMODO_API_KEY=k", "KOMODO_API_SECRET=s", "KOMODO_RETRY_COUNT=many"}, "KOMODO_RETRY_COUNT", `Set KOMODO_RETRY_COUNT in the "env"`},
	}
	for _, tc := range cases {
		p := start(t, tc.env)
		tools := p.tools(t)
		if len(tools) < 5 {
			t.Fatalf("%v: tools/list gave %v", tc.env, tools)
		}
		for _, name := range []string{tools[0], "komodo_read_ListServers", "komodo_call_tool"} {
			res, err := p.session.CallTool(context.Background(), &mcp.CallToolParams{Name: name, Arguments: map[string]any{}})
			if err != nil {
				t.Fatalf("%v: %s: %v", tc.env, name, err)
			}
			text := res.Content[0].(*mcp.TextContent).Text
			var e struct{ Error, Code, Hint string }
			_ = json.Unmarshal([]byte(text), &e)
			if !res.IsError || !strings.Contains(e.Error, tc.want) || !strings.Contains(e.Hint, tc.where) || !strings.Contains(e.Hint, "restart") {
				t.Errorf("%v: %s answered %s", tc.env, name, text)
			}
		}
		if init := p.session.InitializeResult(); init == nil || !strings.Contains(init.Instructions, tc.want) {
			t.Errorf("%v: instructions do not say what is wrong: %+v", tc.env, init)
		}
		p.session.Close() // stdin closes: the process ends
		err := p.cmd.Wait()
		if exit, _ := err.(*exec.ExitError); exit == nil || exit.ExitCode() != 2 {
			t.Errorf("%v: exit %v after stdin closed, want status 2", tc.env, err)
		}
		if errOut := p.stderr.String(); !strings.Contains(errOut, tc.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: stderr %q, want one line", tc.env, errOut)
		}
		assertOnlyProtocol(t, p)
	}
}
