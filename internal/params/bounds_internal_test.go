package params

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

func TestPageBounds(t *testing.T) {
	cases := []struct {
		n, page, size, start, end int
	}{
		{10, 1, 50, 0, 10},
		{10, 1, 3, 0, 3},
		{10, 4, 3, 9, 10},
		{10, 5, 3, 10, 10},
		{0, 1, 50, 0, 0},
		{10, math.MaxInt, 1000, 10, 10},
		{10, math.MaxInt, math.MaxInt, 10, 10},
		{10, 2, math.MaxInt, 10, 10},
		{10, 0, 5, 10, 10},
		{10, math.MinInt, 5, 10, 10},
		{10, 1, 0, 10, 10},
		{10, 1, -5, 10, 10},
	}
	for _, c := range cases {
		start, end := pageBounds(c.n, c.page, c.size)
		if start != c.start || end != c.end {
			t.Errorf("pageBounds(%d, %d, %d) = [%d, %d), want [%d, %d)", c.n, c.page, c.size, start, end, c.start, c.end)
		}
	}
}

func TestIntParam_Clamps(t *testing.T) {
	cases := []struct {
		v    any
		want int
	}{
		{nil, 7},
		{json.Number("3"), 3},
		{json.Number("9223372036854775807"), 100},
		{json.Number("1e400"), 100},
		{json.Number("-1e400"), 1},
		{json.Number("2.0"), 2},
		{json.Number("-5"), 1},
		{math.Inf(1), 100},
		{math.NaN(), 7},
		{1e300, 100},
		{"12", 7},
	}
	for _, c := range cases {
		params := map[string]any{}
		if c.v != nil {
			params["p"] = c.v
		}
		if got := intParam(params, "p", 7, 1, 100); got != c.want {
			t.Errorf("intParam(%v) = %d, want %d", c.v, got, c.want)
		}
	}
}

func TestSeconds_Clamps(t *testing.T) {
	cases := []struct {
		v    any
		want time.Duration
		ok   bool
	}{
		{json.Number("2.5"), 2500 * time.Millisecond, true},
		{json.Number("1e400"), maxSeconds * time.Second, true},
		{1e300, maxSeconds * time.Second, true},
		{-3.0, 0, true},
		{math.NaN(), 0, false},
		{"5", 0, false},
	}
	for _, c := range cases {
		got, ok := Seconds(map[string]any{"timeout": c.v}, "timeout")
		if got != c.want || ok != c.ok {
			t.Errorf("seconds(%v) = %v, %v; want %v, %v", c.v, got, ok, c.want, c.ok)
		}
	}
}

// The paging bounds Translate clamps to are the ones the catalog's schemas announce.
func TestPagingBounds_MatchCatalog(t *testing.T) {
	checked := 0
	for _, tool := range catalog.Tools {
		if tool.ResultWrap != "envelope" {
			continue
		}
		var s struct {
			Properties map[string]struct {
				Minimum, Maximum *float64
			}
		}
		if err := json.Unmarshal(tool.InputSchema, &s); err != nil {
			t.Fatal(err)
		}
		for name, want := range map[string]int{"page": maxPage, "page_size": maxPageSize} {
			p := s.Properties[name]
			if p.Minimum == nil || *p.Minimum != 1 || p.Maximum == nil || *p.Maximum != float64(want) {
				t.Errorf("%s: %s bounds = %v..%v, want 1..%d", tool.Name, name, p.Minimum, p.Maximum, want)
			}
		}
		checked++
	}
	if checked == 0 {
		t.Fatal("no list tool in the catalog")
	}
}
