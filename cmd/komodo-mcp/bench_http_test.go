package main_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
)

// lastLine is the last line of log that contains s ("" if none).
func lastLine(log, s string) string {
	i := strings.LastIndex(log, s)
	if i < 0 {
		return ""
	}
	line := log[i:]
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return line
}

const benchToken = "bench-0123456789abcdef0123456789"

// benchServer runs komodo-mcp --demo over HTTP (the embedded simulator, shared credentials
// behind a client token) with extra environment.
func benchServer(b *testing.B, env ...string) *httpProcess {
	b.Helper()
	tokens := filepath.Join(b.TempDir(), "tokens")
	if err := os.WriteFile(tokens, []byte("bench "+benchToken+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	return startHTTP(b, append([]string{"KOMODO_DEMO=1", "KOMODO_HTTP_TOKENS_FILE=" + tokens}, env...))
}

func benchClient() *http.Client {
	return &http.Client{Transport: headerTransport{h: map[string]string{"Authorization": "Bearer " + benchToken}, base: http.DefaultTransport}}
}

// BenchmarkHTTPLoad: 50 concurrent HTTP sessions x 200 tool calls each against the
// embedded simulator; fails on any error. Reports call latency (median, p99) and the
// server process's RSS after a warm-up round and after the load.
// Run with `make bench-http`.
func BenchmarkHTTPLoad(b *testing.B) {
	const sessions, calls = 50, 200
	for range b.N {
		p := benchServer(b)
		run := func(perSession int) ([]time.Duration, int) {
			var mu sync.Mutex
			var lat []time.Duration
			errs := 0
			var wg sync.WaitGroup
			for range sessions {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ctx := context.Background()
					cs, err := mcp.NewClient(&mcp.Implementation{Name: "load", Version: "1"}, nil).
						Connect(ctx, &mcp.StreamableClientTransport{Endpoint: p.url, HTTPClient: benchClient(), DisableStandaloneSSE: true}, nil)
					if err != nil {
						mu.Lock()
						errs++
						mu.Unlock()
						return
					}
					defer cs.Close()
					own := make([]time.Duration, 0, perSession)
					bad := 0
					for range perSession {
						start := time.Now()
						res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "komodo_read_ListServers", Arguments: map[string]any{}})
						own = append(own, time.Since(start))
						if err != nil || res.IsError {
							bad++
						}
					}
					mu.Lock()
					lat = append(lat, own...)
					errs += bad
					mu.Unlock()
				}()
			}
			wg.Wait()
			return lat, errs
		}
		if _, errs := run(10); errs > 0 { // warm-up: connections, caches, heap
			b.Fatalf("%d errors in the warm-up", errs)
		}
		pid := p.cmd.Process.Pid
		before := rssKB(pid)
		b.ResetTimer()
		start := time.Now()
		lat, errs := run(calls)
		took := time.Since(start)
		b.StopTimer()
		after := rssKB(pid)
		if errs > 0 {
			b.Fatalf("%d of %d calls failed", errs, sessions*calls)
		}
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2])/float64(time.Millisecond), "median-ms")
		b.ReportMetric(float64(lat[len(lat)*99/100])/float64(time.Millisecond), "p99-ms")
		b.ReportMetric(float64(len(lat))/took.Seconds(), "calls/s")
		b.ReportMetric(before/1024, "rss-before-MB")
		b.ReportMetric(after/1024, "rss-after-MB")
		b.ReportMetric(0, "ns/op")
		p.cmd.Process.Kill()
	}
}

// BenchmarkHTTPAbandonedSessions: 5,000 sessions are opened and abandoned; after the idle
// timeout (2s here) they are ended (an old id answers 404) and the server's RSS is compared
// with its baseline. Reports the RSS at baseline, with the sessions, and after reaping.
func BenchmarkHTTPAbandonedSessions(b *testing.B) {
	const sessions = 5000
	for range b.N {
		p := benchServer(b, "KOMODO_HTTP_SESSION_IDLE=2s", "KOMODO_HTTP_MAX_SESSIONS=10000")
		client := benchClient()
		open := func() string {
			req, _ := http.NewRequest("POST", p.url, strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"abandon","version":"1"}}}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Fatalf("initialize: %d", resp.StatusCode)
			}
			return resp.Header.Get("Mcp-Session-Id")
		}
		status := func(id string) int {
			req, _ := http.NewRequest("POST", p.url, strings.NewReader(`{"jsonrpc":"2.0","id":2,"method":"ping"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Accept", "application/json, text/event-stream")
			req.Header.Set("Mcp-Session-Id", id)
			req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return resp.StatusCode
		}
		// The server logs this line right after handing the memory of ended sessions back to
		// the operating system: once with every session gone, RSS is where reaping leaves it.
		const released = "returned the memory of ended sessions to the operating system"
		allReleased := func(n int, what string) {
			if !eventually.Within(2*time.Minute, func() bool {
				return strings.Count(p.stderr.String(), released) >= n && strings.Contains(lastLine(p.stderr.String(), released), "open=0")
			}) {
				b.Fatalf("%s were not ended after the idle timeout; stderr:\n%s", what, p.stderr.String())
			}
		}
		// Warm-up: enough sessions that their reaping hands memory back too, so that the
		// baseline is the state the server returns to, not its start-up heap.
		var warm string
		for range 300 {
			warm = open()
		}
		allReleased(1, "the warm-up sessions")
		if s := status(warm); s != http.StatusNotFound {
			b.Fatalf("a reaped session answered %d, want 404", s)
		}
		releases := strings.Count(p.stderr.String(), released)
		pid := p.cmd.Process.Pid
		base := rssKB(pid)
		b.ResetTimer()
		var first string
		var wg sync.WaitGroup
		ids := make(chan string, sessions)
		for range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range sessions / 8 {
					ids <- open()
				}
			}()
		}
		wg.Wait()
		close(ids)
		first = <-ids
		peak := rssKB(pid)
		allReleased(releases+1, "abandoned sessions")
		if s := status(first); s != http.StatusNotFound {
			b.Fatalf("an abandoned session answered %d after the idle timeout, want 404", s)
		}
		after := rssKB(pid)
		b.StopTimer()
		b.ReportMetric(base/1024, "rss-base-MB")
		b.ReportMetric(peak/1024, "rss-5000-MB")
		b.ReportMetric(after/1024, "rss-reaped-MB")
		b.ReportMetric((after-base)/1024, "rss-delta-MB")
		b.ReportMetric(0, "ns/op")
		if after-base >= 10*1024 {
			b.Errorf("RSS %0.1f MB above the baseline after reaping, want < 10 MB", (after-base)/1024)
		}
		p.cmd.Process.Kill()
	}
}
