package stdio_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/stdio"
)

func addSeeds(f *testing.F) {
	for _, h := range hostile {
		f.Add([]byte(h.line))
	}
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}`,
		`{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":{}}}`,
		`{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"x","arguments":"{"}}`,
		`{"jsonrpc":"2.0","id":1e400,"method":"ping"}`,
		`{"jsonrpc":"2.0","id":"1","result":5}`,
		`{"jsonrpc":"2.0","id":1,"method":"ping\xff"}`,
		`{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"loud"}}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecode: no line makes the decoder panic; a refusal is a JSON-RPC error frame, and
// an accepted line is a message the SDK can encode again.
func FuzzDecode(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, line []byte) {
		msg, r := stdio.Decode(line)
		if r != nil {
			if msg != nil {
				t.Fatal("both a message and a refusal")
			}
			if r.Code != jsonrpc.CodeParseError && r.Code != jsonrpc.CodeInvalidRequest {
				t.Fatalf("refusal code %d", r.Code)
			}
			return
		}
		if msg == nil {
			if len(bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(line), []byte("\xef\xbb\xbf")))) != 0 {
				t.Fatalf("non-blank line %q neither accepted nor refused", line)
			}
			return
		}
		if _, err := jsonrpc.EncodeMessage(msg); err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", line, err)
		}
	})
}

// FuzzTransport: whatever line arrives, a real MCP server on the transport answers a
// ping sent after it (the session survived), and everything it writes is JSON lines.
func FuzzTransport(f *testing.F) {
	addSeeds(f)
	srv := mcp.NewServer(&mcp.Implementation{Name: "fuzz", Version: "1"}, nil)
	f.Fuzz(func(t *testing.T, line []byte) {
		line = bytes.ReplaceAll(line, []byte("\n"), []byte(" ")) // one line
		inR, inW := io.Pipe()
		outR, outW := io.Pipe()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		ss, err := srv.Connect(ctx, &stdio.Transport{Reader: inR, Writer: outW}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer ss.Close()
		defer outR.Close()
		go func() {
			inW.Write(append(line, '\n'))
			inW.Write([]byte(`{"jsonrpc":"2.0","id":"fuzz-ping","method":"ping"}` + "\n"))
		}()
		got := make(chan error, 1)
		go func() {
			sc := bufio.NewScanner(outR)
			sc.Buffer(nil, 32<<20)
			for sc.Scan() {
				var m map[string]any
				if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
					got <- err
					return
				}
				if m["id"] == "fuzz-ping" && m["result"] != nil {
					got <- nil
					return
				}
			}
			got <- io.ErrUnexpectedEOF
		}()
		select {
		case err := <-got:
			if err != nil && !(strings.Contains(string(line), "fuzz-ping")) {
				t.Fatalf("after %q: %v", line, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("after %q: the ping was not answered", line)
		}
	})
}
