package catalog_test

import (
	"slices"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// Every integer a client may send has bounds in the schema, and list envelopes declare
// items as an array (the official TypeScript client validates results against it).
func TestSchemas_IntegerBoundsAndEnvelopes(t *testing.T) {
	integers := 0
	for _, tool := range catalog.Tools {
		walk("", decode(t, tool.InputSchema), func(path string, s map[string]any) {
			if !isType(s, "integer") {
				return
			}
			integers++
			if _, ok := s["minimum"]; !ok {
				t.Errorf("%s: integer %s has no minimum", tool.Name, path)
			}
			if _, ok := s["maximum"]; !ok {
				t.Errorf("%s: integer %s has no maximum", tool.Name, path)
			}
		})
		if tool.ResultWrap != "envelope" || tool.OutputSchema == nil {
			continue
		}
		props, _ := decode(t, tool.OutputSchema)["properties"].(map[string]any)
		items, _ := props["items"].(map[string]any)
		if !isType(items, "array") || items["items"] == nil {
			t.Errorf("%s: envelope items is %v, want an array of the item schema", tool.Name, items["type"])
		}
	}
	if integers == 0 {
		t.Fatal("no integer argument found: the walk is broken")
	}
}

func isType(s map[string]any, want string) bool {
	switch v := s["type"].(type) {
	case string:
		return v == want
	case []any:
		return slices.Contains(v, any(want))
	}
	return false
}
