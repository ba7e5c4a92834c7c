package stdio_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/stdio"
)

// hostile are lines a client (or a stray write to the pipe) may send, with the code each
// must be answered with, or 0 for a line that is skipped without an answer.
var hostile = []struct {
	name, line string
	code       int64
	id         any
}{
	{"word", "hello", jsonrpc.CodeParseError, nil},
	{"bom alone", "\xef\xbb\xbf", jsonrpc.CodeParseError, nil},
	{"empty array", "[]", jsonrpc.CodeInvalidRequest, nil},
	{"batch", `[{"jsonrpc":"2.0","id":1,"method":"ping"}]`, jsonrpc.CodeInvalidRequest, nil},
	{"number", "42", jsonrpc.CodeInvalidRequest, nil},
	{"string", `"ping"`, jsonrpc.CodeInvalidRequest, nil},
	{"null", "null", jsonrpc.CodeInvalidRequest, nil},
	{"json-rpc 1.0", `{"jsonrpc":"1.0","id":7,"method":"ping"}`, jsonrpc.CodeInvalidRequest, "7"},
	{"no version", `{"id":"a","method":"ping"}`, jsonrpc.CodeInvalidRequest, "a"},
	{"no method, no id", `{"jsonrpc":"2.0"}`, jsonrpc.CodeInvalidRequest, nil},
	{"bool id", `{"jsonrpc":"2.0","id":true,"method":"ping"}`, jsonrpc.CodeInvalidRequest, nil},
	{"object id", `{"jsonrpc":"2.0","id":{},"method":"ping"}`, jsonrpc.CodeInvalidRequest, nil},
	{"numeric method", `{"jsonrpc":"2.0","id":3,"method":5}`, jsonrpc.CodeInvalidRequest, "3"},
	{"empty method", `{"jsonrpc":"2.0","id":4,"method":""}`, jsonrpc.CodeInvalidRequest, "4"},
	{"two values", `{"jsonrpc":"2.0","id":1,"method":"ping"}{}`, jsonrpc.CodeParseError, "1"},
	{"truncated", `{"jsonrpc":"2.0","id":1,"method":"pi`, jsonrpc.CodeParseError, "1"},
	{"truncated before the id's end", `{"jsonrpc":"2.0","id":"ab`, jsonrpc.CodeParseError, nil},
	{"id in params only", `{"jsonrpc":"2.0","method":"ping","params":{"id":5}`, jsonrpc.CodeParseError, nil},
	{"escaped key", `{"jsonrpc":"2.0","i\u0064":"esc","method":"pi`, jsonrpc.CodeParseError, "esc"},
	{"deep arrays", strings.Repeat("[", 1001) + strings.Repeat("]", 1001), jsonrpc.CodeInvalidRequest, nil},
	{"deep params", `{"jsonrpc":"2.0","id":9,"method":"ping","params":{"a":` + strings.Repeat(`{"a":`, 1000) + "1" + strings.Repeat("}", 1001) + "}", jsonrpc.CodeInvalidRequest, "9"},
	{"deep params, id last", `{"jsonrpc":"2.0","method":"ping","params":` + strings.Repeat(`[`, 200) + strings.Repeat("]", 200) + `,"id":"last"}`, jsonrpc.CodeInvalidRequest, "last"},
	{"unclosed deep", strings.Repeat("[", 100000), jsonrpc.CodeInvalidRequest, nil},
	{"invalid utf-8", "\xff\xfe", jsonrpc.CodeParseError, nil},
	{"nul", "\x00", jsonrpc.CodeParseError, nil},
	{"blank", "   \t", 0, nil},
}

func TestDecode_Hostile(t *testing.T) {
	for _, h := range hostile {
		msg, r := stdio.Decode([]byte(h.line))
		switch {
		case h.code == 0 && (msg != nil || r != nil):
			t.Errorf("%s: want skipped, got %v %+v", h.name, msg, r)
		case h.code != 0 && (r == nil || r.Code != h.code):
			t.Errorf("%s: refusal = %+v, want code %d", h.name, r, h.code)
		case r != nil && jsonID(r.ID) != h.id:
			t.Errorf("%s: refusal id = %v, want %v", h.name, r.ID, h.id)
		}
	}
}

func jsonID(v any) any {
	if n, ok := v.(json.Number); ok {
		return n.String()
	}
	return v
}

