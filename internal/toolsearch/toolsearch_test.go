package toolsearch

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

func TestTerms(t *testing.T) {
	cases := map[string][]string{
		"ListDeployments":                {"list", "deployment"},
		"komodo_read_GetDeploymentLog":   {"get", "deployment", "log"},
		"server_id":                      {"server", "id"},
		"What failed in the last build?": {"failed", "last", "build"},
		"GetAPIKeys":                     {"get", "api", "key"},
		"restart the monitoring stack":   {"restart", "monitoring", "stack"},
	}
	for in, want := range cases {
		if got := Terms(in); !reflect.DeepEqual(got, want) {
			t.Errorf("Terms(%q) = %v, want %v", in, got, want)
		}
	}
}

func TestSearch_Ranking(t *testing.T) {
	ix := New([]Doc{
		{Name: "komodo_execute_RestartStack", Description: "Restart a stack's services.", Params: []string{"id", "services"}},
		{Name: "komodo_execute_RestartServer", Description: "Restart every container on a server.", Params: []string{"id"}},
		{Name: "komodo_read_ListStacks", Description: "List stacks.", Params: []string{"query"}},
		{Name: "komodo_read_GetVersion", Description: "Komodo's version."},
	})
	hits := ix.Search("restart the monitoring stack", 10)
	if len(hits) == 0 || hits[0].Name != "komodo_execute_RestartStack" {
		t.Fatalf("hits %v: want RestartStack first", hits)
	}
	for _, h := range hits {
		if h.Name == "komodo_read_GetVersion" {
			t.Errorf("a tool sharing no word with the query was returned: %v", hits)
		}
	}
	if got := ix.Search("restart", 1); len(got) != 1 {
		t.Errorf("k=1 returned %d hits", len(got))
	}
	if got := ix.Search("the of a", 10); len(got) != 0 {
		t.Errorf("stop words matched: %v", got)
	}
}

// catalogIndex indexes the real catalog, as the gateway does.
func catalogIndex(t *testing.T) *Index {
	t.Helper()
	var docs []Doc
	for _, tool := range catalog.Tools {
		var s struct {
			Properties map[string]json.RawMessage `json:"properties"`
		}
		if err := json.Unmarshal(tool.InputSchema, &s); err != nil {
			t.Fatal(err)
		}
		var params []string
		for p := range s.Properties {
			params = append(params, p)
		}
		slices.Sort(params)
		docs = append(docs, Doc{Name: tool.Name, Description: tool.Description, Params: params})
	}
	return New(docs)
}

// Questions operators ask, and a tool that must be among the first five found.
func TestSearch_Catalog(t *testing.T) {
	ix := catalogIndex(t)
	cases := map[string]string{
		"restart the monitoring stack":    "komodo_execute_RestartStack",
		"deployment logs":                 "komodo_read_GetDeploymentLog",
		"search a stack's logs":           "komodo_read_SearchStackLog",
		"create a tag":                    "komodo_write_CreateTag",
		"list updates":                    "komodo_read_ListUpdates",
		"server cpu and memory stats":     "komodo_read_GetSystemStats",
		"export resources to toml":        "komodo_read_ExportResourcesToToml",
		"rename a deployment":             "komodo_write_RenameDeployment",
		"prune docker images on a server": "komodo_execute_PruneImages",
		"set the value of a variable":     "komodo_write_UpdateVariableValue",
	}
	for q, want := range cases {
		hits := ix.Search(q, 5)
		var names []string
		for _, h := range hits {
			names = append(names, h.Name)
		}
		if !slices.Contains(names, want) {
			t.Errorf("%q: %s not in the first five: %v", q, want, names)
		}
	}
}

func TestQueryTerms_Synonyms(t *testing.T) {
	if got := queryTerms("show the logs"); !reflect.DeepEqual(got, []string{"list", "get", "log"}) {
		t.Errorf("queryTerms = %v", got)
	}
	// Documents keep their own words: a tool about recently viewed resources is not about updates.
	if got := Terms("PushRecentlyViewed"); !reflect.DeepEqual(got, []string{"push", "recently", "viewed"}) {
		t.Errorf("Terms = %v", got)
	}
}

// Plain questions whose answer is one obvious read: it must come first, not a write that
// shares the words ("list variables and secrets" is not UpdateVariableIsSecret).
func TestSearch_ObviousReadFirst(t *testing.T) {
	ix := catalogIndex(t)
	cases := map[string]string{
		"list variables and secrets": "komodo_read_ListVariables",
		"list variables":             "komodo_read_ListVariables",
		"list servers":               "komodo_read_ListServers",
		"list stacks":                "komodo_read_ListStacks",
		"list builds":                "komodo_read_ListBuilds",
		"list procedures":            "komodo_read_ListProcedures",
		"list alerts":                "komodo_read_ListAlerts",
		"list tags":                  "komodo_read_ListTags",
		"list users":                 "komodo_read_ListUsers",
		"get a variable":             "komodo_read_GetVariable",
		"show the deployments":       "komodo_read_ListDeployments",
		"show the variables":         "komodo_read_ListVariables",
		"show the deployment":        "komodo_read_GetDeployment",
		"list the deployments":       "komodo_read_ListDeployments",
	}
	for q, want := range cases {
		hits := ix.Search(q, 3)
		if len(hits) == 0 || hits[0].Name != want {
			t.Errorf("%q: first %v, want %s", q, hits, want)
		}
	}
}
