package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/komodo-mcp/komodo-mcp/api"
)

// strictSpec is the document with every property of every object required, except those
// Komodo leaves out of its JSON (skip_serializing_if, api/komodo.serde.json): Komodo
// serializes every other field of its structs, an Option as null. A field Komodo never
// serializes (skip_serializing) must be absent. An answer that passes it has every field a
// real Core sends, and none it does not.
func strictSpec(t testing.TB) *spec {
	t.Helper()
	sp, err := parseSpec(api.Document) // a copy of its own: the shared one must stay as is
	if err != nil {
		t.Fatal(err)
	}
	// A component's schema is named by the component, however it is reached (a $ref, or a
	// reference the loader resolved in place).
	componentOf := map[*openapi3.Schema]string{}
	for name, ref := range sp.doc.Components.Schemas {
		if ref != nil && ref.Value != nil && ref.Ref == "" { // not an alias (FindUserResponse = User)
			componentOf[ref.Value] = name
		}
	}
	seen := map[*openapi3.Schema]bool{}
	var walk func(name string, ref *openapi3.SchemaRef)
	walk = func(name string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if c, ok := componentOf[s]; ok {
			name = c
		} else if ref.Ref != "" {
			name = refName(ref)
		}
		if len(s.Properties) > 0 {
			skip := komodoSerde().Structs[name]
			req := make([]string, 0, len(s.Properties))
			for prop := range s.Properties {
				switch skip[prop].SkipIf {
				case "":
					req = append(req, prop)
				case "always": // #[serde(skip_serializing)]: must not be there at all
					// not: {nullable: true} refuses every value (kin-openapi skips a "not: {}" as empty).
					s.Properties[prop] = &openapi3.SchemaRef{Value: &openapi3.Schema{Not: &openapi3.SchemaRef{Value: &openapi3.Schema{Nullable: true}}}}
				}
			}
			sort.Strings(req)
			s.Required = req
		}
		for _, p := range s.Properties {
			walk("", p)
		}
		for _, list := range []openapi3.SchemaRefs{{s.Items}, s.AllOf, s.OneOf, s.AnyOf} {
			for _, p := range list {
				walk("", p)
			}
		}
		if s.AdditionalProperties.Schema != nil {
			walk("", s.AdditionalProperties.Schema)
		}
	}
	names := make([]string, 0, len(sp.doc.Components.Schemas))
	for name := range sp.doc.Components.Schemas {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		walk(name, sp.doc.Components.Schemas[name])
	}
	return sp
}

// TestReadAnswersCarryEveryField calls every read operation of the document with a valid
// body and checks its answer against the strict document: a field Komodo always serializes
// cannot go missing from the simulator. Write answers (the resource echoed by Create* and
// Update*) are checked too.
func TestReadAnswersCarryEveryField(t *testing.T) {
	s := Start(t, WithExecDuration(0))
	strict := strictSpec(t)
	var ids []string
	for id, op := range strict.byID {
		if op.Module == "read" || op.Module == "write" && !strings.HasPrefix(id, "Delete") {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	checked := 0
	for _, id := range ids {
		op := strict.byID[id]
		status, data := doRaw(t, s, op.Method, op.Path, exampleBody(s, op), nil)
		if status != http.StatusOK || op.Text {
			continue // TestEveryOperationAnswersPerDocument reports those
		}
		var v any
		if err := json.Unmarshal(data, &v); err != nil {
			t.Errorf("%s: %v", id, err)
			continue
		}
		checked++
		if err := op.Resp.Value.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
			t.Errorf("%s: a field Komodo always sends is missing or mistyped:\n%s\nbody: %.400s", id, firstLines(err.Error(), 12), data)
		}
	}
	t.Logf("%d read and write answers carry every field Komodo serializes", checked)
	if checked < 150 {
		t.Errorf("checked %d answers, want every read and write operation (>= 150)", checked)
	}
}

func firstLines(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = append(lines[:n], fmt.Sprintf("... (%d more lines)", len(lines)-n))
	}
	return strings.Join(lines, "\n")
}

