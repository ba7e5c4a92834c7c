package params

import (
	"encoding/json"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/api"
)

// Every state Komodo can report is in exactly one status group, so that no deployment
// or stack matches no status value (and none matches two).
func TestStatusGroups_CoverKomodoStates(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Enum []string `json:"enum"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.Document, &doc); err != nil {
		t.Fatal(err)
	}
	for enum, groups := range map[string]map[string][]string{"DeploymentState": deploymentGroups, "StackState": stackGroups} {
		states := doc.Components.Schemas[enum].Enum
		if len(states) == 0 {
			t.Fatalf("%s: no enum in the document", enum)
		}
		seen := map[string]string{}
		for group, members := range groups {
			for _, m := range members {
				if !slices.Contains(states, m) {
					t.Errorf("%s group %s: %q is not a Komodo state (%v)", enum, group, m, states)
				}
				if other, dup := seen[m]; dup {
					t.Errorf("%s: %q is in both %s and %s", enum, m, other, group)
				}
				seen[m] = group
			}
		}
		var missing []string
		for _, s := range states {
			if _, ok := seen[s]; !ok {
				missing = append(missing, s)
			}
		}
		sort.Strings(missing)
		if len(missing) > 0 {
			t.Errorf("%s: states in no group: %v", enum, missing)
		}
	}
	// The crash loop and the unhealthy stack are failures; unknown is its own group.
	if !slices.Contains(deploymentGroups["failed"], "restarting") || !slices.Contains(stackGroups["failed"], "unhealthy") {
		t.Error("restarting deployments and unhealthy stacks must count as failed")
	}
	if !slices.Equal(deploymentGroups["unknown"], []string{"unknown"}) || !slices.Equal(stackGroups["unknown"], []string{"unknown"}) {
		t.Error("unknown must be a group of its own")
	}
}

// Every list of ids in Komodo's query.specific filters is resolved from names: the table
// covers each array field of the document's *QuerySpecifics whose items are ids (by its
// name or Komodo's "Only accepts ... id" / "ids" words), and names no other field.
func TestSpecificTypes_CoverTheDocument(t *testing.T) {
	var doc struct {
		Components struct {
			Schemas map[string]struct {
				Properties map[string]struct {
					Type        string `json:"type"`
					Description string `json:"description"`
				} `json:"properties"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(api.Document, &doc); err != nil {
		t.Fatal(err)
	}
	idLists := map[string]bool{}
	for name, s := range doc.Components.Schemas {
		if !strings.HasSuffix(name, "QuerySpecifics") {
			continue
		}
		for field, p := range s.Properties {
			desc := strings.ToLower(p.Description)
			if p.Type == "array" && (strings.HasSuffix(field, "_ids") || strings.Contains(desc, " id (not name)") || strings.Contains(desc, " ids")) {
				idLists[field] = true
			}
		}
	}
	if len(idLists) == 0 {
		t.Fatal("no id lists found in the document")
	}
	for field := range idLists {
		if _, ok := specificTypes[field]; !ok {
			t.Errorf("query.specific.%s holds ids but names in it are not resolved", field)
		}
	}
	for field := range specificTypes {
		if !idLists[field] {
			t.Errorf("specificTypes names %s, which is no id list of the document", field)
		}
	}
}
