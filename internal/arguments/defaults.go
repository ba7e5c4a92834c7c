package arguments

import (
	"encoding/json"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// fillDefaults fills in the catalog's defaults (api/mcp.yaml `defaults`) for fields
// Komodo requires that the assistant left out, e.g. a log's tail. It reports whether it
// added any.
func fillDefaults(t *catalog.Tool, args map[string]any) bool {
	if len(t.Defaults) == 0 {
		return false
	}
	var defaults map[string]any
	if err := json.Unmarshal(t.Defaults, &defaults); err != nil {
		panic("catalog defaults of " + t.Name + " are not a JSON object: " + err.Error())
	}
	added := false
	for k, v := range defaults {
		if _, ok := args[k]; !ok {
			args[k] = v
			added = true
		}
	}
	return added
}
