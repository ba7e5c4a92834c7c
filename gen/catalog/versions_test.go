package catalog

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestVersions_Load decodes every older version's catalog and checks it against itself:
// every tool calls an operation of that version, under the name that Core knows.
func TestVersions_Load(t *testing.T) {
	vs := Versions()
	if len(vs) < 2 || vs[len(vs)-1] != KomodoVersion {
		t.Fatalf("Versions() = %v, want older versions then %s", vs, KomodoVersion)
	}
	for _, v := range vs {
		c, err := Load(v)
		if err != nil {
			t.Fatal(err)
		}
		if c.Version != v || len(c.Tools) < 250 {
			t.Errorf("%s: version %q, %d tools", v, c.Version, len(c.Tools))
		}
		for _, tool := range c.Tools {
			if !c.HasOperation(tool.Operation) || tool.Path != "/"+tool.Module+"/"+tool.Operation && tool.Method == "POST" {
				t.Errorf("%s: %s calls %s %s, which this version lacks", v, tool.Name, tool.Method, tool.Path)
			}
			var s map[string]any
			if err := json.Unmarshal(tool.InputSchema, &s); err != nil || s["type"] != "object" {
				t.Errorf("%s: %s input schema: %v", v, tool.Name, err)
			}
			if got, ok := c.ByName(tool.Name); !ok || got.Name != tool.Name {
				t.Errorf("%s: ByName(%s)", v, tool.Name)
			}
		}
		// The default surface is there on every version (1.19.5 has every default operation).
		for _, name := range Default {
			if _, ok := c.ByName(name); !ok && strings.HasPrefix(name, "komodo_") {
				t.Errorf("%s lacks default tool %s", v, name)
			}
		}
	}
	old, _ := Load("1.19.5")
	// Renamed in 2.3: the 1.19.5 tool keeps the newest name and calls the old operation.
	lc, ok := old.ByName("komodo_read_ListContainers")
	if !ok || lc.Operation != "ListDockerContainers" || lc.Path != "/read/ListDockerContainers" {
		t.Errorf("1.19.5 komodo_read_ListContainers = %+v", lc)
	}
	for _, missing := range []string{"komodo_execute_CancelAction", "komodo_write_CreateSwarm", "komodo_write_RotateCoreKeys", "komodo_write_UpdateUserPassword"} {
		if _, ok := old.ByName(missing); ok {
			t.Errorf("1.19.5 offers %s", missing)
		}
	}
	if _, ok := old.ByName("komodo_write_CreateBuildWebhook"); !ok {
		t.Error("1.19.5 lacks komodo_write_CreateBuildWebhook")
	}
}

func TestForCore(t *testing.T) {
	for _, c := range []struct {
		reported, catalog string
		exact             bool
	}{
		{"2.3.2", KomodoVersion, true},
		{"v2.3.0", KomodoVersion, true},
		{"1.19.5", "1.19.5", true},
		{"1.19.3", "1.19.5", true},
		{"2.0.1", "2.0.0", true},
		{"2.1.0", "2.1.2", true},
		{"2.2.0", "2.2.0", true},
		{"9.0.0", KomodoVersion, false},
		{"1.18.4", "1.19.5", false},
		{"garbage", KomodoVersion, false},
	} {
		m, err := ForCore(c.reported)
		if err != nil {
			t.Fatal(err)
		}
		if m.Catalog.Version != c.catalog || m.Exact != c.exact || (m.Warning == "") != c.exact {
			t.Errorf("ForCore(%q) = %s exact=%v warning=%q, want %s exact=%v", c.reported, m.Catalog.Version, m.Exact, m.Warning, c.catalog, c.exact)
		}
	}
}

func TestChanges(t *testing.T) {
	cs, err := Changes()
	if err != nil {
		t.Fatal(err)
	}
	vs := Versions()
	if len(cs) != len(vs)-1 {
		t.Fatalf("%d changes for %d versions", len(cs), len(vs))
	}
	for i, c := range cs {
		if c.From != vs[i] || c.To != vs[i+1] {
			t.Errorf("change %d is %s -> %s", i, c.From, c.To)
		}
	}
}
