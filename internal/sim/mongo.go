package sim

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
)

// The MongoDB query filters Komodo passes to its database: the `query` of ListUpdates and
// ListAlerts goes to Mongo as it came (bin/core/src/api/read/update.rs:36-47, alert.rs:33-39),
// and resource lists build one from ResourceQuery (client/core/rs/src/entities/resource.rs:183,
// plus each kind's AddFilters). The simulator evaluates the same filters on its documents. It
// implements the operators below; any other operator is refused with an error in Komodo's
// shape, never ignored: a filter that silently matched everything would teach wrong answers.

// errUnsupported is a query the simulator does not evaluate.
type errUnsupported struct{ what string }

func (e errUnsupported) Error() string {
	return "the simulator does not implement " + e.what + " (it evaluates $and, $or, $nor, $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $all, $exists, $regex with $options, $not, $size)"
}

// mongoMatch reports whether doc (a JSON-shaped document) matches the filter q.
func mongoMatch(doc map[string]any, q map[string]any) (bool, error) {
	// Evaluate in key order so that the first unsupported operator is always the one named.
	keys := make([]string, 0, len(q))
	for k := range q {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, key := range keys {
		cond := q[key]
		var ok bool
		var err error
		switch key {
		case "$and", "$or", "$nor":
			ok, err = logical(doc, key, cond)
		default:
			if strings.HasPrefix(key, "$") {
				return false, errUnsupported{"the top-level operator " + key}
			}
			ok, err = fieldMatch(lookup(doc, key), cond)
		}
		if err != nil || !ok {
			return false, err
		}
	}
	return true, nil
}

func logical(doc map[string]any, op string, cond any) (bool, error) {
	list, ok := cond.([]any)
	if !ok || len(list) == 0 {
		return false, fmt.Errorf("%s must be a nonempty array", op)
	}
	hits := 0
	for _, c := range list {
		sub, ok := c.(map[string]any)
		if !ok {
			return false, fmt.Errorf("%s argument's entries must be objects", op)
		}
		m, err := mongoMatch(doc, sub)
		if err != nil {
			return false, err
		}
		if m {
			hits++
		}
	}
	switch op {
	case "$and":
		return hits == len(list), nil
	case "$or":
		return hits > 0, nil
	}
	return hits == 0, nil // $nor
}

// missing marks a path that leads nowhere (Mongo distinguishes it from null for $exists).
type missingT struct{}

var missing = missingT{}

// lookup follows a dotted path; through an array it collects the values of every element.
func lookup(v any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			val, ok := x[part]
			if !ok {
				return missing
			}
			v = val
		case []any:
			var out []any
			for _, el := range x {
				if got := lookup(el, part); got != missing {
					out = append(out, got)
				}
			}
			if len(out) == 0 {
				return missing
			}
			v = out
		default:
			return missing
		}
	}
	return v
}

// isOperatorDoc reports a condition like {"$gte": 5}; {"$oid": ...} is a value (an ObjectId).
func isOperatorDoc(cond any) (map[string]any, bool) {
	m, ok := cond.(map[string]any)
	if !ok || len(m) == 0 {
		return nil, false
	}
	if _, oid := m["$oid"]; oid && len(m) == 1 {
		return nil, false
	}
	for k := range m {
		if !strings.HasPrefix(k, "$") {
			return nil, false
		}
	}
	return m, true
}

