package sim

import (
	"net/http"
	"strings"
	"testing"
)

// TestSeededCredentialsAreServed: every credential the seed lists is in Komodo's answers
// (as a real Core answers an admin), so that a test finding none of them in tool results
// proves redaction, not absence.
func TestSeededCredentialsAreServed(t *testing.T) {
	s := Start(t, WithExecDuration(0))
	var all strings.Builder
	for _, c := range []struct {
		op   string
		body map[string]any
	}{
		{"ListFullServers", nil}, {"ListFullBuilds", nil}, {"ListFullStacks", nil}, {"ListFullRepos", nil},
		{"ListFullResourceSyncs", nil}, {"ListFullProcedures", nil}, {"ListFullActions", nil}, {"ListFullAlerters", nil},
		{"ListVariables", nil}, {"ListGitProviderAccounts", nil}, {"ListImageRegistryAccounts", nil},
		{"InspectDeploymentContainer", map[string]any{"deployment": "api-gateway"}},
	} {
		if c.body == nil {
			c.body = map[string]any{}
		}
		status, data := doRaw(t, s, http.MethodPost, "/read/"+c.op, c.body, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", c.op, status, data)
		}
		all.Write(data)
	}
	creds := SeededCredentials()
	if len(creds) < 12 {
		t.Fatalf("the seed lists credentials of %d fields, want every field the world has", len(creds))
	}
	for field, values := range creds {
		for _, v := range values {
			if !strings.Contains(all.String(), v) {
				t.Errorf("seeded credential of %s (%s) is not in any answer", field, v)
			}
		}
	}
}
