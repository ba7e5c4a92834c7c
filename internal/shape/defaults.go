package shape

import (
	"encoding/json"
	"strings"
	"sync"

	"github.com/komodo-mcp/komodo-mcp/api"
)

// Configuration at Komodo's defaults says nothing: a resource created with no setting
// carries every field at the value Komodo's Rust types give it (serde defaults and
// Default impls, recorded in api/komodo.serde.json), so a compact Get leaves out the
// configuration fields still at that value, as it leaves out nulls and empties; what an
// operator changed stays. `raw: true` and `fields` keep them.

// configDefaults returns, for an operation whose answer is a resource (or a list of
// resources) with a `config`, the default value of each configuration field Komodo
// records one for; nil for other operations.
func configDefaults(op string) map[string]any {
	return opDefaults()[op]
}

var opDefaults = sync.OnceValue(func() map[string]map[string]any {
	out, err := loadDefaults(api.Document, api.Serde)
	if err != nil {
		panic(err) // both embedded; TestConfigDefaults loads them
	}
	return out
})

type schemaRef struct {
	Ref   string      `json:"$ref"`
	AllOf []schemaRef `json:"allOf"`
	// Items of an array, Properties of an object.
	Items      *schemaRef           `json:"items"`
	Properties map[string]schemaRef `json:"properties"`
}

// loadDefaults reads, for every operation of document, whether its 200 answer is a
// resource or an array of resources, and the defaults of that resource's config type from
// serde: the struct's field defaults, and for a field whose type is an enum, the enum's
// default variant.
func loadDefaults(document, serde []byte) (map[string]map[string]any, error) {
	var doc struct {
		Paths map[string]map[string]struct {
			OperationID string `json:"operationId"`
			Responses   map[string]struct {
				Content map[string]struct {
					Schema schemaRef `json:"schema"`
				} `json:"content"`
			} `json:"responses"`
		} `json:"paths"`
		Components struct {
			Schemas map[string]schemaRef `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(document, &doc); err != nil {
		return nil, err
	}
	var facts struct {
		Structs map[string]map[string]struct {
			Default json.RawMessage `json:"default"`
		} `json:"structs"`
		Enums map[string]string `json:"enums"`
	}
	if err := json.Unmarshal(serde, &facts); err != nil {
		return nil, err
	}
	schemas := doc.Components.Schemas
	// resolve follows $ref and single allOf to a named schema.
	var resolve func(s schemaRef, depth int) (string, schemaRef)
	resolve = func(s schemaRef, depth int) (string, schemaRef) {
		if depth > 8 {
			return "", s
		}
		if len(s.AllOf) == 1 {
			return resolve(s.AllOf[0], depth+1)
		}
		if s.Ref != "" {
			name := strings.TrimPrefix(s.Ref, "#/components/schemas/")
			if target, ok := schemas[name]; ok {
				if n, t := resolve(target, depth+1); n != "" {
					return n, t
				}
				return name, target
			}
		}
		return "", s
	}
	byType := map[string]map[string]any{}
	defaultsOf := func(config string) map[string]any {
		if d, ok := byType[config]; ok {
			return d
		}
		d := map[string]any{}
		for field, p := range schemas[config].Properties {
			if raw := facts.Structs[config][field].Default; len(raw) > 0 {
				var v any
				if json.Unmarshal(raw, &v) == nil && v != nil {
					d[field] = v
				}
				continue
			}
			if enum, _ := resolve(p, 0); enum != "" {
				if variant, ok := facts.Enums[enum]; ok {
					d[field] = variant
				}
			}
		}
		if len(d) == 0 {
			d = nil
		}
		byType[config] = d
		return d
	}
	out := map[string]map[string]any{}
	for _, item := range doc.Paths {
		for _, op := range item {
			js, ok := op.Responses["200"].Content["application/json"]
			if !ok || op.OperationID == "" {
				continue
			}
			_, s := resolve(js.Schema, 0)
			if s.Items != nil {
				_, s = resolve(*s.Items, 0)
			}
			config, ok := s.Properties["config"]
			if !ok {
				continue
			}
			if _, hasInfo := s.Properties["info"]; !hasInfo {
				continue // a resource is config + info
			}
			name, _ := resolve(config, 0)
			if d := defaultsOf(name); d != nil {
				out[op.OperationID] = d
			}
		}
	}
	return out, nil
}
