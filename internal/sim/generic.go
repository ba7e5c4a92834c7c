package sim

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Instances built from schemas: the generic answer of the operations the simulator does
// not model, and the defaults under the seeded resources' configs.

const (
	genericID = "65f0a1c0d1e2f3a4b5c6d7e8"
	genericTS = int64(1767258000000) // 2026-01-01T09:00:00Z in ms
)

// minimal builds the smallest valid instance of a schema: required properties with
// plausible values, optional (nullable) ones as null, arrays and maps empty.
func minimal(ref *openapi3.SchemaRef) any { return instance(ref, "", false, 0) }

// full builds an instance with every property present, the way Komodo serializes a
// resource's config: scalars at their zero values, nested objects filled a few levels down.
func full(ref *openapi3.SchemaRef) any { return instance(ref, "", true, 0) }

func instance(ref *openapi3.SchemaRef, field string, fill bool, depth int) any {
	if ref == nil || ref.Value == nil || depth > 12 {
		return nil
	}
	s := ref.Value
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	if len(s.AllOf) == 1 {
		return instance(s.AllOf[0], field, fill, depth)
	}
	if len(s.AllOf) > 1 {
		merged := map[string]any{}
		for _, part := range s.AllOf {
			if m, ok := instance(part, field, fill, depth+1).(map[string]any); ok {
				for k, v := range m {
					merged[k] = v
				}
			}
		}
		return merged
	}
	if len(s.OneOf) > 0 {
		return instance(s.OneOf[0], field, fill, depth+1)
	}
	switch {
	case s.Type.Is("object") || len(s.Properties) > 0:
		m := make(map[string]any, len(s.Properties))
		for name, p := range s.Properties {
			required := false
			for _, r := range s.Required {
				if r == name {
					required = true
					break
				}
			}
			switch {
			case required:
				m[name] = instance(p, name, fill, depth+1)
			case p.Value != nil && p.Value.Nullable && (!fill || depth > 2):
				m[name] = nil
			default:
				m[name] = instance(p, name, fill, depth+1)
			}
		}
		return m
	case s.Type.Is("array"):
		return []any{}
	case s.Type.Is("string"):
		if fill {
			return ""
		}
		return plausibleString(field)
	case s.Type.Is("integer"):
		if strings.HasSuffix(field, "_ts") || strings.HasSuffix(field, "_at") || field == "ts" {
			return genericTS
		}
		return 0
	case s.Type.Is("number"):
		return 0
	case s.Type.Is("boolean"):
		return false
	}
	return map[string]any{} // an unconstrained value (MongoDocument, JsonValue)
}

func plausibleString(field string) string {
	switch {
	case field == "id" || strings.HasSuffix(field, "_id") || field == "operator" || field == "user_id":
		return genericID
	case field == "name" || field == "username":
		return "sim"
	case field == "version":
		return "2.3.2"
	}
	return ""
}
