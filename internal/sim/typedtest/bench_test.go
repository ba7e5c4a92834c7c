package typedtest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/komodo"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// BenchmarkListServers measures ListServers over loopback through the typed client,
// validation and auth included, from parallel clients.
func BenchmarkListServers(b *testing.B) {
	s := simtest.Start(b)
	tr := &http.Transport{MaxIdleConnsPerHost: 64}
	c, err := komodo.NewClientWithResponses(s.URL(), komodo.WithHTTPClient(&http.Client{Transport: tr}),
		komodo.WithRequestEditorFn(func(_ context.Context, req *http.Request) error {
			req.Header.Set("x-api-key", sim.DemoAPIKey)
			req.Header.Set("x-api-secret", sim.DemoAPISecret)
			return nil
		}))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			r, err := c.ListServersWithResponse(ctx, komodo.ListServers{})
			if err != nil || r.StatusCode() != 200 {
				b.Errorf("ListServers: %v", err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
}
