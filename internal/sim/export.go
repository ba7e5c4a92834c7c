package sim

import (
	"reflect"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Komodo's TOML export (bin/core/src/api/read/toml.rs): each resource as a [[kind]] table
// with its name, description, tags (names) and the config fields that differ from
// Komodo's defaults; variables as [[variable]] tables. The same text is an Update's
// prev_toml/current_toml when a resource's config changes.

// exportHandlers registers ExportAllResourcesToToml and ExportResourcesToToml.
func exportHandlers(handle func(string, handlerFunc)) {
	handle("ExportAllResourcesToToml", func(s *Server, c *call) (any, *apiError) {
		include := true
		if v, ok := c.body["include_resources"].(bool); ok {
			include = v
		}
		var list []*resource
		if include {
			tags := strList(c.body["tags"])
			for _, k := range kinds {
				for _, r := range s.w.list(k.Kind) {
					if len(tags) == 0 || s.w.matches(r, map[string]any{"tags": strsAny(tags)}) {
						list = append(list, r)
					}
				}
			}
		}
		vars, _ := c.body["include_variables"].(bool)
		return map[string]any{"toml": s.w.exportTOML(s.sp, list, vars, c.user)}, nil
	})
	handle("ExportResourcesToToml", func(s *Server, c *call) (any, *apiError) {
		var list []*resource
		targets, _ := c.body["targets"].([]any)
		for _, t := range targets {
			m, _ := t.(map[string]any)
			r, err := s.w.mustFind(str(m, "type"), str(m, "id"))
			if err != nil {
				return nil, err
			}
			list = append(list, r)
		}
		vars, _ := c.body["include_variables"].(bool)
		return map[string]any{"toml": s.w.exportTOML(s.sp, list, vars, c.user)}, nil
	})
}

func strsAny(list []string) []any {
	out := make([]any, len(list))
	for i, s := range list {
		out[i] = s
	}
	return out
}

// tomlTable is the table name Komodo writes for a kind ([[server]], [[resource_sync]]).
func tomlTable(kind string) string {
	if kind == "ResourceSync" {
		return "resource_sync"
	}
	return strings.ToLower(kind)
}

// exportTOML renders resources (and, when asked, variables) as Komodo's sync TOML.
func (w *world) exportTOML(sp *spec, list []*resource, variables bool, u *user) string {
	doc := map[string]any{}
	for _, r := range list {
		entry := map[string]any{"name": r.Name}
		if r.Description != "" {
			entry["description"] = r.Description
		}
		if len(r.Tags) > 0 {
			var names []string
			for _, id := range r.Tags {
				if t := w.findTag(id); t != nil {
					names = append(names, t.Name)
				}
			}
			entry["tags"] = names
		}
		if cfg := configDiff(fullOf(sp, r.Kind+"Config", r.Config), w.namedRefs(r.Config)); len(cfg) > 0 {
			entry["config"] = cfg
		}
		table := tomlTable(r.Kind)
		list, _ := doc[table].([]map[string]any)
		doc[table] = append(list, entry)
	}
	if variables {
		var vars []map[string]any
		for _, v := range w.variables {
			vj := variableJSON(v, u)
			if v.Description == "" {
				delete(vj, "description")
			}
			vars = append(vars, vj)
		}
		if len(vars) > 0 {
			doc["variable"] = vars
		}
	}
	if len(doc) == 0 {
		return ""
	}
	data, err := toml.Marshal(integers(doc))
	if err != nil {
		return "# " + err.Error()
	}
	return string(data)
}

// namedRefs is a config with its resource ids shown as names, as Komodo exports them
// (server_id = "prod-1").
func (w *world) namedRefs(cfg map[string]any) map[string]any {
	out := deepCopy(cfg).(map[string]any)
	for _, k := range []struct{ field, kind string }{{"server_id", "Server"}, {"builder_id", "Builder"}, {"swarm_id", "Swarm"}} {
		if id := str(out, k.field); id != "" {
			if r := w.find(k.kind, id); r != nil {
				out[k.field] = r.Name
			}
		}
	}
	return out
}

// configDiff keeps the fields of cfg that differ from Komodo's defaults.
func configDiff(defaults, cfg map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range cfg {
		if v == nil {
			continue
		}
		if d, ok := defaults[k]; ok && reflect.DeepEqual(asJSON(map[string]any{"v": d}), asJSON(map[string]any{"v": v})) {
			continue
		}
		out[k] = v
	}
	return out
}

// integers turns whole float64s (JSON numbers) into int64s, which TOML writes as integers
// (a version's major = 1, not 1.0), as Komodo's i32/u64 fields are.
func integers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = integers(e)
		}
	case []map[string]any:
		for _, e := range x {
			integers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = integers(e)
		}
	case float64:
		if x == float64(int64(x)) {
			return int64(x)
		}
	}
	return v
}
