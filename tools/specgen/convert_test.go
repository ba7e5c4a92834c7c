package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// defs decodes JSON Schema definitions as ts-json-schema-generator writes them.
func defs(t *testing.T, src string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(src), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// convertDefs runs the converter over definitions and answers the component schemas.
func convertDefs(t *testing.T, src string) map[string]any {
	t.Helper()
	d := defs(t, src)
	names, err := normalizeNames(d)
	if err != nil {
		t.Fatal(err)
	}
	c := &converter{names: names, schemas: map[string]any{}}
	if err := c.convertAll(d, nil); err != nil {
		t.Fatal(err)
	}
	return c.schemas
}

func js(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConvert_OptionalIsNullable: Komodo sends 1,041 of 1,084 optional fields as null, so
// every optional property is nullable and required ones are not; a $ref with siblings is
// wrapped in allOf (OpenAPI 3.0 ignores siblings of $ref); `not: {}` (TypeScript's
// `?: undefined`) is null.
func TestConvert_OptionalIsNullable(t *testing.T) {
	schemas := convertDefs(t, `{
		"Thing": {"type":"object","required":["name"],"properties":{
			"name": {"type":"string"},
			"note": {"type":"string"},
			"tag":  {"$ref":"#/definitions/Tag","description":"The [Tag]."},
			"info": {"not":{}}}},
		"Tag": {"type":"string","enum":["a","b"]}}`)
	props := schemas["Thing"].(map[string]any)["properties"].(map[string]any)
	for field, want := range map[string]string{
		"name": `{"type":"string"}`,
		"note": `{"nullable":true,"type":"string"}`,
		"tag":  `{"allOf":[{"$ref":"#/components/schemas/Tag"}],"description":"The Tag.","nullable":true}`,
		"info": `{"nullable":true}`,
	} {
		if got := js(t, props[field]); got != want {
			t.Errorf("%s = %s, want %s", field, got, want)
		}
	}
}

// TestConvert_TaggedUnions: a union of {type: const, params} objects becomes oneOf over
// named variant components with a discriminator mapping; an untagged union is a plain
// oneOf.
func TestConvert_TaggedUnions(t *testing.T) {
	schemas := convertDefs(t, `{
		"Execution": {"description":"One stage.","anyOf":[
			{"type":"object","required":["type","params"],"properties":{"type":{"type":"string","const":"Deploy"},"params":{"$ref":"#/definitions/Deploy"}}},
			{"type":"object","required":["type"],"properties":{"type":{"type":"string","const":"None"}}}]},
		"Deploy": {"type":"object","required":["deployment"],"properties":{"deployment":{"type":"string"}}},
		"Either": {"anyOf":[{"type":"string"},{"type":"number"}]}}`)
	exec := schemas["Execution"].(map[string]any)
	want := `{"description":"One stage.","discriminator":{"mapping":{"Deploy":"#/components/schemas/ExecutionDeploy","None":"#/components/schemas/ExecutionNone"},"propertyName":"type"},"oneOf":[{"$ref":"#/components/schemas/ExecutionDeploy"},{"$ref":"#/components/schemas/ExecutionNone"}]}`
	if got := js(t, exec); got != want {
		t.Errorf("Execution =\n%s\nwant\n%s", got, want)
	}
	variant := schemas["ExecutionDeploy"].(map[string]any)
	if got := js(t, variant["properties"].(map[string]any)["type"]); got != `{"enum":["Deploy"],"type":"string"}` {
		t.Errorf("tag property = %s: const must become a one-value enum (OpenAPI 3.0)", got)
	}
	if !strings.Contains(variant["description"].(string), "Deploy variant of Execution") {
		t.Errorf("variant description = %v", variant["description"])
	}
	if got := js(t, schemas["Either"]); got != `{"oneOf":[{"type":"string"},{"type":"number"}]}` {
		t.Errorf("untagged union = %s", got)
	}
	if tag := unionTag([]any{
		map[string]any{"properties": map[string]any{"type": map[string]any{"const": "A"}}},
		map[string]any{"properties": map[string]any{"status": map[string]any{"const": "Ok"}}},
	}); tag != "" {
		t.Errorf("variants tagged by different properties are not one tagged union (tag %q)", tag)
	}
}

// TestConvert_Names: a generic instantiation takes the name of its one alias, other
// generic names become plain identifiers, and Rust integer aliases become integers.
func TestConvert_Names(t *testing.T) {
	schemas := convertDefs(t, `{
		"Stack": {"$ref":"#/definitions/Resource%3CStackConfig%2CStackInfo%3E","description":"A stack."},
		"Resource<StackConfig,StackInfo>": {"type":"object","properties":{"name":{"type":"string"}},"required":["name"]},
		"ResourceToml<_PartialStackConfig>": {"type":"object","properties":{"config":{"type":"string"}}},
		"U64": {"type":"number"},
		"Page": {"type":"object","properties":{"page":{"$ref":"#/definitions/U64"}}}}`)
	stack, ok := schemas["Stack"].(map[string]any)
	if !ok || stack["description"] != "A stack." || stack["properties"] == nil {
		t.Errorf("Stack = %s: the generic's content under its alias's name and description", js(t, schemas["Stack"]))
	}
	if _, ok := schemas["ResourceTomlPartialStackConfig"]; !ok {
		t.Errorf("plain name missing; components: %v", sortedKeys(schemas))
	}
	for name := range schemas {
		if strings.ContainsAny(name, "<>,_") {
			t.Errorf("component name %q is not an identifier", name)
		}
	}
	if got := js(t, schemas["U64"]); !strings.Contains(got, `"type":"integer"`) || !strings.Contains(got, `"format":"int64"`) {
		t.Errorf("U64 = %s", got)
	}
}

// TestConvert_RecordAsMap: Record<Union, V> expanded into one property per member comes
// back as a map naming its keys; documented or lower-case properties are a real object.
func TestConvert_RecordAsMap(t *testing.T) {
	schemas := convertDefs(t, `{
		"Counts": {"type":"object","properties":{"Server":{"type":"number"},"Stack":{"type":"number"},"Build":{"type":"number"}}},
		"Real":   {"type":"object","properties":{"a":{"type":"number"},"b":{"type":"number"},"c":{"type":"number"}}}}`)
	if got := js(t, schemas["Counts"]); got != `{"additionalProperties":{"type":"number"},"description":"Keys: Build, Server, Stack.","type":"object"}` {
		t.Errorf("Counts = %s", got)
	}
	if _, isMap := schemas["Real"].(map[string]any)["additionalProperties"]; isMap {
		t.Errorf("Real became a map: %s", js(t, schemas["Real"]))
	}
}

// TestConvert_RefusesUnknownKeywords: a JSON Schema keyword the converter does not know
// is an error, not silently dropped.
func TestConvert_RefusesUnknownKeywords(t *testing.T) {
	d := defs(t, `{"X":{"type":"object","patternProperties":{"^a":{"type":"string"}}}}`)
	names, _ := normalizeNames(d)
	c := &converter{names: names, schemas: map[string]any{}}
	if err := c.convertAll(d, nil); err == nil || !strings.Contains(err.Error(), "patternProperties") {
		t.Errorf("unknown keyword: %v", err)
	}
}