// TestCreatedResourcesHaveKomodoDefaults: a resource created with an empty config holds
// Komodo's defaults (the Rust Default impls, api/komodo.serde.json), and the seeded world
// differs from them only where the seed says.
func TestCreatedResourcesHaveKomodoDefaults(t *testing.T) {
	s := Start(t, WithExecDuration(0))
	get := func(op string, body map[string]any) map[string]any {
		t.Helper()
		status, data := doRaw(t, s, http.MethodPost, "/write/"+op, body, nil)
		if status != http.StatusOK {
			t.Fatalf("%s: HTTP %d %s", op, status, data)
		}
		var m map[string]any
		_ = json.Unmarshal(data, &m)
		cfg, _ := m["config"].(map[string]any)
		return cfg
	}
	cases := []struct {
		op   string
		want map[string]any
	}{
		{"CreateServer", map[string]any{"enabled": false, "send_cpu_alerts": true, "send_unreachable_alerts": true, "cpu_warning": 90.0, "mem_critical": 95.0, "insecure_tls": true, "auto_prune": true, "stats_monitoring": true}},
		{"CreateDeployment", map[string]any{"network": "host", "replicas": 1.0, "termination_timeout": 10.0, "send_alerts": true, "restart": "no"}},
		{"CreateStack", map[string]any{"auto_pull": true, "branch": "main", "git_provider": "github.com", "env_file_path": ".env", "webhook_enabled": true}},
		{"CreateBuild", map[string]any{"dockerfile_path": "Dockerfile", "build_path": ".", "auto_increment_version": true, "include_latest_tag": true}},
		{"CreateProcedure", map[string]any{"failure_alert": true, "schedule_enabled": true, "webhook_enabled": true}},
	}
	for _, c := range cases {
		cfg := get(c.op, map[string]any{"name": "fresh-" + strings.ToLower(c.op), "config": map[string]any{}})
		for k, want := range c.want {
			if cfg[k] != want {
				t.Errorf("%s: config.%s = %v, want Komodo's default %v", c.op, k, cfg[k], want)
			}
		}
	}
	// The seeded prod-1 sets address, region and enabled, and keeps the rest.
	_, data := doRaw(t, s, http.MethodPost, "/read/GetServer", map[string]any{"server": "prod-1"}, nil)
	if !strings.Contains(string(data), `"send_disk_alerts":true`) || !strings.Contains(string(data), `"enabled":true`) {
		t.Errorf("seeded prod-1 lacks Komodo's defaults: %s", data)
	}
}

// The strict document refuses a field Komodo never serializes (ContainerListItem.labels,
// #[serde(skip_serializing)]) and one it always does, missing.
func TestStrictSpecRefusesWhatKomodoNeverSends(t *testing.T) {
	strict := strictSpec(t)
	item, _ := full(strict.ref("ContainerListItem")).(map[string]any)
	if _, ok := item["labels"]; ok {
		t.Fatal("the simulator builds a ContainerListItem with labels, which Komodo never sends")
	}
	schema := strict.doc.Components.Schemas["ContainerListItem"].Value
	if err := schema.VisitJSON(asJSON(item), openapi3.VisitAsResponse()); err != nil {
		t.Fatalf("the simulator's ContainerListItem does not pass: %v", err)
	}
	item["labels"] = map[string]any{"a": "b"}
	if schema.VisitJSON(asJSON(item), openapi3.VisitAsResponse()) == nil {
		t.Error("labels passed, Komodo never sends them")
	}
	delete(item, "labels")
	delete(item, "name")
	if schema.VisitJSON(asJSON(item), openapi3.VisitAsResponse()) == nil {
		t.Error("a ContainerListItem without its name passed")
	}
}
