package sim

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// serdeCheck walks a decoded JSON value against a request schema the way serde would
// deserialize it into the Rust type, and returns serde's message for the first problem
// ("missing field `deployment`", "invalid type: integer `5`, expected a string",
// "unknown variant `Foo`, expected one of ..."), or "" when the value deserializes.
// Unknown object fields are accepted, like serde's default.
func serdeCheck(ref *openapi3.SchemaRef, v any) string {
	return serdeWalk(ref, v, 0)
}

func serdeWalk(ref *openapi3.SchemaRef, v any, depth int) string {
	if ref == nil || ref.Value == nil || depth > 40 {
		return ""
	}
	s := ref.Value
	if v == nil {
		if s.Nullable || isAnySchema(s) {
			return ""
		}
		return "invalid type: null, expected " + expecting(ref)
	}
	for _, part := range s.AllOf {
		if msg := serdeWalk(part, v, depth+1); msg != "" {
			return msg
		}
	}
	if len(s.OneOf) > 0 {
		return serdeOneOf(ref, v, depth)
	}
	if len(s.Enum) > 0 {
		str, ok := v.(string)
		if !ok {
			return fmt.Sprintf("invalid type: %s, expected %s", unexpected(v), expecting(ref))
		}
		for _, e := range s.Enum {
			if e == str {
				return ""
			}
		}
		return fmt.Sprintf("unknown variant `%s`, expected %s", str, oneOfNames(s.Enum))
	}
	switch {
	case s.Type.Is("object") || (s.Type == nil && len(s.Properties) > 0):
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("invalid type: %s, expected %s", unexpected(v), expecting(ref))
		}
		for _, name := range s.Required {
			if _, ok := m[name]; !ok {
				return fmt.Sprintf("missing field `%s`", name)
			}
		}
		// Sorted for a deterministic first error.
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if p, ok := s.Properties[k]; ok {
				if msg := serdeWalk(p, m[k], depth+1); msg != "" {
					return msg
				}
			} else if ap := s.AdditionalProperties.Schema; ap != nil {
				if msg := serdeWalk(ap, m[k], depth+1); msg != "" {
					return msg
				}
			}
		}
	case s.Type.Is("array"):
		a, ok := v.([]any)
		if !ok {
			return fmt.Sprintf("invalid type: %s, expected a sequence", unexpected(v))
		}
		for _, item := range a {
			if msg := serdeWalk(s.Items, item, depth+1); msg != "" {
				return msg
			}
		}
	case s.Type.Is("string"):
		if _, ok := v.(string); !ok {
			return fmt.Sprintf("invalid type: %s, expected a string", unexpected(v))
		}
	case s.Type.Is("boolean"):
		if _, ok := v.(bool); !ok {
			return fmt.Sprintf("invalid type: %s, expected a boolean", unexpected(v))
		}
	case s.Type.Is("integer"):
		f, ok := v.(float64)
		if !ok || f != math.Trunc(f) {
			return fmt.Sprintf("invalid type: %s, expected %s", unexpected(v), expecting(ref))
		}
		if f < 0 && strings.Contains(s.Description, "U64") {
			return fmt.Sprintf("invalid value: integer `%s`, expected u64", strconv.FormatFloat(f, 'f', -1, 64))
		}
	case s.Type.Is("number"):
		if _, ok := v.(float64); !ok {
			return fmt.Sprintf("invalid type: %s, expected f64", unexpected(v))
		}
	}
	return ""
}

// serdeOneOf handles Komodo's unions: internally or adjacently tagged enums (an OpenAPI
// discriminator) and untagged ones (no discriminator: the first variant that fits wins).
func serdeOneOf(ref *openapi3.SchemaRef, v any, depth int) string {
	s := ref.Value
	if d := s.Discriminator; d != nil {
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Sprintf("invalid type: %s, expected %s", unexpected(v), expecting(ref))
		}
		tag, present := m[d.PropertyName]
		if !present {
			return fmt.Sprintf("missing field `%s`", d.PropertyName)
		}
		name, _ := tag.(string)
		target, ok := d.Mapping[name]
		if !ok {
			names := make([]any, 0, len(d.Mapping))
			for _, variant := range s.OneOf {
				for k, r := range d.Mapping {
					if r.Ref == variant.Ref {
						names = append(names, k)
					}
				}
			}
			return fmt.Sprintf("unknown variant `%v`, expected %s", tag, oneOfNames(names))
		}
		for _, variant := range s.OneOf {
			if variant.Ref == target.Ref {
				return serdeWalk(variant, v, depth+1)
			}
		}
		return ""
	}
	for _, variant := range s.OneOf {
		if serdeWalk(variant, v, depth+1) == "" {
			return ""
		}
	}
	return "data did not match any variant of untagged enum " + refName(ref)
}

func isAnySchema(s *openapi3.Schema) bool {
	return s.Type == nil && len(s.Properties) == 0 && len(s.AllOf) == 0 && len(s.OneOf) == 0 && len(s.Enum) == 0
}

// unexpected describes a JSON value in serde's words.
func unexpected(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return fmt.Sprintf("boolean `%t`", x)
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1e18 {
			return fmt.Sprintf("integer `%d`", int64(x))
		}
		return fmt.Sprintf("floating point `%s`", strconv.FormatFloat(x, 'f', -1, 64))
	case string:
		return fmt.Sprintf("string %q", x)
	case []any:
		return "sequence"
	case map[string]any:
		return "map"
	}
	return fmt.Sprintf("%T", v)
}

// expecting describes what a schema wants in serde's words.
func expecting(ref *openapi3.SchemaRef) string {
	s := ref.Value
	switch {
	case len(s.AllOf) == 1:
		return expecting(s.AllOf[0])
	case len(s.Enum) > 0 || len(s.OneOf) > 0:
		return "enum " + refName(ref)
	case s.Type.Is("string"):
		return "a string"
	case s.Type.Is("boolean"):
		return "a boolean"
	case s.Type.Is("integer"):
		switch {
		case strings.Contains(s.Description, "U64"):
			return "u64"
		case strings.Contains(s.Description, "Usize"):
			return "usize"
		}
		return "i64"
	case s.Type.Is("number"):
		return "f64"
	case s.Type.Is("array"):
		return "a sequence"
	}
	if name := refName(ref); name != "" && name != "value" {
		return "struct " + name
	}
	return "a map"
}

func refName(ref *openapi3.SchemaRef) string {
	if ref.Ref == "" {
		return "value"
	}
	return ref.Ref[strings.LastIndex(ref.Ref, "/")+1:]
}

func oneOfNames(values []any) string {
	parts := make([]string, len(values))
	for i, v := range values {
		parts[i] = fmt.Sprintf("`%v`", v)
	}
	return "one of " + strings.Join(parts, ", ")
}
