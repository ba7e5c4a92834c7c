package server_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// BenchmarkProgressLatency measures the time from a log stage appearing in Komodo (the
// simulator) to its MCP progress notification reaching a client, following the update
// over the websocket and by polling (every 1 s, as Komodo's own client). It reports the
// median over all stages of all iterations.
func BenchmarkProgressLatency(b *testing.B) {
	for _, tc := range []struct {
		name  string
		fault bool
	}{{"websocket", false}, {"polling", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s := simtest.Start(b, simtest.WithExecDuration(1500*time.Millisecond))
			if tc.fault {
				s.InjectFault(sim.Fault{Op: "ws/update", Kind: sim.FaultProxy, Status: 502})
			}
			var mu sync.Mutex
			appeared := map[string][]time.Time{} // update id -> when each stage appeared
			s.Subscribe(func(ev sim.UpdateEvent) {
				var logs []json.RawMessage
				raw, _ := json.Marshal(ev.Update["logs"])
				_ = json.Unmarshal(raw, &logs)
				mu.Lock()
				for len(appeared[ev.ID]) < len(logs) {
					appeared[ev.ID] = append(appeared[ev.ID], time.Now())
				}
				mu.Unlock()
			})
			received := newProgressNotes()
			client, err := rpc.New(testConfig(s.URL()), quiet)
			if err != nil {
				b.Fatal(err)
			}
			srv, err := server.New(client, server.Selection{}, quiet)
			if err != nil {
				b.Fatal(err)
			}
			st, ct := mcp.NewInMemoryTransports()
			ss, _ := srv.MCP().Connect(context.Background(), st, nil)
			defer ss.Close()
			cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "1"}, &mcp.ClientOptions{
				ProgressNotificationHandler: received.handle,
			}).Connect(context.Background(), ct, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer cs.Close()

			var latencies []time.Duration
			for i := 0; i < b.N; i++ {
				received.reset()
				params := &mcp.CallToolParams{Name: "komodo_execute_Deploy", Arguments: json.RawMessage(`{"id":"web-frontend","wait":true}`)}
				params.SetProgressToken("bench")
				res, err := cs.CallTool(context.Background(), params)
				if err != nil || res.IsError {
					b.Fatalf("deploy: %v", err)
				}
				id := res.StructuredContent.(map[string]any)["job_id"].(string)
				mu.Lock()
				stages := appeared[id]
				mu.Unlock()
				received.await(b, len(stages)) // one per stage; the last may trail the result
				at := received.times()
				for k, t0 := range stages {
					latencies = append(latencies, at[k].Sub(t0))
				}
			}
			if len(latencies) == 0 {
				b.Fatal("no stage was notified")
			}
			slices.Sort(latencies)
			b.ReportMetric(float64(latencies[len(latencies)/2])/float64(time.Millisecond), "median-ms")
			b.ReportMetric(float64(len(latencies))/float64(b.N), "stages/op")
		})
	}
}
