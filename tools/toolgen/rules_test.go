package main

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadSchemas parses a small OpenAPI document whose components hold the schemas a test
// converts; refs between them resolve as in the real document.
func loadSchemas(t *testing.T, schemas string) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData([]byte(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},
		"components":{"schemas":` + schemas + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func asJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestConvert_Nullability: nullable fields accept null in output schemas (Komodo sends
// optional fields as null) but not in input schemas (Komodo refuses null for fields with
// defaults), and the OpenAPI keyword itself never reaches a tool schema.
func TestConvert_Nullability(t *testing.T) {
	doc := loadSchemas(t, `{
		"Thing": {"type":"object","required":["name"],"properties":{
			"name": {"type":"string"},
			"note": {"type":"string","nullable":true},
			"tag":  {"allOf":[{"$ref":"#/components/schemas/Tag"}],"nullable":true,"description":"The tag."},
			"any":  {"nullable":true}}},
		"Tag": {"type":"string","enum":["a","b"]}}`)
	ref := doc.Components.Schemas["Thing"]

	out := convert(ref, outputMode, nil)
	props := out["properties"].(map[string]any)
	for field, want := range map[string]string{
		"name": `{"type":"string"}`,
		"note": `{"type":["string","null"]}`,
		"tag":  `{"enum":["a","b"],"type":["string","null"]}`,
		"any":  `{}`, // no type: accepts anything, null included
	} {
		if got := asJSON(t, props[field]); got != want {
			t.Errorf("output %s = %s, want %s", field, got, want)
		}
	}

	in := convert(ref, inputMode, nil)
	props = in["properties"].(map[string]any)
	if got := asJSON(t, props["note"]); got != `{"type":"string"}` {
		t.Errorf("input note = %s: input schemas must not offer null", got)
	}
	if got := asJSON(t, props["tag"]); got != `{"description":"The tag.","enum":["a","b"],"type":"string"}` {
		t.Errorf("input tag = %s: the allOf wrapper's description belongs on the field", got)
	}
	if strings.Contains(asJSON(t, out)+asJSON(t, in), "nullable") {
		t.Error("the OpenAPI nullable keyword reached a tool schema")
	}
}

// TestConvert_Unions: oneOf/anyOf become anyOf alternatives (discriminator dropped), a
// nullable union gains a null alternative in output schemas, refs are inlined and a
// reference cycle is cut.
func TestConvert_Unions(t *testing.T) {
	doc := loadSchemas(t, `{
		"Exec": {"oneOf":[{"$ref":"#/components/schemas/Run"},{"$ref":"#/components/schemas/Stop"}],
			"discriminator":{"propertyName":"type"},"nullable":true},
		"Run":  {"type":"object","properties":{"type":{"type":"string","enum":["Run"]},"then":{"$ref":"#/components/schemas/Exec"}}},
		"Stop": {"type":"object","properties":{"type":{"type":"string","enum":["Stop"]}}}}`)
	out := convert(doc.Components.Schemas["Exec"], outputMode, nil)
	text := asJSON(t, out)
	for _, banned := range []string{"discriminator", "oneOf", "$ref"} {
		if strings.Contains(text, banned) {
			t.Errorf("converted union has %s: %s", banned, text)
		}
	}
	alts, _ := out["anyOf"].([]any)
	if len(alts) != 3 || asJSON(t, alts[2]) != `{"type":"null"}` {
		t.Fatalf("alternatives = %s, want Run, Stop and null", asJSON(t, alts))
	}
	then := alts[0].(map[string]any)["properties"].(map[string]any)["then"].(map[string]any)
	// Exec -> Run -> then: Exec again, whose Run is cut to a described plain object.
	cut, _ := then["anyOf"].([]any)
	if len(cut) == 0 || cut[0].(map[string]any)["type"] != "object" || !strings.Contains(asJSON(t, cut[0]), "recursive") {
		t.Errorf("the Exec cycle is not cut: %s", asJSON(t, then))
	}
	in := convert(doc.Components.Schemas["Exec"], inputMode, nil)
	if alts, _ := in["anyOf"].([]any); len(alts) != 2 {
		t.Errorf("input union = %s, want the two variants without null", asJSON(t, in))
	}
}

// TestConvert_ArraysAndBounds: every array has items, and Komodo's integer aliases carry
// bounds in input schemas.
func TestConvert_ArraysAndBounds(t *testing.T) {
	doc := loadSchemas(t, `{
		"Req": {"type":"object","properties":{
			"ids":   {"type":"array"},
			"page":  {"$ref":"#/components/schemas/U64"},
			"delta": {"$ref":"#/components/schemas/I64"}}},
		"U64": {"type":"integer"},
		"I64": {"type":"integer"}}`)
	props := convert(doc.Components.Schemas["Req"], inputMode, nil)["properties"].(map[string]any)
	if got := asJSON(t, props["ids"]); got != `{"items":{},"type":"array"}` {
		t.Errorf("array without items converts to %s", got)
	}
	if got := asJSON(t, props["page"]); got != `{"maximum":9007199254740991,"minimum":0,"type":"integer"}` {
		t.Errorf("U64 = %s", got)
	}
	if got := asJSON(t, props["delta"]); got != `{"maximum":9007199254740991,"minimum":-9007199254740991,"type":"integer"}` {
		t.Errorf("I64 = %s", got)
	}
	out := convert(doc.Components.Schemas["Req"], outputMode, nil)["properties"].(map[string]any)
	if _, bounded := out["page"].(map[string]any)["maximum"]; bounded {
		t.Error("output integers need no bounds")
	}
}

// TestTargetField: the `id` parameter maps onto the one required string field naming a
// resource, and only then.
func TestTargetField(t *testing.T) {
	str := map[string]any{"type": "string"}
	for _, tc := range []struct {
		name  string
		input map[string]any
		want  string
	}{
		{"one target", map[string]any{"required": []string{"deployment"}, "properties": map[string]any{"deployment": str, "stop_time": map[string]any{"type": "number"}}}, "deployment"},
		{"optional target", map[string]any{"properties": map[string]any{"server": str}}, ""},
		{"not a resource", map[string]any{"required": []string{"name"}, "properties": map[string]any{"name": str}}, ""},
		{"two targets", map[string]any{"required": []string{"server", "stack"}, "properties": map[string]any{"server": str, "stack": str}}, ""},
		{"target not a string", map[string]any{"required": []string{"server"}, "properties": map[string]any{"server": map[string]any{"type": "object"}}}, ""},
		{"own id field", map[string]any{"required": []string{"build"}, "properties": map[string]any{"build": str, "id": str}}, ""},
	} {
		if got := targetField(tc.input); got != tc.want {
			t.Errorf("%s: targetField = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestListItems: reads named List... answering an array, or an object with next_page
// and one array, are lists; nothing else is.
func TestListItems(t *testing.T) {
	item := map[string]any{"type": "object"}
	array := map[string]any{"type": "array", "items": item}
	paged := map[string]any{"type": "object", "properties": map[string]any{"updates": array, "next_page": map[string]any{"type": []any{"integer", "null"}}}}
	for _, tc := range []struct {
		op, module string
		output     map[string]any
		ok         bool
		key        string
	}{
		{"ListServers", "read", array, true, ""},
		{"ListUpdates", "read", paged, true, "updates"},
		{"ListSecrets", "read", map[string]any{"type": []any{"array", "null"}, "items": item}, true, ""},
		{"ListThings", "read", map[string]any{"type": "object", "properties": map[string]any{"things": array}}, false, ""}, // no next_page
		{"GetServers", "read", array, false, ""},
		{"ListTerminals", "write", array, false, ""},
	} {
		items, key, ok := listItems(tc.op, tc.module, tc.output)
		if ok != tc.ok || key != tc.key || (ok && !reflect.DeepEqual(items, item)) {
			t.Errorf("%s/%s: listItems = %v %q %v, want ok=%v key %q", tc.module, tc.op, items, key, ok, tc.ok, tc.key)
		}
	}
}

// TestToolsetOf: an explicit operation entry wins, then the nouns after the verb, then a
// compound word spanning two name words; an operation matching nothing is an error that
// says where to add it.
func TestToolsetOf(t *testing.T) {
	var cur curation
	cur.Toolsets = append(cur.Toolsets,
		struct {
			ID          string   `yaml:"id"`
			Description string   `yaml:"description"`
			Words       []string `yaml:"words"`
		}{ID: "deployments", Words: []string{"Deployment", "Deployments"}},
		struct {
			ID          string   `yaml:"id"`
			Description string   `yaml:"description"`
			Words       []string `yaml:"words"`
		}{ID: "servers", Words: []string{"Server", "Servers"}},
		struct {
			ID          string   `yaml:"id"`
			Description string   `yaml:"description"`
			Words       []string `yaml:"words"`
		}{ID: "providers", Words: []string{"GitProvider"}},
	)
	cur.Operations = map[string]string{"GetServerDeploymentCount": "servers"}
	for op, want := range map[string]string{
		"GetDeployment":              "deployments",
		"ListServers":                "servers",
		"GetDeploymentServer":        "deployments", // the first matching toolset in api/mcp.yaml order
		"GetServerDeploymentCount":   "servers",     // the explicit entry
		"CreateGitProviderAccount":   "providers",   // compound word
		"ListGitProvidersFromConfig": "providers",
	} {
		got, err := toolsetOf(op, splitWords(op), &cur)
		if err != nil || got != want {
			t.Errorf("toolsetOf(%s) = %q, %v; want %q", op, got, err, want)
		}
	}
	if _, err := toolsetOf("RotateCoreKeys", splitWords("RotateCoreKeys"), &cur); err == nil || !strings.Contains(err.Error(), "api/mcp.yaml") {
		t.Errorf("an unmatched operation: %v", err)
	}
}
