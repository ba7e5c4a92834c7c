package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// syncBuffer is a log destination safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// A panic in any tool - including one registered after New, as a later gateway tool
// would be - or in any other handler answers an error and leaves the session usable.
func TestRecoverPanics(t *testing.T) {
	s := simtest.Start(t)
	cfg := &config.Config{URL: s.URL(), AuthMode: auth.ModeAPIKey, APIKey: sim.DemoAPIKey, APISecret: sim.DemoAPISecret,
		RetryCount: 1, RetryDelay: time.Millisecond, Timeout: 10 * time.Second}
	var logs syncBuffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	client, err := rpc.New(cfg, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(client, Selection{}, logger)
	if err != nil {
		t.Fatal(err)
	}
	srv.mcp.AddTool(&mcp.Tool{Name: "test_Boom", InputSchema: json.RawMessage(`{"type":"object"}`)},
		func(_ context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
			name := req.Params.Name
			_ = name[len(name)] // a runtime panic: index out of range
			return nil, nil
		})
	srv.mcp.AddPrompt(&mcp.Prompt{Name: "test_boom"}, func(context.Context, *mcp.GetPromptRequest) (*mcp.GetPromptResult, error) {
		panic("prompt " + sim.DemoAPISecret)
	})
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.mcp.Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })

	for range 3 {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "test_Boom"})
		if err != nil {
			t.Fatalf("a panicking tool is a protocol error: %v", err)
		}
		var e struct{ Error, Code string }
		if !res.IsError || json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &e) != nil || e.Code != "SERVER_ERROR" || !strings.Contains(e.Error, "test_Boom") {
			t.Fatalf("panicking tool answered %+v", res.Content[0])
		}
	}
	_, err = cs.GetPrompt(ctx, &mcp.GetPromptParams{Name: "test_boom"})
	var we *jsonrpc.Error
	if !errorsAs(err, &we) || we.Code != jsonrpc.CodeInternalError {
		t.Fatalf("panicking prompt: err = %v, want -32603", err)
	}
	// The session lives: a real tool still answers.
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "komodo_read_ListServers", Arguments: map[string]any{}})
	if err != nil || res.IsError {
		t.Fatalf("after the panics: %v %+v", err, res)
	}
	out := logs.String()
	for _, want := range []string{"internal fault", "tool=test_Boom", "index out of range", "recover_internal_test.go"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, sim.DemoAPISecret) {
		t.Error("the log carries the API secret from a panic value")
	}
}

func errorsAs(err error, target **jsonrpc.Error) bool {
	return err != nil && errors.As(err, target)
}
