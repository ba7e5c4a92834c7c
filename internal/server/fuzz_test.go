package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// fuzzLog collects the server's log: a recovered panic shows up there.
type fuzzLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *fuzzLog) Write(p []byte) (int, error) { l.mu.Lock(); defer l.mu.Unlock(); return l.b.Write(p) }
func (l *fuzzLog) take() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := l.b.String()
	l.b.Reset()
	return s
}

var fuzzSeeds = []string{
	`{}`, `null`, `[]`, `"x"`, `{"id":"web-frontend"}`, `{"id":"prod-1","wait":true}`, `{"id":"nope"}`,
	`{"page":9223372036854775807}`, `{"page":1e400,"page_size":-1}`, `{"page":2,"page_size":1}`, `{"page":"2"}`,
	`{"status":"running","server_id":"prod-1"}`, `{"query":"{\"names\":[\"web-frontend\"]}"}`, `{"query":{"specific":{"states":["x"]}}}`,
	`{"id":"restart-monitoring","options":{"async":false,"timeout":1e308}}`, `{"id":"lab-1","options":{"timeout":-5,"waitForHealthy":true}}`,
	`{"id":"notify-release","payload":{"a":[1,{"b":null}]},"options":{"retryOnFailure":false}}`, `{"id":"docs-site","options":{"depth":0}}`,
	`{"id":"web-frontend","tail":18446744073709551615}`, `{"severity":"error","resolved":false,"resource_type":"Server"}`,
	`{"id":"x","timeout":0.0000001}`, `{"deployment":"web-frontend","id":"web-frontend"}`, `{"\u0000":1}`,
}

// FuzzToolArguments sends arbitrary arguments to the tools a client may call and checks
// what any client would rely on: no internal fault (a recovered panic), a failure is the
// {"error", "code"} JSON with a known code, and a success validates against the
// tool's own output schema.
func FuzzToolArguments(f *testing.F) {
	s, err := sim.Listen("127.0.0.1:0", sim.Options{ExecDuration: 20 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(s.Close)
	logs := &fuzzLog{}
	logger := slog.New(slog.NewTextHandler(logs, nil))
	client, err := rpc.New(testConfig(s.URL()), logger)
	if err != nil {
		f.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{Toolsets: []string{"default", "deployments", "stacks", "servers", "updates", "alerts"}}, logger,
		server.Options{WaitCap: 50 * time.Millisecond, PollInterval: 10 * time.Millisecond, Heartbeat: 50 * time.Millisecond})
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		f.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "fuzz", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { cs.Close(); ss.Close() })

	var tools []*mcp.Tool
	outputs := map[string]*jsonschema.Schema{}
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasPrefix(tool.Name, "komodo_terminal_") || strings.HasPrefix(tool.Name, "komodo_auth_") {
			continue // a shell, and the server's own login: not argument handling
		}
		tools = append(tools, tool)
		if tool.OutputSchema != nil {
			raw, _ := json.Marshal(tool.OutputSchema)
			doc, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
			c := jsonschema.NewCompiler()
			if err := c.AddResource("mem:///out.json", doc); err != nil {
				f.Fatal(err)
			}
			if outputs[tool.Name], err = c.Compile("mem:///out.json"); err != nil {
				f.Fatal(err)
			}
		}
	}
	slices.SortFunc(tools, func(a, b *mcp.Tool) int { return strings.Compare(a.Name, b.Name) })
	// Every tool with no arguments, and every seed with a few tools: enough to start from,
	// few enough for go test (the fuzzer finds the other combinations).
	for i := range tools {
		f.Add(uint16(i), []byte(`{}`))
	}
	for j, seed := range fuzzSeeds {
		for k := range 3 {
			f.Add(uint16(j*7+k*13), []byte(seed))
		}
	}
	codes := []string{"AUTH_ERROR", "NOT_FOUND", "VALIDATION_ERROR", "NETWORK_ERROR", "SERVER_ERROR", "TIMEOUT"}

	f.Fuzz(func(t *testing.T, index uint16, args []byte) {
		tool := tools[int(index)%len(tools)]
		if !json.Valid(args) {
			return // the client could not send it; the stdio fuzz covers broken JSON
		}
		callCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
		defer cancel()
		res, err := cs.CallTool(callCtx, &mcp.CallToolParams{Name: tool.Name, Arguments: json.RawMessage(args)})
		if log := logs.take(); strings.Contains(log, "internal fault") {
			t.Fatalf("%s %s: internal fault:\n%s", tool.Name, args, log)
		}
		if err != nil {
			var we *jsonrpc.Error
			if errors.As(err, &we) && we.Code == jsonrpc.CodeInvalidParams {
				return // the SDK refuses arguments that are not an object
			}
			t.Fatalf("%s %s: protocol error %v", tool.Name, args, err)
		}
		if res.IsError {
			var e struct{ Error, Code string }
			text := res.Content[0].(*mcp.TextContent).Text
			if json.Unmarshal([]byte(text), &e) != nil || e.Error == "" || !slices.Contains(codes, e.Code) {
				t.Fatalf("%s %s: error result is not the {error, code} shape: %s", tool.Name, args, text)
			}
			return
		}
		if v := outputs[tool.Name]; v != nil {
			data, _ := json.Marshal(res.StructuredContent)
			inst, _ := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err := v.Validate(inst); err != nil {
				t.Fatalf("%s %s: result does not match the output schema: %v\n%.500s", tool.Name, args, err, data)
			}
		}
	})
}