func fieldMatch(got, cond any) (bool, error) {
	ops, ok := isOperatorDoc(cond)
	if !ok {
		return equalsAny(got, cond), nil
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, op := range keys {
		arg := ops[op]
		var ok bool
		switch op {
		case "$eq":
			ok = equalsAny(got, arg)
		case "$ne":
			ok = !equalsAny(got, arg)
		case "$gt", "$gte", "$lt", "$lte":
			ok = compareAny(got, arg, op)
		case "$in", "$nin":
			list, isList := arg.([]any)
			if !isList {
				return false, fmt.Errorf("%s needs an array", op)
			}
			for _, want := range list {
				if equalsAny(got, want) {
					ok = true
					break
				}
			}
			if op == "$nin" {
				ok = !ok
			}
		case "$all":
			list, isList := arg.([]any)
			if !isList {
				return false, fmt.Errorf("$all needs an array")
			}
			ok = len(list) > 0
			for _, want := range list {
				if !equalsAny(got, want) {
					ok = false
					break
				}
			}
		case "$exists":
			ok = (got != missing) == truthy(arg)
		case "$size":
			arr, isArr := got.([]any)
			n, isNum := number(arg)
			ok = isArr && isNum && float64(len(arr)) == n
		case "$regex":
			pattern, isStr := arg.(string)
			if !isStr {
				return false, errUnsupported{"a $regex that is not a string"}
			}
			opts, _ := ops["$options"].(string)
			if strings.Trim(opts, "imsx") != "" {
				return false, errUnsupported{"$options " + opts}
			}
			if opts != "" {
				pattern = "(?" + opts + ")" + pattern
			}
			re, err := regexp.Compile(pattern)
			if err != nil {
				return false, fmt.Errorf("invalid $regex: %w", err)
			}
			ok = anyValue(got, func(v any) bool { s, isStr := v.(string); return isStr && re.MatchString(s) })
		case "$options":
			if _, hasRegex := ops["$regex"]; !hasRegex {
				return false, fmt.Errorf("$options needs a $regex")
			}
			ok = true
		case "$not":
			m, err := fieldMatch(got, arg)
			if err != nil {
				return false, err
			}
			ok = !m
		default:
			return false, errUnsupported{"the query operator " + op}
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// anyValue applies f to v, or to each element when v is an array (Mongo's implicit array match).
func anyValue(v any, f func(any) bool) bool {
	if f(v) {
		return true
	}
	if arr, ok := v.([]any); ok {
		for _, el := range arr {
			if f(el) {
				return true
			}
		}
	}
	return false
}

// equalsAny is Mongo equality: null matches null and missing; an array matches when it
// equals the value or one of its elements does.
func equalsAny(got, want any) bool {
	if want == nil {
		return got == nil || got == missing
	}
	if got == missing {
		return false
	}
	return anyValue(got, func(v any) bool { return equal(v, want) })
}

func equal(a, b any) bool {
	if x, ok := number(a); ok {
		y, ok := number(b)
		return ok && x == y
	}
	if oid, ok := b.(map[string]any); ok && len(oid) == 1 {
		if hex, ok := oid["$oid"].(string); ok {
			if m, ok := a.(map[string]any); ok {
				return m["$oid"] == hex
			}
			return a == hex
		}
	}
	return reflect.DeepEqual(normalize(a), normalize(b))
}

// normalize makes numbers comparable inside nested values.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	if n, ok := number(v); ok {
		return n
	}
	return v
}

// compareAny is $gt/$gte/$lt/$lte: numbers with numbers, strings with strings (Mongo
// compares only within a type bracket).
func compareAny(got, want any, op string) bool {
	return anyValue(got, func(v any) bool {
		var c int
		if x, ok := number(v); ok {
			y, ok := number(want)
			if !ok {
				return false
			}
			c = cmpFloat(x, y)
		} else if s, ok := v.(string); ok {
			w, ok := want.(string)
			if !ok {
				return false
			}
			c = strings.Compare(s, w)
		} else {
			return false
		}
		switch op {
		case "$gt":
			return c > 0
		case "$gte":
			return c >= 0
		case "$lt":
			return c < 0
		}
		return c <= 0
	})
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case int32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func truthy(v any) bool {
	switch x := v.(type) {
	case bool:
		return x
	case nil:
		return false
	}
	if n, ok := number(v); ok {
		return n != 0
	}
	return true
}
