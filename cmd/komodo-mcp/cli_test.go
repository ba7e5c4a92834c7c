package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// runCLI runs the command line in-process with an empty environment in a temporary
// directory (no .env file) and returns its exit status and outputs.
func runCLI(t *testing.T, stdin io.Reader, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	t.Chdir(t.TempDir())
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	var out, errb bytes.Buffer
	code = run(context.Background(), args, stdin, &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

func TestHelp_ListsVerbsAndEverySetting(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"-h"}, {"help"}} {
		code, out, errOut := runCLI(t, nil, args...)
		if code != exitOK || errOut != "" {
			t.Fatalf("%v: exit %d, stderr %q", args, code, errOut)
		}
		for _, v := range verbs {
			if !strings.Contains(out, "komodo-mcp "+v.name) {
				t.Errorf("%v: help lacks the verb %s", args, v.name)
			}
		}
		for _, s := range config.Settings() {
			if !strings.Contains(out, s.Env) {
				t.Errorf("%v: help lacks %s", args, s.Env)
			}
			if s.File != "" && !strings.Contains(out, s.File) {
				t.Errorf("%v: help lacks %s", args, s.File)
			}
			if s.Flag != "" && !strings.Contains(out, "--"+s.Flag) {
				t.Errorf("%v: help lacks --%s", args, s.Flag)
			}
		}
		for _, want := range []string{"KOMODO_API_KEY", "KOMODO_API_SECRET_FILE", "call --demo komodo_read_ListServers"} {
			if !strings.Contains(out, want) {
				t.Errorf("%v: help lacks %q", args, want)
			}
		}
	}
}

// Each verb's help shows its own flags only, each with a named placeholder.
func TestVerbHelp_OwnFlagsOnly(t *testing.T) {
	cases := []struct {
		verb      string
		want, not []string
	}{
		{"serve", []string{"--http HOST:PORT", "--url URL", "--toolsets TOOLSETS", "KOMODO_API_SECRET_FILE"}, nil},
		{"tools", []string{"--toolsets TOOLSETS", "--read-only\n"}, []string{"--http", "--url", "--demo", "--wait-cap", "KOMODO_API_SECRET"}},
		{"call", []string{"TOOL [JSON]", "--demo\n", "--wait-cap DURATION", "KOMODO_API_SECRET, KOMODO_API_SECRET_FILE"}, []string{"--http"}},
		{"doctor", []string{"--url URL", "--retry-count N", "KOMODO_PASSWORD_FILE"}, []string{"--http", "--toolsets", "--wait-cap"}},
		{"sim", []string{"--addr HOST:PORT", "--exec-duration DURATION", "--hmac\n"}, []string{"--url", "--http"}},
		{"version", []string{"Komodo Core version"}, []string{"--url"}},
	}
	for _, c := range cases {
		code, _, help := runCLI(t, nil, c.verb, "--help")
		if code != exitOK {
			t.Errorf("%s --help: exit %d", c.verb, code)
		}
		if !strings.HasPrefix(help, "Usage: komodo-mcp "+c.verb) {
			t.Errorf("%s --help starts %q", c.verb, help[:min(len(help), 60)])
		}
		for _, w := range c.want {
			if !strings.Contains(help, w) {
				t.Errorf("%s --help lacks %q:\n%s", c.verb, w, help)
			}
		}
		for _, n := range c.not {
			if strings.Contains(help, n) {
				t.Errorf("%s --help shows %q, which the verb does not read:\n%s", c.verb, n, help)
			}
		}
		if strings.Contains(help, " value\n") {
			t.Errorf("%s --help has an unnamed placeholder:\n%s", c.verb, help)
		}
		// `komodo-mcp help VERB` prints the same on stdout.
		if _, out, _ := runCLI(t, nil, "help", c.verb); out != help {
			t.Errorf("help %s differs from %s --help", c.verb, c.verb)
		}
	}
}

