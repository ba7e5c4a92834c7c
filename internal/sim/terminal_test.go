package sim

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
)

// termRun is one /terminal/execute call as a client sees it.
type termRun struct {
	status  int
	body    string
	readErr error // nil for a clean end of the stream
}

func serverTarget(name string) map[string]any {
	return map[string]any{"type": "Server", "params": map[string]any{"server": name}}
}

// execTerminal posts an ExecuteTerminal body and reads the whole answer.
func execTerminal(ctx context.Context, t testing.TB, s *Server, c creds, body map[string]any) termRun {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/terminal/execute", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("x-api-key", c.key)
		req.Header.Set("x-api-secret", c.secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return termRun{readErr: err}
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return termRun{status: resp.StatusCode, body: string(out), readErr: err}
}

func run(t testing.TB, s *Server, command string) termRun {
	t.Helper()
	return execTerminal(context.Background(), t, s, admin, map[string]any{"target": serverTarget("prod-1"), "command": command})
}

// finished is the body of a command that printed out (whole lines) and exited with code.
func finished(out string, code string) string {
	return "\n" + out + "\n__KOMODO_EXIT_CODE:" + code + "\n"
}

func TestTerminal_StreamBody(t *testing.T) {
	s := Start(t)
	for _, tc := range []struct{ command, want string }{
		{"echo hello world", "\nhello world\n\n__KOMODO_EXIT_CODE:0\n"},
		{"printf abc", "\nabc\n__KOMODO_EXIT_CODE:0\n"},
		{"true", "\n\n__KOMODO_EXIT_CODE:0\n"},
		{"false", "\n\n__KOMODO_EXIT_CODE:1\n"},
		{"foo --bar", "\nsh: 1: foo: not found\n\n__KOMODO_EXIT_CODE:127\n"},
		{"sh -c 'exit 3'", "\n\n__KOMODO_EXIT_CODE:3\n"},
		// A line that looks like the marker, then the real one.
		{"echo __KOMODO_EXIT_CODE:7", "\n__KOMODO_EXIT_CODE:7\n\n__KOMODO_EXIT_CODE:0\n"},
		{"printf __KOMODO_EXIT_CODE:7", "\n__KOMODO_EXIT_CODE:7\n__KOMODO_EXIT_CODE:0\n"},
		{"printf 'a\\r\\nb\\n'", "\na\nb\n\n__KOMODO_EXIT_CODE:0\n"},
		{"cat /etc/hostname; hostname", "\nprod-1\nprod-1\n\n__KOMODO_EXIT_CODE:0\n"},
		{"echo a && false || echo b; echo $?", "\na\nb\n0\n\n__KOMODO_EXIT_CODE:0\n"},
		{"seq 3", "\n1\n2\n3\n\n__KOMODO_EXIT_CODE:0\n"},
		{"seq 999 1000", "\n999\n1000\n\n__KOMODO_EXIT_CODE:0\n"},
		{"cat /nope; echo $?", "\ncat: /nope: No such file or directory\n1\n\n__KOMODO_EXIT_CODE:0\n"},
		{"echo 'unterminated", "\nsh: 1: Syntax error: Unterminated quoted string\n\n__KOMODO_EXIT_CODE:2\n"},
	} {
		r := run(t, s, tc.command)
		if r.status != http.StatusOK || r.readErr != nil || r.body != tc.want {
			t.Errorf("%s: HTTP %d, %v\n got %q\nwant %q", tc.command, r.status, r.readErr, r.body, tc.want)
		}
	}
	if n := s.Count("ExecuteTerminal"); n != 15 {
		t.Errorf("ExecuteTerminal count %d", n)
	}
}

func TestTerminal_ExitCutsTheStream(t *testing.T) {
	s := Start(t)
	r := run(t, s, "echo a; printf partial; exit 3; echo never")
	if r.status != http.StatusOK || !errors.Is(r.readErr, io.ErrUnexpectedEOF) {
		t.Errorf("HTTP %d, read error %v (want unexpected EOF)", r.status, r.readErr)
	}
	if r.body != "\na\npartial\n" || strings.Contains(r.body, "__KOMODO_EXIT_CODE") {
		t.Errorf("body %q", r.body)
	}
	// The terminal's shell is gone; the next command gets a new one.
	if r := run(t, s, "echo again"); r.body != "\nagain\n\n__KOMODO_EXIT_CODE:0\n" || r.readErr != nil {
		t.Errorf("after exit: %q %v", r.body, r.readErr)
	}
}

func TestTerminal_StreamsLineByLine(t *testing.T) {
	s := Start(t)
	// The command prints a line, then sleeps far longer than the test waits: the line can
	// only arrive if the answer streams.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	data, _ := json.Marshal(map[string]any{"target": serverTarget("prod-1"), "command": "echo first; sleep 3600"})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+"/terminal/execute", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", DemoAPIKey)
	req.Header.Set("x-api-secret", DemoAPISecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/plain; charset=utf-8" {
		t.Errorf("HTTP %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	br := bufio.NewReader(resp.Body)
	var lines []string
	for len(lines) < 2 {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v (the output is not streamed)", lines, err)
		}
		lines = append(lines, strings.TrimSuffix(line, "\n"))
	}
	if got := strings.Join(lines, ","); got != ",first" {
		t.Errorf("lines %q", got)
	}
}

func TestTerminal_LineDelay(t *testing.T) {
	s := Start(t, WithTerminalLineDelay(time.Hour))
	// With a line delay, not even the first line arrives before the client gives up.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := execTerminal(ctx, t, s, admin, map[string]any{"target": serverTarget("prod-1"), "command": "echo hi"})
	if !errors.Is(r.readErr, context.DeadlineExceeded) || strings.Contains(r.body, "hi") {
		t.Errorf("line delay not applied: %q %v", r.body, r.readErr)
	}
}

func TestTerminal_SleepAndClientTimeout(t *testing.T) {
	s := Start(t)
	if r := run(t, s, "echo before; sleep 0.2; echo after"); r.body != "\nbefore\nafter\n\n__KOMODO_EXIT_CODE:0\n" {
		t.Errorf("sleep: %q", r.body)
	}

	// A client that gives up gets what was printed so far; the command sleeps on.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	r := execTerminal(ctx, t, s, admin, map[string]any{"target": serverTarget("prod-1"), "command": "echo started; sleep 3600; echo late"})
	if !errors.Is(r.readErr, context.DeadlineExceeded) || r.body != "\nstarted\n" {
		t.Errorf("client timeout: %v, body %q", r.readErr, r.body)
	}
	// Komodo does not stop the command: the terminal stays busy until it ends, while
	// another terminal of the same server is free.
	ctx, cancel = context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if r := execTerminal(ctx, t, s, admin, map[string]any{"target": serverTarget("prod-1"), "terminal": "other", "command": "echo free"}); r.body != "\nfree\n\n__KOMODO_EXIT_CODE:0\n" {
		t.Errorf("other terminal: %q %v", r.body, r.readErr)
	}
	ctx, cancel = context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if r := execTerminal(ctx, t, s, admin, map[string]any{"target": serverTarget("prod-1"), "command": "echo next"}); strings.Contains(r.body, "next") || r.readErr == nil {
		t.Errorf("busy terminal ran another command: %q %v", r.body, r.readErr)
	}
}

func TestTerminal_EchoOfInputTypedWhileBusy(t *testing.T) {
	s := Start(t)
	// The first command streams: the second is typed once "one" has arrived, while it sleeps.
	data, _ := json.Marshal(map[string]any{"target": serverTarget("prod-1"), "command": "echo one; sleep 0.3; echo done"})
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"/terminal/execute", bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-api-key", admin.key)
	req.Header.Set("x-api-secret", admin.secret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	r := bufio.NewReader(resp.Body)
	var first strings.Builder
	for !strings.HasSuffix(first.String(), "one\n") {
		line, err := r.ReadString('\n')
		first.WriteString(line)
		if err != nil {
			t.Fatalf("first command: %q: %v", first.String(), err)
		}
	}
	second := run(t, s, "echo two")
	rest, err := io.ReadAll(r)
	first.Write(rest)
	echo := `printf '\n__KOMODO_START_OF_OUTPUT__\n\n'; echo two; rc=$?; printf '\n__KOMODO_EXIT_CODE:%d\n__KOMODO_END_OF_OUTPUT__\n' "$rc"`
	if want := "\none\n" + echo + "\ndone\n\n__KOMODO_EXIT_CODE:0\n"; first.String() != want || err != nil {
		t.Errorf("first:\n got %q\nwant %q (%v)", first.String(), want, err)
	}
	if second.body != "\ntwo\n\n__KOMODO_EXIT_CODE:0\n" || second.readErr != nil {
		t.Errorf("second: %q %v", second.body, second.readErr)
	}
}

func TestTerminal_LargeOutput(t *testing.T) {
	s := Start(t)
	r := run(t, s, "seq 200000")
	lines := strings.Split(r.body, "\n")
	// "", 1..200000, "", marker, "" after the final newline.
	if r.readErr != nil || len(lines) != 200004 || lines[1] != "1" || lines[200000] != "200000" || lines[200002] != "__KOMODO_EXIT_CODE:0" {
		t.Errorf("%d lines, %v, tail %q", len(lines), r.readErr, lines[max(len(lines)-4, 0):])
	}
}

func TestTerminal_Targets(t *testing.T) {
	s := Start(t)
	for _, tc := range []struct {
		name   string
		body   map[string]any
		want   string
		status int
	}{
		{"deployment", map[string]any{"target": map[string]any{"type": "Deployment", "params": map[string]any{"deployment": "web-frontend"}}, "command": "hostname"},
			finished(shortID("web-frontend")+"\n", "0"), 200},
		{"stack service", map[string]any{"target": map[string]any{"type": "Stack", "params": map[string]any{"stack": "monitoring", "service": "grafana"}}, "command": "cat /etc/hostname"},
			finished(shortID("monitoring-grafana-1")+"\n", "0"), 200},
		{"container", map[string]any{"target": map[string]any{"type": "Container", "params": map[string]any{"server": "prod-1", "container": "web-frontend"}}, "command": "docker ps"},
			"\nsh: 1: docker: not found\n\n__KOMODO_EXIT_CODE:127\n", 200},
		{"bash terminal", map[string]any{"target": serverTarget("prod-1"), "init": map[string]any{"command": "bash"}, "command": "nope"},
			"\nbash: nope: command not found\n\n__KOMODO_EXIT_CODE:127\n", 200},
		{"server by id", nil, "\nprod-1\n\n__KOMODO_EXIT_CODE:0\n", 200},
	} {
		if tc.body == nil {
			s.mu.Lock()
			id := s.w.find("Server", "prod-1").ID
			s.mu.Unlock()
			tc.body = map[string]any{"target": serverTarget(id), "command": "hostname"}
		}
		r := execTerminal(context.Background(), t, s, admin, tc.body)
		if r.status != tc.status || r.body != tc.want || r.readErr != nil {
			t.Errorf("%s: HTTP %d %v\n got %q\nwant %q", tc.name, r.status, r.readErr, r.body, tc.want)
		}
	}
}

func TestTerminal_Refusals(t *testing.T) {
	s := Start(t, WithExecDuration(20*time.Millisecond))
	sp, _ := loadSpec()
	op := sp.byID["ExecuteTerminal"]
	viewer := creds{key: ViewerAPIKey, secret: ViewerAPISecret}
	target := func(typ string, params map[string]any) map[string]any {
		return map[string]any{"type": typ, "params": params}
	}
	for _, tc := range []struct {
		name   string
		as     creds
		target map[string]any
		status int
		want   string // in the error or its trace
	}{
		{"unknown server", admin, serverTarget("nope"), 500, "Did not find any Server matching nope"},
		{"terminals disabled", admin, serverTarget("prod-2"), 500, "Terminals are disabled in the Periphery config"},
		{"viewer", viewer, serverTarget("prod-1"), 500, "User does not have required permissions on this Server"},
		{"viewer, deployment", viewer, target("Deployment", map[string]any{"deployment": "web-frontend"}), 500, "permissions on this Deployment"},
		{"unreachable server", admin, serverTarget("edge-1"), 500, "Connection refused"},
		{"disabled server", admin, serverTarget("lab-1"), 500, "server not enabled"},
		{"no server named", admin, target("Server", map[string]any{}), 500, "Missing 'target.params.server'"},
		{"no service named", admin, target("Stack", map[string]any{"stack": "monitoring"}), 500, "Missing 'target.params.service'"},
		{"unknown service", admin, target("Stack", map[string]any{"stack": "monitoring", "service": "loki"}), 500, "Did not find Stack service matching loki"},
		{"stack down", admin, target("Stack", map[string]any{"stack": "wiki", "service": "outline"}), 500, "Did not find container for Stack service outline"},
		{"container restarting", admin, target("Deployment", map[string]any{"deployment": "redis-cache"}), 500, "Container redis-cache is restarting"},
		{"not deployed", admin, target("Deployment", map[string]any{"deployment": "postgres-backup"}), 500, "No such container: postgres-backup"},
		{"container terminals disabled", admin, target("Container", map[string]any{"server": "prod-2", "container": "api-gateway"}), 500, "Container terminals are disabled"},
		{"unknown target type", admin, target("Swarm", map[string]any{"swarm": "x"}), 500, "Swarm"},
		{"no credentials", creds{}, serverTarget("prod-1"), 401, ""},
	} {
		r := execTerminal(context.Background(), t, s, tc.as, map[string]any{"target": tc.target, "command": "echo hi"})
		if r.status != tc.status || !strings.Contains(r.body, tc.want) {
			t.Errorf("%s: HTTP %d %s", tc.name, r.status, r.body)
		}
		validateAnswer(t, op, r.status, []byte(r.body))
	}

	stop := oid(postOK(t, s, admin, "/execute/StopDeployment", map[string]any{"deployment": "web-frontend"}))
	eventually.True(t, "StopDeployment complete", func() bool {
		return postOK(t, s, admin, "/read/GetUpdate", map[string]any{"id": stop})["status"] == "Complete"
	})
	if r := execTerminal(context.Background(), t, s, admin, map[string]any{"target": target("Deployment", map[string]any{"deployment": "web-frontend"}), "command": "echo hi"}); r.status != 500 || !strings.Contains(r.body, "container web-frontend is not running") {
		t.Errorf("stopped container: HTTP %d %s", r.status, r.body)
	}

	s.InjectFault(Fault{Op: "ExecuteTerminal", Kind: FaultKomodo, Message: "injected", Times: 1})
	if r := run(t, s, "echo hi"); r.status != 500 || !strings.Contains(r.body, "injected") {
		t.Errorf("fault: HTTP %d %s", r.status, r.body)
	}
}

func TestTerminal_CloseCutsStreams(t *testing.T) {
	s := Start(t)
	done := make(chan termRun)
	go func() { done <- run(t, s, "echo started; sleep 3600") }()
	waitBusy(t, s)
	s.Close()
	select {
	case r := <-done:
		if r.readErr == nil || strings.Contains(r.body, "__KOMODO_EXIT_CODE") {
			t.Errorf("after Close: %q %v", r.body, r.readErr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("stream not cut by Close")
	}
}

// waitBusy waits until a terminal of s runs a command.
func waitBusy(t *testing.T, s *Server) {
	t.Helper()
	eventually.True(t, "a terminal busy", func() bool {
		s.mu.Lock()
		defer s.mu.Unlock()
		for _, term := range s.terms {
			if len(term.busy) > 0 {
				return true
			}
		}
		return false
	})
}
