// Package eventually is the one helper tests use to wait for a condition that another
// goroutine or process makes true (a session reaped, a log line written, a stream caught up)
// where no event can be waited on directly. It polls briefly and gives up after a bound
// generous enough for a loaded machine: a test waits as long as the condition takes, not a
// fixed time, and never sleeps to "let things settle". Tests only: the binary never links it.
package eventually

import (
	"testing"
	"time"
)

// Bound is how long True waits before failing the test: long, because a machine running
// six builds at once can stall a goroutine for seconds; a passing test never waits it out.
const Bound = 30 * time.Second

// poll is the pause between two checks.
const poll = 5 * time.Millisecond

// True waits until cond returns true, checking every few milliseconds, and fails the test
// (t.Fatalf, so call it from the test's goroutine) if it is still false after Bound. what
// says what was awaited, for the failure message.
func True(t testing.TB, what string, cond func() bool) {
	t.Helper()
	if !Within(Bound, cond) {
		t.Fatalf("gave up after %s waiting for: %s", Bound, what)
	}
}

// Within waits until cond returns true or d has passed, and reports whether cond held. For
// the rare test that must go on (and report more) when the condition never comes.
func Within(d time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(poll) {
		if cond() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}
