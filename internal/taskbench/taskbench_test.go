package taskbench

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// connect serves the default tool surface on a fresh simulator and opens a session.
func connect(t *testing.T) *Session {
	t.Helper()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	k, err := sim.Listen("127.0.0.1:0", sim.Options{Logger: quiet, ExecDuration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(k.Close)
	cfg := &config.Config{URL: k.URL(), AuthMode: auth.ModeAPIKey, APIKey: sim.DemoAPIKey, APISecret: sim.DemoAPISecret,
		RetryCount: 1, RetryDelay: time.Millisecond, Timeout: 10 * time.Second}
	client, err := rpc.New(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{}, quiet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "taskbench", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })
	s, err := NewSession(ctx, cs)
	if err != nil {
		t.Fatal(err)
	}
	s.Requests = k
	return s
}

// expected are words each answer must contain: the facts of the simulator's world.
var expected = map[string][]string{
	"Which servers are not healthy, and why?":                {"edge-1 (NotOk", "Connection refused", "lab-1 (Disabled"},
	"Which deployments are not running?":                     {"worker-queue (exited)", "redis-cache (restarting)", "postgres-backup (not_deployed)"},
	"Is api-gateway running, and when was it last deployed?": {"state running", "last deployed 20"},
	"How loaded is prod-1 (CPU, memory, disk)?":              {"cpu 23.4%", "memory 18.2/64 GB", "disk 412/960 GB"},
	"What failed in the last build?":                         {"api-gateway failed at Build Image", "failed to solve"},
	"Are there open critical alerts?":                        {"ContainerStateChange on redis-cache"},
	"Show the last 20 log lines of api-gateway.":             {"5 lines"}, // the simulator's container logs have five
	"Any errors in the monitoring stack's logs?":             {"no errors"},
	"Where does redis run?":                                  {"redis-cache", "prod-1"},
	"Restart the monitoring stack.":                          {"succeeded"},
	"Deploy web-frontend and tell me whether it worked.":     {"succeeded"},
	"Prune unused images on prod-1.":                         {"succeeded"},
	"What changed in the last hour?":                         {"RestartStack monitoring", "Deploy web-frontend", "PruneImages prod-1"},
}

// TestTasks answers every question through the default tool surface against the
// simulator; with -v it prints the table of calls and bytes (make bench-tasks).
func TestTasks(t *testing.T) {
	if len(Tasks) < 10 {
		t.Fatalf("%d tasks, want at least 10", len(Tasks))
	}
	s := connect(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	results := Run(ctx, s, Tasks)
	if testing.Verbose() {
		if err := Print(os.Stdout, s, results); err != nil {
			t.Fatal(err)
		}
	}
	sizes, err := Sizes(ctx, s)
	if err != nil {
		t.Fatalf("everyday calls: %v", err)
	}
	if testing.Verbose() {
		if err := PrintSizes(os.Stdout, sizes); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range results {
		want, ok := expected[r.Question]
		if !ok {
			t.Errorf("%q: no expected answer", r.Question)
			continue
		}
		if r.Err != nil {
			t.Errorf("%q: not answered: %v\n  %s", r.Question, r.Err, strings.Join(r.Trace, "\n  "))
			continue
		}
		for _, w := range want {
			if !strings.Contains(r.Answer, w) {
				t.Errorf("%q: answer %q lacks %q\n  %s", r.Question, r.Answer, w, strings.Join(r.Trace, "\n  "))
			}
		}
	}
}