func TestMistakes_DidYouMean(t *testing.T) {
	cases := []struct {
		args []string
		want []string
		not  string
	}{
		{[]string{"tool"}, []string{`unknown command "tool"`, `did you mean "tools"`}, ""},
		{[]string{"doctro"}, []string{`did you mean "doctor"`}, ""},
		{[]string{"help", "cal"}, []string{`did you mean "call"`}, ""},
		{[]string{"call", "--demo", "komodo_read_ListServer"}, []string{`unknown tool "komodo_read_ListServer"`, `did you mean "komodo_read_ListServers"`}, "in --tools"},
		{[]string{"call", "--demo", "ListServers"}, []string{`did you mean "komodo_read_ListServers"`}, "in --tools"},
		{[]string{"tools", "--toolsets", "stack"}, []string{`unknown toolset "stack"`, `did you mean "stacks"`}, ""},
		{[]string{"tools", "--tools", "komodo_read_GetServr"}, []string{`did you mean "komodo_read_GetServer"`}, ""},
		{[]string{"tools", "--tolsets", "all"}, []string{"unknown flag --tolsets", "did you mean --toolsets", "komodo-mcp tools --help"}, ""},
		{[]string{"tools", "--http", ":8080"}, []string{"unknown flag --http"}, "did you mean"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, nil, c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (stderr %q)", c.args, code, exitUsage, errOut)
		}
		if out != "" {
			t.Errorf("%v: wrote %q to stdout", c.args, out)
		}
		if lines := strings.Count(strings.TrimSpace(errOut), "\n"); lines != 0 {
			t.Errorf("%v: %d lines on stderr, want one:\n%s", c.args, lines+1, errOut)
		}
		for _, w := range c.want {
			if !strings.Contains(errOut, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, errOut, w)
			}
		}
		if c.not != "" && strings.Contains(errOut, c.not) {
			t.Errorf("%v: stderr %q mentions %q", c.args, errOut, c.not)
		}
	}
}

// TestCall_OnePermit: whether `call` may call a tool is the server's permit's decision,
// the same for the tool named directly and through komodo_call_tool: read-only refuses
// what changes Komodo and lets the gateway call reads; an excluded tool is refused both
// ways. (`call` once had a check of its own, which refused the gateway in read-only mode.)
func TestCall_OnePermit(t *testing.T) {
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"call", "--demo", "--read-only", "komodo_execute_Deploy", `{"deployment":"api-gateway"}`}, exitFailure, "read-only (KOMODO_READ_ONLY / --read-only)"},
		{[]string{"call", "--demo", "--read-only", "komodo_call_tool", `{"name":"komodo_execute_Deploy","arguments":{"deployment":"api-gateway"}}`}, exitFailure, "read-only (KOMODO_READ_ONLY / --read-only)"},
		{[]string{"call", "--demo", "--read-only", "komodo_call_tool", `{"name":"komodo_read_ListServers","arguments":{}}`}, exitOK, `"prod-1"`},
		{[]string{"call", "--demo", "--exclude-tools", "komodo_read_ListStacks", "komodo_read_ListStacks"}, exitFailure, "excluded on this server (KOMODO_EXCLUDE_TOOLS / --exclude-tools)"},
		{[]string{"call", "--demo", "--exclude-tools", "komodo_read_ListStacks", "komodo_call_tool", `{"name":"komodo_read_ListStacks"}`}, exitFailure, "excluded on this server (KOMODO_EXCLUDE_TOOLS / --exclude-tools)"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, nil, c.args...)
		if code != c.code || !strings.Contains(out, c.want) {
			t.Errorf("%v: exit %d (want %d), stdout lacks %q:\n%.500s\nstderr: %.500s", c.args[2:], code, c.code, c.want, out, errOut)
		}
	}
}

// TestCall_ToolTheCoreLacks: `call` of a tool that the Core's version lacks (CancelAction
// came with 2.3) against a 1.19.5 Core serves that Core's tools and says the Core cannot do
// it, instead of staying on the newest version's tools and sending the call.
func TestCall_ToolTheCoreLacks(t *testing.T) {
	code, out, errOut := runCLI(t, nil, "call", "--demo", "--komodo-version", "1.19.5", "komodo_execute_CancelAction", `{"action":"prune-old-images"}`)
	if code != exitFailure || !strings.Contains(out, "is not available: this Komodo Core runs 1.19.5") {
		t.Errorf("exit %d, stdout:\n%.500s\nstderr: %.800s", code, out, errOut)
	}
	if strings.Contains(errOut, "could not read Komodo's version") {
		t.Errorf("the Core's version was not served:\n%s", errOut)
	}
}

