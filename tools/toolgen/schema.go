package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// mode says which side of a call a schema describes.
type mode int

const (
	// inputMode schemas describe tool arguments: optional fields are simply omitted, so
	// null is not offered (Komodo refuses null for many fields that have defaults).
	inputMode mode = iota
	// outputMode schemas describe Komodo's answers, where optional fields are null.
	outputMode
)

// convert turns an OpenAPI 3.0 schema into a self-contained JSON Schema: references are
// inlined, a reference cycle is cut with a plain object, nullable becomes a "null" type,
// and OpenAPI-only keywords (discriminator, nullable) are dropped.
//
// Descriptions are kept where an assistant needs them to fill in arguments - the
// arguments and their direct fields - and dropped deeper in and in output schemas, which
// would otherwise make tools/list several times larger.
func convert(ref *openapi3.SchemaRef, m mode, stack []string) map[string]any {
	return convertAt(ref, m, stack, 0)
}

// maxOutputEnum is the most values an output schema enum lists; longer ones (Komodo's
// ~200 operation names) are plain strings: they cost kilobytes and tell the reader little.
const maxOutputEnum = 16

// maxDescribedDepth is the deepest nesting level of input schemas that keeps descriptions.
const maxDescribedDepth = 2

func convertAt(ref *openapi3.SchemaRef, m mode, stack []string, depth int) map[string]any {
	if ref == nil || ref.Value == nil {
		return map[string]any{}
	}
	if ref.Ref != "" {
		name := ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
		if slices.Contains(stack, name) {
			return map[string]any{"type": "object", "description": fmt.Sprintf("A %s (recursive; same shape as above).", name)}
		}
		stack = append(stack, name)
	}
	s := ref.Value
	out := map[string]any{}

	// {allOf: [X], description, nullable}: X with the wrapper's description.
	if len(s.AllOf) == 1 && len(s.Properties) == 0 && s.Type == nil {
		out = convertAt(s.AllOf[0], m, stack, depth)
		if s.Description != "" && described(m, depth) {
			out["description"] = s.Description
		}
		if s.Nullable && m == outputMode {
			addNull(out)
		}
		return out
	}

	if s.Description != "" && described(m, depth) {
		out["description"] = s.Description
	}
	if len(s.OneOf) > 0 || len(s.AnyOf) > 0 {
		var alts []any
		for _, a := range append(slices.Clone(s.OneOf), s.AnyOf...) {
			alts = append(alts, convertAt(a, m, stack, depth))
		}
		out["anyOf"] = alts
		if s.Nullable && m == outputMode {
			addNull(out)
		}
		return out
	}
	if s.Type != nil && len(s.Type.Slice()) == 1 {
		out["type"] = s.Type.Slice()[0]
	}
	if b, ok := integerBounds[refName(ref)]; ok && m == inputMode {
		out["minimum"], out["maximum"] = b[0], b[1]
	}
	// The document's own bounds: the range of a Rust i32/u32/u16/... field (tools/specgen).
	if m == inputMode && s.Min != nil {
		out["minimum"] = int64(*s.Min)
	}
	if m == inputMode && s.Max != nil {
		out["maximum"] = int64(*s.Max)
	}
	if len(s.Enum) > 0 && (m == inputMode || len(s.Enum) <= maxOutputEnum) {
		out["enum"] = s.Enum
	}
	if s.Pattern != "" {
		out["pattern"] = s.Pattern
	}
	if s.Type.Is("array") {
		if s.Items != nil {
			out["items"] = convertAt(s.Items, m, stack, depth+1)
		} else {
			out["items"] = map[string]any{}
		}
	}
	if len(s.Properties) > 0 {
		props := map[string]any{}
		for name, p := range s.Properties {
			props[name] = convertAt(p, m, stack, depth+1)
		}
		out["properties"] = props
		if len(s.Required) > 0 {
			req := slices.Clone(s.Required)
			slices.Sort(req)
			out["required"] = req // []string: tools.go edits it
		}
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		out["additionalProperties"] = convertAt(ap, m, stack, depth+1)
	}
	if s.Nullable && m == outputMode {
		addNull(out)
	}
	return out
}

// maxSafeInteger is the largest integer every JSON client holds exactly (2^53-1: a
// JavaScript number); larger ones would reach Komodo rounded.
const maxSafeInteger = 1<<53 - 1

// integerBounds are the argument bounds of Komodo's integer aliases (Rust u64/i64/usize
// in komodo_client), keyed by schema name: a client learns from the schema that a
// negative page or tail is refused, instead of from Komodo's serde error.
var integerBounds = map[string][2]int64{
	"U64":   {0, maxSafeInteger},
	"Usize": {0, maxSafeInteger},
	"I64":   {-maxSafeInteger, maxSafeInteger},
}

// refName is the component name a schema reference points to ("" when inline).
func refName(ref *openapi3.SchemaRef) string {
	return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
}

// described reports whether a schema at this depth keeps its description.
func described(m mode, depth int) bool { return m == inputMode && depth <= maxDescribedDepth }

// addNull makes a converted schema also accept null.
func addNull(s map[string]any) {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []any{t, "null"}
	case nil:
		if alts, ok := s["anyOf"].([]any); ok {
			s["anyOf"] = append(alts, map[string]any{"type": "null"})
		}
		// No type and no alternatives: already accepts anything, null included.
	}
}
