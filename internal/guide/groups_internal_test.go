package guide

import (
	"encoding/json"
	"slices"
	"sort"
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