func TestDecode_Valid(t *testing.T) {
	for _, line := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		"\xef\xbb\xbf" + `{"jsonrpc":"2.0","id":1,"method":"ping"}`, // a BOM before a message is tolerated
		`  {"jsonrpc":"2.0","method":"notifications/initialized"}  `,
		`{"jsonrpc":"2.0","id":"x","result":{}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t","arguments":{"s":"[[[[{{{{\"]]]"}}}`,
		`{"jsonrpc":"2.0","id":3,"method":"ping","params":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`,
	} {
		msg, r := stdio.Decode([]byte(line))
		if r != nil || msg == nil {
			t.Errorf("%q: refused %+v", line, r)
		}
	}
}

// session runs an MCP server on the transport over pipes and returns the client's ends.
func session(t *testing.T) (send func(string), recv func() map[string]any) {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	srv := mcp.NewServer(&mcp.Implementation{Name: "test", Version: "1"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, &stdio.Transport{Reader: inR, Writer: outW}) }()
	t.Cleanup(func() {
		cancel()
		inW.Close()
		outR.Close()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Error("server did not stop")
		}
	})
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(outR)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	send = func(s string) {
		if _, err := io.WriteString(inW, s+"\n"); err != nil {
			t.Fatalf("server stopped reading: %v", err)
		}
	}
	recv = func() map[string]any {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("server closed its output")
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(l), &m); err != nil {
				t.Fatalf("server wrote a line that is not JSON: %q", l)
			}
			return m
		case <-time.After(10 * time.Second):
			t.Fatal("no answer from the server")
		}
		return nil
	}
	return send, recv
}

// Every hostile line is answered (or skipped) and the session reads on: a ping after each
// is answered, and a real initialize works after all of them.
func TestTransport_SurvivesHostileLines(t *testing.T) {
	send, recv := session(t)
	for i, h := range hostile {
		send(h.line)
		if h.code != 0 {
			m := recv()
			e, _ := m["error"].(map[string]any)
			if e == nil || e["code"] != float64(h.code) || m["jsonrpc"] != "2.0" {
				t.Errorf("%s: answered %v, want error %d", h.name, m, h.code)
			}
			if id, present := m["id"]; !present || (h.id == nil && id != nil) || (h.id != nil && fmt.Sprint(id) != h.id) {
				t.Errorf("%s: answer id = %v (present %v), want %v", h.name, id, present, h.id)
			}
		}
		send(`{"jsonrpc":"2.0","id":"ping-` + h.name + `","method":"ping"}`)
		if m := recv(); m["id"] != "ping-"+h.name || m["result"] == nil {
			t.Fatalf("after %d (%s): ping answered %v", i, h.name, m)
		}
	}
	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`)
	if m := recv(); m["id"] != float64(1) || m["result"] == nil {
		t.Fatalf("initialize after hostile lines: %v", m)
	}
}

// A line over the limit is refused without buffering it whole, and the next line is read.
func TestTransport_LongLine(t *testing.T) {
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	tr := &stdio.Transport{Reader: inR, Writer: outW, MaxLineBytes: 1024}
	conn, err := tr.Connect(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go func() {
		io.WriteString(inW, `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"`+strings.Repeat("x", 200000)+`"}}`+"\n")
		io.WriteString(inW, `{"jsonrpc":"2.0","id":2,"method":"ping"}`+"\n")
	}()
	answer := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(outR)
		if sc.Scan() {
			answer <- sc.Text()
		}
	}()
	msg, err := conn.Read(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if req, ok := msg.(*jsonrpc.Request); !ok || req.ID.Raw() != int64(2) {
		t.Fatalf("read %#v, want the second ping", msg)
	}
	if a := <-answer; !strings.Contains(a, `"code":-32600`) || !strings.Contains(a, "longer than 1024") {
		t.Fatalf("long line answered %s", a)
	}
}

// A line too long to be read whole is answered with its request's id, read from its head.
func TestTransport_TooLongLineKeepsItsID(t *testing.T) {
	send, recv := session(t)
	send(`{"jsonrpc":"2.0","id":"big","method":"ping","params":{"x":"` + strings.Repeat("a", stdio.DefaultMaxLineBytes) + `"}}`)
	m := recv()
	if e, _ := m["error"].(map[string]any); e == nil || m["id"] != "big" {
		t.Fatalf("answered %v, want an error with id big", m)
	}
}
