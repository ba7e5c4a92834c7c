package follow

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// stagesPerRun is how many stages each benchmark iteration adds.
const stagesPerRun = 5

// BenchmarkStageLatency measures the time from a stage appearing in (fake)
// Komodo to OnProgress reporting it, following by websocket and by polling
// with the default intervals. It reports the median and the 90th percentile
// over all stages in milliseconds; ns/op is the time of a whole run and means
// little. Polling takes about 5 s per iteration: run it with
//
//	go test -run '^$' -bench StageLatency -benchtime 8x ./internal/follow
func BenchmarkStageLatency(b *testing.B) {
	for _, via := range []string{ViaWebsocket, ViaPolling} {
		b.Run(via, func(b *testing.B) {
			ws := via == ViaWebsocket
			f, srv := newFakeKomodo(b, ws)
			c := client(b, srv)
			rng := rand.New(rand.NewPCG(6, 6))
			var samples []time.Duration
			for i := 0; b.Loop(); i++ {
				id := fmt.Sprintf("66%022x", i)
				f.create(id)
				seen := make(chan time.Time, stagesPerRun+1)
				opts := Options{Heartbeat: never, OnProgress: func(p Progress) {
					if !p.Heartbeat {
						seen <- time.Now()
					}
				}}
				if ws {
					opts.Login = APIKeyLogin(testKey, testSecret)
				}
				select { // a token left by the previous run
				case <-f.served:
				default:
				}
				w := waitAsync(context.Background(), c, id, opts)
				if ws {
					recv(b, f.loggedIn, "websocket login")
				} else {
					recv(b, f.served, "first poll")
				}
				for s := range stagesPerRun {
					// A random pause puts each stage at a random point of the
					// polling period, as in real life.
					pause := DefaultPollInterval
					if ws {
						pause = 20 * time.Millisecond
					}
					time.Sleep(time.Duration(rng.Int64N(int64(pause))))
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
				} else if res.Via != via {
					b.Fatalf("followed via %s, want %s", res.Via, via)
				}
			}
			slices.Sort(samples)
			msOf := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
			b.ReportMetric(msOf(samples[len(samples)/2]), "median-ms")
			b.ReportMetric(msOf(samples[len(samples)*9/10]), "p90-ms")
			b.ReportMetric(float64(len(samples)), "stages")
		})
	}
}
