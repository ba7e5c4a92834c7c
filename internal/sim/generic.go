package sim

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/komodo-mcp/komodo-mcp/api"
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
// resource's config: Komodo's own defaults where its Rust sources give one (serdeFacts),
// the type's zero value elsewhere, nested objects filled a few levels down.
func full(ref *openapi3.SchemaRef) any { return instance(ref, "", true, 0) }

func instance(ref *openapi3.SchemaRef, field string, fill bool, depth int) any {
	if ref == nil || ref.Value == nil || depth > 12 {
		return nil
	}
	s := ref.Value
	name := refName(ref)
	if len(s.Enum) > 0 {
		if v, ok := komodoSerde().Enums[name]; ok && fill {
			for _, e := range s.Enum {
				if e == v {
					return v
				}
			}
		}
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
		for prop, p := range s.Properties {
			if komodoSerde().Structs[name][prop].SkipIf == "always" {
				continue // #[serde(skip_serializing)]: Komodo never sends it
			}
			required := false
			for _, r := range s.Required {
				if r == prop {
					required = true
					break
				}
			}
			switch {
			case required:
				m[prop] = instance(p, prop, fill, depth+1)
			case p.Value != nil && p.Value.Nullable && (!fill || depth > 2):
				m[prop] = nil
			default:
				m[prop] = instance(p, prop, fill, depth+1)
			}
		}
		if fill {
			for field, fact := range komodoSerde().Structs[name] {
				if _, ok := m[field]; ok && fact.Default != nil {
					m[field] = deepCopy(fact.Default)
				}
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
		return api.KomodoVersion()
	}
	return ""
}

// serdeFacts mirrors tools/specgen's record of how Komodo serializes its types
// (api/komodo.serde.json).
type serdeFacts struct {
	Structs map[string]map[string]struct {
		Default any    `json:"default"`
		SkipIf  string `json:"skip_serializing_if"`
	} `json:"structs"`
	Enums map[string]string `json:"enums"`
}

var komodoSerde = sync.OnceValue(func() *serdeFacts {
	var f serdeFacts
	if err := json.Unmarshal(api.Serde, &f); err != nil {
		panic("api/komodo.serde.json: " + err.Error()) // embedded and checked by tests
	}
	return &f
})

// complete adds to v every property its schema has and v lacks, at Komodo's default (see
// full), recursing into objects, arrays and tagged unions: what Komodo answers after
// deserializing a partial value into its Rust type and serializing it back.
func complete(ref *openapi3.SchemaRef, v any) any {
	return completeDepth(ref, v, 0)
}

func completeDepth(ref *openapi3.SchemaRef, v any, depth int) any {
	if ref == nil || ref.Value == nil || v == nil || depth > 12 {
		return v
	}
	s := ref.Value
	if len(s.AllOf) == 1 {
		return completeDepth(s.AllOf[0], v, depth+1)
	}
	if len(s.OneOf) > 0 {
		m, ok := v.(map[string]any)
		if !ok {
			return v
		}
		if d := s.Discriminator; d != nil {
			tag, _ := m[d.PropertyName].(string)
			if target, ok := d.Mapping[tag]; ok {
				for _, variant := range s.OneOf {
					if variant.Ref == target.Ref {
						return completeDepth(variant, v, depth+1)
					}
				}
			}
			return v
		}
		for _, variant := range s.OneOf {
			if serdeWalk(variant, v, 0) == "" {
				return completeDepth(variant, v, depth+1)
			}
		}
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if len(s.Properties) == 0 {
			if ap := s.AdditionalProperties.Schema; ap != nil {
				for k, e := range x {
					x[k] = completeDepth(ap, e, depth+1)
				}
			}
			return x
		}
		name := refName(ref)
		for prop, p := range s.Properties {
			if e, ok := x[prop]; ok {
				x[prop] = completeDepth(p, e, depth+1)
				continue
			}
			if skip := komodoSerde().Structs[name][prop]; skip.SkipIf != "" {
				continue
			}
			x[prop] = instance(p, prop, true, depth+1)
			if fact := komodoSerde().Structs[name][prop]; fact.Default != nil {
				x[prop] = deepCopy(fact.Default)
			}
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = completeDepth(s.Items, e, depth+1)
		}
	}
	return v
}
