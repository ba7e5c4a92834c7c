// Package suggest finds the existing names closest to one that was not found, for
// errors that teach: "did you mean api-gateway?".
package suggest

import (
	"sort"
	"strings"
)

// Closest returns at most n candidates close to name, best first: those containing name
// (or contained in it), ignoring case and separators, then those within a small edit
// distance. Candidates that are not close are left out.
func Closest(name string, candidates []string, n int) []string {
	q := fold(name)
	if q == "" {
		return nil
	}
	type scored struct {
		name  string
		score int // lower is closer
	}
	var found []scored
	seen := map[string]bool{}
	for _, c := range candidates {
		if seen[c] {
			continue
		}
		seen[c] = true
		f := fold(c)
		switch {
		case f == q:
			found = append(found, scored{c, 0})
		case strings.Contains(f, q) || (len(f) >= 3 && strings.Contains(q, f)):
			found = append(found, scored{c, 1 + abs(len(f)-len(q))})
		default:
			d := distance(q, f)
			if d <= max(1, min(3, len(q)/3)) {
				found = append(found, scored{c, 100 + d})
			}
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		if found[i].score != found[j].score {
			return found[i].score < found[j].score
		}
		return found[i].name < found[j].name
	})
	var out []string
	for _, s := range found {
		if len(out) == n {
			break
		}
		out = append(out, s.name)
	}
	return out
}

// fold lower-cases and drops separators: "API_Gateway" and "api-gateway" fold alike.
func fold(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r == '-' || r == '_' || r == ' ' || r == '.' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// DidYouMean phrases the closest candidate for an error message, ` (did you mean "x"?)`,
// or returns "" when none is close.
func DidYouMean(name string, candidates []string) string {
	if c := Closest(name, candidates, 1); len(c) == 1 {
		return ` (did you mean "` + c[0] + `"?)`
	}
	return ""
}

// OrList joins names for a suggestion: "a", "a or b", "a, b or c".
func OrList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}
