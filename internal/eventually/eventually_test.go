package eventually

import (
	"sync/atomic"
	"testing"
	"time"
)

func TestWithin(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	if !Within(Bound, func() bool { return n.Load() == 3 }) {
		t.Error("a condition that becomes true was not seen")
	}
	if Within(20*time.Millisecond, func() bool { return false }) {
		t.Error("a condition that never holds was reported true")
	}
}
