package compact

import (
	"encoding/json"
	"fmt"
	"reflect"
)

// A list is read at a glance: each resource kind's list items keep what an operator scans
// - name, tags, and of Komodo's info the state, the status, the server, the image or
// version, the error when there is one - and drop configuration (alert flags, core
// counts, public keys, repo links...). The fields keep Komodo's names
// (client/core/rs/src/entities/*.rs, *ListItemInfo at v2.3.2) but sit beside the name, as
// one flat record per resource: {"name", "state", "server_name", "image", "tags"}.
// `fields` (which finds "state" under info too) and `raw: true` give Komodo's shape and
// every field.

// glanceInfo are the info fields each kind's list items keep, by ResourceListItem type.
var glanceInfo = map[string][]string{
	"Server":       {"state", "err", "version", "region"},
	"Stack":        {"state", "status", "server_name", "swarm_name", "missing_files", "project_missing", "deployed_hash", "latest_hash", "services"},
	"Deployment":   {"state", "status", "image", "server_name", "swarm_name", "update_available", "custom_name"},
	"Build":        {"state", "version", "last_built_at", "built_hash", "latest_hash"},
	"Repo":         {"state", "server_name", "repo", "branch", "cloned_hash", "latest_hash", "last_pulled_at"},
	"Procedure":    {"state", "stages", "last_run_at", "next_scheduled_run", "schedule_error"},
	"Action":       {"state", "last_run_at", "next_scheduled_run", "schedule_error"},
	"ResourceSync": {"state", "last_sync_ts", "last_sync_hash"},
	"Builder":      {"builder_type", "instance_type"},
	"Alerter":      {"enabled", "endpoint_type"},
	"Swarm":        {"state", "err"},
}

// glanceTop are the top-level fields list items keep (the type is the tool's, the id
// is not needed: every tool takes the name). Info fields never share these names.
var glanceTop = []string{"name", "tags", "template"}

// glance returns the at-a-glance form of a resource list item (before compaction), or
// the item itself when it is no resource list item of a known kind.
func glance(item map[string]any) map[string]any {
	kind, _ := item["type"].(string)
	keep, ok := glanceInfo[kind]
	info, hasInfo := item["info"].(map[string]any)
	if !ok || !hasInfo {
		return item
	}
	out := make(map[string]any, len(glanceTop)+len(keep))
	for _, k := range glanceTop {
		if v, ok := item[k]; ok {
			out[k] = v
		}
	}
	in := make(map[string]any, len(keep))
	for _, k := range keep {
		if v, ok := info[k]; ok {
			in[k] = v
		}
	}
	// The error's message is the news; its trace is in `fields: ["info.err"]`.
	if e, ok := in["err"].(map[string]any); ok {
		if msg, ok := e["error"].(string); ok && msg != "" {
			in["err"] = map[string]any{"error": msg}
		}
	}
	// A latest hash equal to the deployed, built or cloned one says nothing is newer.
	for _, was := range []string{"deployed_hash", "built_hash", "cloned_hash"} {
		if v, ok := in[was]; ok && reflect.DeepEqual(v, in["latest_hash"]) {
			delete(in, "latest_hash")
		}
	}
	// Docker's status of what runs repeats the state ("Up 3 days", "running(3)"); of what
	// does not, it has the exit code ("Exited (137) 2 hours ago"), which is news.
	if in["state"] == "running" {
		delete(in, "status")
	}
	// The container is named like the deployment, as a rule: only a different name is news.
	if in["custom_name"] == item["name"] {
		delete(in, "custom_name")
	}
	// A stack's services are listed when one has a newer image; GetStack lists them all.
	if services, ok := in["services"].([]any); ok {
		var newer []any
		for _, s := range services {
			if m, _ := s.(map[string]any); m["update_available"] == true {
				newer = append(newer, m)
			}
		}
		if newer == nil {
			delete(in, "services")
		} else {
			in["services"] = newer
		}
	}
	// A build's version {major, minor, patch} reads as "1.14.2".
	if v, ok := in["version"].(map[string]any); ok && kind == "Build" {
		if s, ok := semver(v); ok {
			in["version"] = s
		}
	}
	for k, v := range in {
		out[k] = v
	}
	return out
}

// semver renders Komodo's Version {major, minor, patch}; 0.0.0 (never built) is dropped.
func semver(v map[string]any) (string, bool) {
	var n [3]int64
	for i, k := range []string{"major", "minor", "patch"} {
		switch x := v[k].(type) {
		case json.Number:
			n[i], _ = x.Int64()
		case float64:
			n[i] = int64(x)
		default:
			return "", false
		}
	}
	if n == [3]int64{} {
		return "", true
	}
	return fmt.Sprintf("%d.%d.%d", n[0], n[1], n[2]), true
}
