package main_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// median of durations, in the unit given.
func median(ds []time.Duration, unit time.Duration) float64 {
	s := slices.Clone(ds)
	slices.Sort(s)
	return float64(s[len(s)/2]) / float64(unit)
}

// rssKB reads the resident set size of a process from /proc.
func rssKB(pid int) float64 {
	raw, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			v, _ := strconv.ParseFloat(f[1], 64)
			return v
		}
	}
	return 0
}

// BenchmarkStartToToolsList measures a real stdio process: start -> initialize answered ->
// tools/list answered, the bytes of the tools/list answer, and the resident memory after it.
func BenchmarkStartToToolsList(b *testing.B) {
	s := simtest.Start(b)
	for _, tc := range []struct{ name, toolsets string }{{"default", "default"}, {"all", "all"}} {
		b.Run(tc.name, func(b *testing.B) {
			var took []time.Duration
			var listBytes, rss float64
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				p := start(b, simEnv(s), "--toolsets", tc.toolsets) // returns once initialize is answered
				before := p.stdout.Len()
				n := 0
				for _, err := range p.session.Tools(context.Background(), nil) {
					if err != nil {
						b.Fatal(err)
					}
					n++
				}
				took = append(took, time.Since(t0))
				listBytes = float64(p.stdout.Len() - before)
				rss = rssKB(p.cmd.Process.Pid)
				p.close()
			}
			b.ReportMetric(median(took, time.Millisecond), "median-ms")
			b.ReportMetric(listBytes/1024, "tools/list-KB")
			b.ReportMetric(rss/1024, "RSS-MB")
		})
	}
}

// BenchmarkToolCallOverhead compares one tool call through the stdio server with the same
// request sent directly over HTTP to the simulator; overhead-us is the difference of medians.
func BenchmarkToolCallOverhead(b *testing.B) {
	s := simtest.Start(b)
	p := start(b, simEnv(s), "--toolsets", "all")
	client := &http.Client{}
	direct := func() {
		req, _ := http.NewRequest("POST", s.URL()+"/read/GetVersion", bytes.NewReader([]byte(`{}`)))
		req.Header.Set("content-type", "application/json")
		req.Header.Set("x-api-key", sim.DemoAPIKey)
		req.Header.Set("x-api-secret", sim.DemoAPISecret)
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != 200 {
			b.Fatalf("direct call: %v", err)
		}
		resp.Body.Close()
	}
	var viaMCP, viaHTTP []time.Duration
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		direct()
		viaHTTP = append(viaHTTP, time.Since(t0))
		t0 = time.Now()
		if res := p.call(b, "komodo_read_GetVersion", `{}`); res.IsError {
			b.Fatal("tool call failed")
		}
		viaMCP = append(viaMCP, time.Since(t0))
	}
	b.ReportMetric(median(viaHTTP, time.Microsecond), "direct-us")
	b.ReportMetric(median(viaMCP, time.Microsecond), "mcp-us")
	b.ReportMetric(median(viaMCP, time.Microsecond)-median(viaHTTP, time.Microsecond), "overhead-us")
}
