package main_test

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// The real binary on stdio answers lines that are not JSON-RPC with an error and reads
// on: after every one of them, the session initializes and a tool call of the embedded
// simulator answers. Before, the first such line ended the process.
func TestStdio_HostileFrames(t *testing.T) {
	frames := []string{
		"hello",
		"\xef\xbb\xbf",
		"[]",
		"42",
		`{"jsonrpc":"1.0","id":1,"method":"initialize"}`,
		strings.Repeat("[", 1001) + strings.Repeat("]", 1001),
		`{"jsonrpc":"2.0","id":99,"method":"tools/call","params":` + strings.Repeat(`{"a":`, 2000) + "1" + strings.Repeat("}", 2000) + "}",
		`{"jsonrpc":"2.0","id":true,"method":"ping"}`,
		"\x00\x01\x02",
		`{"jsonrpc":"2.0","id":1,"method":"ping"`,
	}
	cmd := exec.Command(binary, "--demo")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	cmd.Dir = t.TempDir()
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	}()
	lines := make(chan map[string]any, 64)
	go func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Errorf("stdout carries a line that is not JSON: %q", sc.Text())
				continue
			}
			lines <- m
		}
		close(lines)
	}()
	next := func(what string) map[string]any {
		select {
		case m, ok := <-lines:
			if !ok {
				t.Fatalf("%s: komodo-mcp closed stdout (exited?)\nstderr: %s", what, stderr.String())
			}
			return m
		case <-time.After(30 * time.Second):
			t.Fatalf("%s: no answer\nstderr: %s", what, stderr.String())
		}
		return nil
	}
	send := func(s string) {
		if _, err := io.WriteString(stdin, s+"\n"); err != nil {
			t.Fatalf("write: %v\nstderr: %s", err, stderr.String())
		}
	}
	for _, f := range frames {
		send(f)
		m := next(f)
		e, _ := m["error"].(map[string]any)
		if code, _ := e["code"].(float64); code != -32700 && code != -32600 {
			t.Errorf("frame %.40q answered %v, want a -32700 or -32600 error", f, m)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if m := next("initialize"); m["id"] != float64(1) || m["result"] == nil {
		t.Fatalf("initialize after hostile frames: %v", m)
	}
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"komodo_read_ListServers","arguments":{}}}`)
	m := next("tools/call")
	res, _ := m["result"].(map[string]any)
	if m["id"] != float64(2) || res == nil || res["isError"] == true || res["structuredContent"] == nil {
		t.Fatalf("tool call after hostile frames: %v", m)
	}
	if strings.Contains(stderr.String(), "panic") {
		t.Errorf("stderr reports a panic:\n%s", stderr.String())
	}
}
