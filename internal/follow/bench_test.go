package follow

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

// stagesPerRun is how many stages each benchmark iteration adds.
const stagesPerRun = 5

// BenchmarkStageLatency measures the time from a stage appearing in (fake) Komodo to
// OnProgress reporting it when following by websocket: the real cost of the event, the
// GetUpdate it triggers and the report. It reports the median and the 90th percentile over
// all stages in milliseconds; ns/op is the time of a whole run and means little. Following by
// polling adds the wait for the next poll, which the clock decides, not the code: see
// TestWait_PollingLatency. Run with
//
//	go test -run '^$' -bench StageLatency -benchtime 50x ./internal/follow
func BenchmarkStageLatency(b *testing.B) {
	f, srv := newFakeKomodo(b, true)
	c := client(b, srv)
	var samples []time.Duration
	for i := 0; b.Loop(); i++ {
		id := fmt.Sprintf("66%022x", i)
		f.create(id)
		seen := make(chan time.Time, stagesPerRun+1)
		opts := Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret), Heartbeat: never,
			OnProgress: func(p Progress) {
				if !p.Heartbeat {
					seen <- time.Now()
				}
			}}
		w := waitAsync(context.Background(), c, id, opts)
		recv(b, f.loggedIn, "websocket login")
		for s := range stagesPerRun {
			f.stage(id, fmt.Sprintf("stage %d", s+1), true, "", "")
			f.mu.Lock()
			appeared := f.changed[id]
			f.mu.Unlock()
			select {
			case reported := <-seen:
				samples = append(samples, reported.Sub(appeared))
			case <-time.After(20 * time.Second):
				b.Fatal("no progress")
			}
		}
		f.complete(id, true)
		if res, err := w.result(b); err != nil || !res.Complete {
			b.Fatalf("Wait = %+v, %v", res, err)
		} else if res.Via != ViaWebsocket {
			b.Fatalf("followed via %s, want websocket", res.Via)
		}
	}
	slices.Sort(samples)
	msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(msOf(samples[len(samples)/2]), "median-ms")
	b.ReportMetric(msOf(samples[len(samples)*9/10]), "p90-ms")
	b.ReportMetric(float64(len(samples)), "stages")
}

// TestWait_PollingLatency: following by polling (no websocket), a stage that appears at any
// point of the polling period is reported at the next poll: never later than one
// PollInterval, and half of one on average. Stages appear at random moments of the bubble's
// clock.
func TestWait_PollingLatency(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, false)
		f.create(id1)
		seen := make(chan time.Time, 1)
		w := waitAsync(context.Background(), client(t, srv), id1, Options{Cap: never, Heartbeat: never, OnProgress: func(p Progress) {
			if !p.Heartbeat {
				seen <- time.Now()
			}
		}})
		rng := rand.New(rand.NewPCG(6, 6))
		const n = 200
		var total time.Duration
		for s := range n {
			<-time.After(time.Duration(rng.Int64N(int64(DefaultPollInterval)))) // Komodo works for a while
			f.stage(id1, fmt.Sprintf("stage %d", s+1), true, "", "")
			appeared := time.Now()
			lat := (<-seen).Sub(appeared)
			if lat < 0 || lat > DefaultPollInterval {
				t.Fatalf("stage %d reported %v after it appeared, want at most %v", s+1, lat, DefaultPollInterval)
			}
			total += lat
		}
		f.complete(id1, true)
		if res, err := w.result(t); err != nil || !res.Complete || res.Via != ViaPolling {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		if mean := total / n; mean < DefaultPollInterval/4 || mean > DefaultPollInterval*3/4 {
			t.Errorf("mean latency %v, want about half the poll interval (%v)", mean, DefaultPollInterval/2)
		}
	})
}