func TestVersion(t *testing.T) {
	code, out, _ := runCLI(t, nil, "version")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, flag := range []string{"--version", "-version"} {
		if code, same, errOut := runCLI(t, nil, flag); code != exitOK || same != out {
			t.Errorf("%s: exit %d, %q %q; want the output of `version`", flag, code, same, errOut)
		}
	}
	for _, want := range []string{"komodo-mcp ", "revision: ", "built with: go", "tools generated for: Komodo Core " + komodoVersion()} {
		if !strings.Contains(out, want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
	if komodoVersion() == "unknown" || !strings.Contains(komodoVersion(), ".") {
		t.Errorf("komodoVersion() = %q, want the document's info.version", komodoVersion())
	}

	// A release build sets the version with -ldflags; it wins over the build information.
	defer func(v, c, d string) { version, commit, date = v, c, d }(version, commit, date)
	version, commit, date = "v9.8.7", "0123456789abcdef0123456789abcdef01234567", "2026-01-02T03:04:05Z"
	_, out, _ = runCLI(t, nil, "version")
	for _, want := range []string{"komodo-mcp v9.8.7\n", "revision: 0123456789abcdef0123456789abcdef01234567 (2026-01-02T03:04:05Z)\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("release version output lacks %q:\n%s", want, out)
		}
	}
	// A snapshot of a repository without tags is stamped "none" and the zero time: not a revision.
	version, commit, date = "v0.0.1-snapshot+none", "none", "0001-01-01T00:00:00Z"
	_, out, _ = runCLI(t, nil, "version")
	if strings.Contains(out, "revision: none") || strings.Contains(out, "0001-01-01") {
		t.Errorf("snapshot version output shows GoReleaser's placeholders:\n%s", out)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a polling reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runUntil runs the command line until stdout contains want, then cancels it.
func runUntil(t *testing.T, want string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, args, strings.NewReader(""), &out, &errb, func(string) string { return "" })
	}()
	deadline := time.After(30 * time.Second)
	for !strings.Contains(out.String(), want) {
		select {
		case code := <-done:
			return code, out.String(), errb.String()
		case <-deadline:
			t.Fatalf("%v: no %q after 30 s; stdout %q stderr %q", args, want, out.String(), errb.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	cancel()
	return <-done, out.String(), errb.String()
}

func TestSim_FreePortWhenUsualOneTaken(t *testing.T) {
	// Hold the usual port; if something else already holds it, it is taken all the same.
	if ln, err := net.Listen("tcp", defaultSimAddr); err == nil {
		defer ln.Close()
	}
	code, out, errOut := runUntil(t, "Press Ctrl-C", "sim")
	if code != exitOK {
		t.Fatalf("sim: exit %d, stderr %q", code, errOut)
	}
	if !strings.Contains(errOut, defaultSimAddr+" is not free") || !strings.Contains(errOut, "free port instead") {
		t.Errorf("sim did not say it moved: stderr %q", errOut)
	}
	if strings.Contains(out, "http://"+defaultSimAddr) || !strings.Contains(out, "listening on http://127.0.0.1:") {
		t.Errorf("sim output %q", out)
	}
	for _, cred := range []string{sim.DemoAPIKey, sim.DemoAPISecret, sim.DemoUsername, sim.ViewerAPIKey, sim.ViewerAPISecret, sim.ViewerUsername, sim.ViewerPassword, "read-only"} {
		if !strings.Contains(out, cred) {
			t.Errorf("sim does not print %q:\n%s", cred, out)
		}
	}

	// An address the user chose is never replaced.
	code, _, errOut = runCLI(t, nil, "sim", "--addr", defaultSimAddr)
	if code != exitFailure || !strings.Contains(errOut, "start the simulator on "+defaultSimAddr) || !strings.Contains(errOut, "leave --addr out") {
		t.Errorf("sim --addr on a taken port: exit %d, stderr %q", code, errOut)
	}
}

func TestServe_InteractiveTerminalHint(t *testing.T) {
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)

	// A person types into the stdio server: it has said on stderr what it waits for and how to
	// try the tools instead; stdout carries only the protocol's answer to the typed line.
	isTerminal = func(io.Reader) bool { return true }
	code, out, errOut := runCLI(t, strings.NewReader("hello\n"), "--demo")
	if code != exitOK {
		t.Errorf("exit %d, want %d", code, exitOK)
	}
	for _, want := range []string{"waits for an MCP client", "komodo-mcp call --demo komodo_read_ListServers", "komodo-mcp tools"} {
		if !strings.Contains(errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if !strings.HasPrefix(out, `{"jsonrpc":"2.0"`) || strings.Contains(out, "waits for") {
		t.Errorf("stdout is the protocol channel, got %q", out)
	}

	// An MCP client (a pipe) gets no hint.
	isTerminal = func(io.Reader) bool { return false }
	code, _, errOut = runCLI(t, nil, "--demo")
	if code != exitOK || strings.Contains(errOut, "waits for an MCP client") {
		t.Errorf("pipe: exit %d, stderr %q", code, errOut)
	}
}
