package compact

import (
	"fmt"
	"strings"
)

// containers are where Komodo keeps a resource's details: a field asked for by its bare
// name ("state") is looked up there when the object has no such top-level field, so that
// an assistant need not know that a list item's state is info.state.
var containers = []string{"info", "config"}

// Project keeps the fields of obj named by paths ("name", "info.state", or the bare
// "state"), in their place: the result has the same nesting as obj. A path that matches
// nothing is reported so that a misspelt field is named, not silently lost; an array on the
// way applies the rest of the path to each element.
func Project(obj map[string]any, paths []string) (map[string]any, []string) {
	out := map[string]any{}
	var missing []string
	for _, p := range paths {
		segs := strings.Split(strings.TrimSpace(p), ".")
		if !pick(obj, out, segs) {
			found := false
			if _, top := obj[segs[0]]; !top {
				for _, c := range containers {
					inner, ok := obj[c].(map[string]any)
					if !ok {
						continue
					}
					dst, _ := out[c].(map[string]any)
					if dst == nil {
						dst = map[string]any{}
					}
					if pick(inner, dst, segs) {
						out[c] = dst
						found = true
						break
					}
				}
			}
			if !found {
				missing = append(missing, p)
			}
		}
	}
	return out, missing
}

// pick copies src's value at segs into dst at the same place; false when there is none.
func pick(src, dst map[string]any, segs []string) bool {
	v, ok := src[segs[0]]
	if !ok {
		return false
	}
	if len(segs) == 1 {
		dst[segs[0]] = v
		return true
	}
	switch t := v.(type) {
	case map[string]any:
		inner, _ := dst[segs[0]].(map[string]any)
		if inner == nil {
			inner = map[string]any{}
		}
		if !pick(t, inner, segs[1:]) {
			return false
		}
		dst[segs[0]] = inner
		return true
	case []any:
		prev, _ := dst[segs[0]].([]any)
		out := make([]any, len(t))
		found := false
		for i, el := range t {
			m, ok := el.(map[string]any)
			if !ok {
				continue
			}
			inner := map[string]any{}
			if i < len(prev) {
				if pm, ok := prev[i].(map[string]any); ok {
					inner = pm
				}
			}
			if pick(m, inner, segs[1:]) {
				found = true
			}
			out[i] = inner
		}
		if found {
			dst[segs[0]] = out
		}
		return found
	}
	return false
}

// ParseFields reads the `fields` argument: a list of paths, or one string of paths
// separated by commas (some clients flatten arrays).
func ParseFields(v any) ([]string, error) {
	var out []string
	switch t := v.(type) {
	case nil:
		return nil, nil
	case string:
		for _, f := range strings.Split(t, ",") {
			if f = strings.TrimSpace(f); f != "" {
				out = append(out, f)
			}
		}
	case []any:
		for _, f := range t {
			s, ok := f.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return nil, fmt.Errorf("`fields` must be field names such as \"name\" or \"info.state\", got %v", f)
			}
			out = append(out, strings.TrimSpace(s))
		}
	case []string:
		out = t
	default:
		return nil, fmt.Errorf("`fields` must be a list of field names, got %T", v)
	}
	for _, f := range out {
		for _, seg := range strings.Split(f, ".") {
			if seg == "" {
				return nil, fmt.Errorf("field %q has an empty part: write paths as \"info.state\"", f)
			}
		}
	}
	return out, nil
}
