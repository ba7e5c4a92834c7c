package main

import (
	"fmt"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// Definitions from ts-json-schema-generator are plain decoded JSON.
type object = map[string]any

// integerAliases are the TypeScript aliases typeshare emits for Rust integer types.
// They become OpenAPI integers instead of numbers.
var integerAliases = map[string]string{"I64": "int64", "U64": "int64", "Usize": "int64"}

// converter turns JSON Schema definitions into OpenAPI 3.0 component schemas.
type converter struct {
	names   map[string]string // source definition name -> component name
	schemas map[string]any    // component name -> converted schema
}

const refPrefix = "#/definitions/"

// normalizeNames decides the component name of every definition: a generic
// instantiation like Resource<StackConfig,StackInfo> takes the name of the one alias that
// points at it (Stack); other generics and names with characters Go identifiers lack are
// made plain (ResourceToml<_PartialStackConfig> -> ResourceTomlPartialStackConfig).
func normalizeNames(defs map[string]any) (map[string]string, error) {
	aliases := map[string][]string{}
	for name, d := range defs {
		if target, ok := pureRef(d); ok && strings.ContainsAny(target, "<>") {
			aliases[target] = append(aliases[target], name)
		}
	}
	names := map[string]string{}
	for _, a := range aliases {
		if len(a) == 1 {
			names[a[0]] = "" // the alias disappears: the generic's content takes its name
		}
	}
	taken := map[string]string{}
	for _, name := range sortedKeys(defs) {
		if _, isAlias := names[name]; isAlias {
			continue
		}
		newName := name
		switch a := aliases[name]; {
		case len(a) == 1:
			newName = a[0]
		case strings.ContainsAny(name, "<>,_ "):
			newName = plainName(name)
			// typeshare's internal _PartialX = Partial<X> sits beside a public PartialX.
			if _, exists := defs[newName]; exists || taken[newName] != "" {
				newName += "Fields"
			}
		}
		if other, dup := taken[newName]; dup {
			return nil, fmt.Errorf("definitions %q and %q would both be named %q", other, name, newName)
		}
		taken[newName] = name
		names[name] = newName
	}
	return names, nil
}

var nonIdent = regexp.MustCompile(`[^A-Za-z0-9]+`)

// plainName removes generic punctuation: "ResourceToml<_PartialStackConfig>" -> "ResourceTomlPartialStackConfig".
func plainName(name string) string {
	parts := nonIdent.Split(name, -1)
	var b strings.Builder
	for _, p := range parts {
		if p == "" || p == "undefined" {
			continue
		}
		b.WriteString(strings.ToUpper(p[:1]) + p[1:])
	}
	return b.String()
}

// pureRef reports whether a schema is only a $ref (ignoring its description), and to what.
func pureRef(s any) (string, bool) {
	m, ok := s.(object)
	if !ok {
		return "", false
	}
	ref, ok := m["$ref"].(string)
	if !ok {
		return "", false
	}
	for k := range m {
		if k != "$ref" && k != "description" {
			return "", false
		}
	}
	name, err := url.PathUnescape(strings.TrimPrefix(ref, refPrefix))
	if err != nil {
		return "", false
	}
	return name, true
}

// convertAll converts every definition that is not listed in skip.
func (c *converter) convertAll(defs map[string]any, skip map[string]bool) error {
	for _, name := range sortedKeys(defs) {
		target := c.names[name]
		if skip[name] || target == "" {
			continue
		}
		def := defs[name].(object)
		if integerAliases[name] != "" {
			c.schemas[target] = object{"type": "integer", "format": integerAliases[name], "description": fmt.Sprintf("A Rust %s, serialized as a JSON number.", name)}
			continue
		}
		// An alias's own description beats the generic's (Stack is documented, Resource is not).
		if alias, ok := c.aliasOf(defs, name); ok {
			if desc, ok := defs[alias].(object)["description"]; ok {
				def = copyWith(def, "description", desc)
			}
		}
		s, err := c.convertTop(target, def)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		c.schemas[target] = s
	}
	return nil
}

// aliasOf finds the alias definition renamed into generic definition name.
func (c *converter) aliasOf(defs map[string]any, name string) (string, bool) {
	for alias, d := range defs {
		if target, ok := pureRef(d); ok && target == name && c.names[alias] == "" {
			return alias, true
		}
	}
	return "", false
}

// convertTop converts a top-level definition. Tagged unions become oneOf over named
// variant components with a discriminator.
func (c *converter) convertTop(name string, def object) (any, error) {
	if variants, ok := def["anyOf"].([]any); ok {
		if tag := unionTag(variants); tag != "" {
			return c.taggedUnion(name, def, variants, tag)
		}
	}
	return c.convert(def)
}

// unionTag returns the discriminating property of a union whose variants are all objects
// with one property holding a string const ("type" for Komodo's {type, params} enums,
// "status" for batch results), or "" when the union is not tagged.
func unionTag(variants []any) string {
	tag := ""
	for _, v := range variants {
		props, _ := v.(object)["properties"].(object)
		found := ""
		for _, k := range sortedKeys(props) {
			if _, ok := props[k].(object)["const"]; ok {
				found = k
				break
			}
		}
		if found == "" || (tag != "" && found != tag) {
			return ""
		}
		tag = found
	}
	return tag
}

func (c *converter) taggedUnion(name string, def object, variants []any, tag string) (any, error) {
	var oneOf []any
	mapping := object{}
	for _, v := range variants {
		vo := v.(object)
		value := vo["properties"].(object)[tag].(object)["const"].(string)
		vname := name + plainName(value)
		if _, clash := c.names[vname]; clash {
			vname = name + plainName(value) + "Variant"
		}
		if _, dup := c.schemas[vname]; dup {
			return nil, fmt.Errorf("variant component %q already exists", vname)
		}
		s, err := c.convert(vo)
		if err != nil {
			return nil, err
		}
		s.(object)["description"] = fmt.Sprintf("The %s variant of %s.", value, name)
		c.schemas[vname] = s
		ref := "#/components/schemas/" + vname
		oneOf = append(oneOf, object{"$ref": ref})
		mapping[value] = ref
	}
	out := object{"oneOf": oneOf, "discriminator": object{"propertyName": tag, "mapping": mapping}}
	if d, ok := def["description"].(string); ok {
		out["description"] = cleanDoc(d)
	}
	return out, nil
}

// convert turns one JSON Schema into an OpenAPI 3.0 schema.
func (c *converter) convert(in object) (any, error) {
	out := object{}
	for k, v := range in {
		switch k {
		case "$ref":
			name, err := url.PathUnescape(strings.TrimPrefix(v.(string), refPrefix))
			if err != nil {
				return nil, err
			}
			target, ok := c.names[name]
			if !ok {
				return nil, fmt.Errorf("reference to unknown definition %q", name)
			}
			if target == "" { // an alias of a renamed generic: point at the generic's new name
				target = name
			}
			out["$ref"] = "#/components/schemas/" + target
		case "description":
			out[k] = cleanDoc(v.(string))
		case "const":
			out["enum"] = []any{v}
		case "additionalProperties":
			// Komodo (serde) ignores unknown fields, and newer Cores add fields: stay open.
			if sub, ok := v.(object); ok {
				s, err := c.convert(sub)
				if err != nil {
					return nil, err
				}
				out[k] = s
			}
		case "not":
			// `info?: undefined` in TypeScript: Rust's unit type, sent as null.
			out["nullable"] = true
		case "anyOf":
			var alts []any
			for _, a := range v.([]any) {
				s, err := c.convert(a.(object))
				if err != nil {
					return nil, err
				}
				alts = append(alts, s)
			}
			out["oneOf"] = alts
		case "items":
			s, err := c.convert(v.(object))
			if err != nil {
				return nil, err
			}
			out[k] = s
		case "properties":
			props := object{}
			required, _ := in["required"].([]any)
			for _, pname := range sortedKeys(v.(object)) {
				s, err := c.convert(v.(object)[pname].(object))
				if err != nil {
					return nil, fmt.Errorf("property %s: %w", pname, err)
				}
				if !slices.Contains(required, any(pname)) {
					s = nullable(s.(object))
				}
				props[pname] = wrapRef(s.(object))
			}
			out[k] = props
		case "type", "required", "enum", "format", "pattern", "minimum", "maximum", "minItems", "maxItems", "default", "examples":
			out[k] = v
		default:
			return nil, fmt.Errorf("unsupported JSON Schema keyword %q", k)
		}
	}
	if rec, ok := recordAsMap(out); ok {
		return rec, nil
	}
	return out, nil
}

// nullable marks an optional field's schema as accepting null: Komodo sends most
// optional fields as null rather than omitting them.
func nullable(s object) object {
	s["nullable"] = true
	return s
}

// wrapRef makes a $ref that carries siblings (a description, nullable) valid OpenAPI 3.0,
// where siblings of $ref are ignored: {allOf: [{$ref}], ...siblings}.
func wrapRef(s object) object {
	ref, ok := s["$ref"]
	if !ok || len(s) == 1 {
		return s
	}
	out := object{"allOf": []any{object{"$ref": ref}}}
	for k, v := range s {
		if k != "$ref" {
			out[k] = v
		}
	}
	return out
}

// recordAsMap recognises a TypeScript Record<Union, V> expanded into one property per
// union member (all with the same schema and no documentation) and turns it back into
// a map, which is what Komodo sends (a HashMap that may hold any subset of the keys).
func recordAsMap(s object) (object, bool) {
	props, ok := s["properties"].(object)
	if !ok || len(props) < 3 {
		return nil, false
	}
	var first any
	for _, k := range sortedKeys(props) {
		p := props[k].(object)
		if _, documented := p["description"]; documented || strings.ToUpper(k[:1]) != k[:1] {
			return nil, false
		}
		p = withoutKey(p, "nullable")
		if first == nil {
			first = p
		} else if !reflect.DeepEqual(first, p) {
			return nil, false
		}
	}
	out := object{"type": "object", "additionalProperties": first}
	keys := sortedKeys(props)
	desc, _ := s["description"].(string)
	out["description"] = strings.TrimSpace(desc + " Keys: " + strings.Join(keys, ", ") + ".")
	if n, ok := s["nullable"]; ok {
		out["nullable"] = n
	}
	return out, true
}

var (
	// rustdoc links: [Stack], [mogh_auth_client::api::manage::CreateApiKeyResponse], [Update](...)
	rustdocLink = regexp.MustCompile("\\[`?([A-Za-z_][A-Za-z0-9_:]*)`?\\]")
)

// cleanDoc strips rustdoc link brackets from a description, keeping the linked name.
func cleanDoc(s string) string {
	s = rustdocLink.ReplaceAllStringFunc(s, func(m string) string {
		name := rustdocLink.FindStringSubmatch(m)[1]
		if i := strings.LastIndex(name, "::"); i >= 0 {
			name = name[i+2:]
		}
		return name
	})
	return strings.TrimSpace(s)
}

func copyWith(m object, k string, v any) object {
	out := make(object, len(m))
	for kk, vv := range m {
		out[kk] = vv
	}
	out[k] = v
	return out
}

func withoutKey(m object, k string) object {
	if _, ok := m[k]; !ok {
		return m
	}
	out := make(object, len(m))
	for kk, vv := range m {
		if kk != k {
			out[kk] = vv
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
