package sim

import (
	"runtime"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/api"
)

// BenchmarkStart measures starting a simulator (document already parsed, as for every
// simulator after the first in a process) and reports the first parse separately.
func BenchmarkStart(b *testing.B) {
	t0 := time.Now()
	if _, err := parseSpec(documentBytes()); err != nil {
		b.Fatal(err)
	}
	parse := time.Since(t0)
	if _, err := loadSpec(); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s := New(Options{})
		s.Close()
	}
	b.ReportMetric(float64(parse.Milliseconds()), "ms-first-parse")
}

// BenchmarkWorldMemory reports the heap held by the parsed document and by one seeded world.
func BenchmarkWorldMemory(b *testing.B) {
	var before, afterSpec, afterWorld runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	sp, err := parseSpec(documentBytes())
	if err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	runtime.ReadMemStats(&afterSpec)
	var worlds []*world
	for b.Loop() {
		w, err := seedWorld(sp)
		if err != nil {
			b.Fatal(err)
		}
		worlds = append(worlds, w)
	}
	runtime.GC()
	runtime.ReadMemStats(&afterWorld)
	b.ReportMetric(float64(afterSpec.HeapAlloc-before.HeapAlloc)/(1<<20), "MiB-document")
	b.ReportMetric(float64(afterWorld.HeapAlloc-afterSpec.HeapAlloc)/float64(len(worlds))/1024, "KiB/world")
	runtime.KeepAlive(sp)
	runtime.KeepAlive(worlds)
}

func documentBytes() []byte { return api.Document }
