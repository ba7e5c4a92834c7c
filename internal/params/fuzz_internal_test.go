package params

import (
	"math"
	"testing"
)

// FuzzPageBounds: whatever page and size arrive, the page's slice lies within the items
// and holds at most one page.
func FuzzPageBounds(f *testing.F) {
	f.Add(10, 1, 50)
	f.Add(10, math.MaxInt, math.MaxInt)
	f.Add(0, math.MinInt, -1)
	f.Add(7, 3, 3)
	f.Fuzz(func(t *testing.T, n, page, size int) {
		if n < 0 || n > 1<<20 {
			return
		}
		items := make([]int, n)
		start, end := pageBounds(n, page, size)
		_ = items[start:end] // panics when out of range
		if end-start > max(size, 0) {
			t.Fatalf("pageBounds(%d, %d, %d) = [%d, %d): more than a page", n, page, size, start, end)
		}
	})
}
