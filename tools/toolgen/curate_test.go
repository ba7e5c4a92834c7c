package main

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestShrink(t *testing.T) {
	big := map[string]any{}
	for _, f := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		big[f] = map[string]any{"type": "string", "description": strings.Repeat("words ", 20)}
	}
	schema := map[string]any{
		"type": "object",
		"properties": map[string]any{
			"config": map[string]any{
				"type": "object",
				"properties": map[string]any{
					"nested": map[string]any{"type": "object", "description": "A nested config.\n\nUI notes.", "properties": big},
					"small":  map[string]any{"type": "object", "properties": map[string]any{"a": map[string]any{"type": "string"}}},
					"list":   map[string]any{"type": "array", "items": map[string]any{"type": "object", "properties": big}},
					"note":   map[string]any{"type": "string", "description": "First paragraph.\n\nSecond paragraph."},
				},
			},
			"top": map[string]any{"type": "object", "properties": big}, // an argument itself keeps its fields
		},
	}
	out := shrink(schema, 0, 300)
	props := out["properties"].(map[string]any)
	cfg := props["config"].(map[string]any)["properties"].(map[string]any)
	nested := cfg["nested"].(map[string]any)
	if _, inlined := nested["properties"]; inlined {
		t.Errorf("large nested object still inlined: %v", nested)
	}
	if d := nested["description"]; d != "A nested config. Fields: alpha, beta, delta, epsilon, gamma." {
		t.Errorf("brief description = %q", d)
	}
	if _, inlined := cfg["small"].(map[string]any)["properties"]; !inlined {
		t.Error("small nested object was described briefly")
	}
	if _, inlined := cfg["list"].(map[string]any)["items"].(map[string]any)["properties"]; inlined {
		t.Error("large array items still inlined")
	}
	if d := cfg["note"].(map[string]any)["description"]; d != "First paragraph." {
		t.Errorf("deep description = %q, want its first paragraph", d)
	}
	if _, inlined := props["top"].(map[string]any)["properties"]; !inlined {
		t.Error("an argument's own fields were described briefly")
	}
}

func TestBriefAlternatives(t *testing.T) {
	var s map[string]any
	if err := json.Unmarshal([]byte(`{"description":"What to run","anyOf":[
		{"type":"object","properties":{"type":{"enum":["Deploy"]},"params":{"type":"object"}}},
		{"type":"object","properties":{"type":{"enum":["RunBuild"]},"params":{"type":"object"}}}]}`), &s); err != nil {
		t.Fatal(err)
	}
	got := briefAlternatives(s)["description"]
	want := `What to run. An object {"type": T, "params": {...}}, T one of: Deploy, RunBuild.`
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
}
