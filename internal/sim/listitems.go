package sim

import (
	"fmt"
	"strings"
)

// The list item of each resource type: {id, type, name, template, tags, info} with the
// info Komodo computes from config and runtime state.

func (w *world) listItem(r *resource) map[string]any {
	return map[string]any{
		"id":       r.ID,
		"type":     r.Kind,
		"name":     r.Name,
		"template": r.Template,
		"tags":     nonNil(r.Tags),
		"info":     w.listInfo(r),
	}
}

func (w *world) serverName(id string) any {
	if s := w.find("Server", id); s != nil {
		return s.Name
	}
	return nil
}

func (w *world) listInfo(r *resource) map[string]any {
	c := r.Config
	switch r.Kind {
	case "Server":
		info := map[string]any{
			"state":                        r.State,
			"region":                       str(c, "region"),
			"address":                      nullIfEmpty(str(c, "address")),
			"external_address":             nullIfEmpty(str(c, "external_address")),
			"version":                      nil,
			"send_unreachable_alerts":      c["send_unreachable_alerts"],
			"send_cpu_alerts":              c["send_cpu_alerts"],
			"send_mem_alerts":              c["send_mem_alerts"],
			"send_disk_alerts":             c["send_disk_alerts"],
			"send_version_mismatch_alerts": c["send_version_mismatch_alerts"],
			"terminals_disabled":           r.TerminalsDisabled,
			"container_terminals_disabled": r.TerminalsDisabled || r.ContainerTerminalsDisabled,
			"alerting_thresholds": map[string]any{
				"cpu_warning": c["cpu_warning"], "cpu_critical": c["cpu_critical"],
				"mem_warning": c["mem_warning"], "mem_critical": c["mem_critical"],
				"disk_warning": c["disk_warning"], "disk_critical": c["disk_critical"],
			},
			"stats":                nil,
			"public_key":           nullIfEmpty(str(r.Info, "public_key")),
			"attempted_public_key": nil,
			"public_ip":            nil,
			"core_count":           nil,
			"logical_core_count":   nil,
			"err":                  nil,
		}
		// Without Periphery's information (unreachable, disabled) Komodo reports no version,
		// key or ip and terminals as disabled (bin/core/src/resource/server.rs to_list_item).
		switch r.State {
		case "Ok":
			info["version"] = "v" + w.version
			info["stats"] = r.Stats
			info["public_ip"] = nullIfEmpty(r.PublicIP)
			if r.Cores > 0 {
				info["core_count"], info["logical_core_count"] = r.Cores, 2*r.Cores
			}
		default:
			info["public_key"] = nil
			info["terminals_disabled"], info["container_terminals_disabled"] = true, true
		}
		switch r.State {
		case "NotOk":
			info["err"] = map[string]any{"error": r.Err, "trace": []string{}}
		}
		return info
	case "Deployment":
		image, buildID := deploymentImage(w, r)
		var status any
		if r.Status != "" {
			status = r.Status
		}
		return map[string]any{
			"state":            r.State,
			"status":           status,
			"image":            image,
			"update_available": false,
			"server_id":        str(c, "server_id"),
			"server_name":      w.serverName(str(c, "server_id")),
			"swarm_id":         "",
			"swarm_name":       nil,
			"build_id":         buildID,
			"custom_name":      r.Name,
		}
	case "Stack":
		services := make([]any, 0, len(r.Services))
		for _, sv := range r.Services {
			services = append(services, map[string]any{"service": sv.Service, "image": sv.Image, "update_available": false, "latest_image": nil})
		}
		var status any
		if r.Status != "" {
			status = r.Status
		}
		return map[string]any{
			"state":                    r.State,
			"status":                   status,
			"services":                 services,
			"server_id":                str(c, "server_id"),
			"server_name":              w.serverName(str(c, "server_id")),
			"swarm_id":                 "",
			"swarm_name":               nil,
			"files_on_host":            c["files_on_host"] == true,
			"file_contents":            str(c, "file_contents") != "",
			"linked_repo":              str(c, "linked_repo"),
			"linked_repo_name":         nil,
			"git_provider":             str(c, "git_provider"),
			"repo":                     str(c, "repo"),
			"branch":                   str(c, "branch"),
			"repo_link":                repoLink(c),
			"auto_update_all_services": c["auto_update_all_services"] == true,
			"project_missing":          r.State == "down",
			"missing_files":            []string{},
			"deployed_hash":            r.Info["deployed_hash"],
			"latest_hash":              r.Info["latest_hash"],
		}
	case "Build":
		return map[string]any{
			"state":                 r.State,
			"version":               c["version"],
			"builder_id":            str(c, "builder_id"),
			"last_built_at":         r.Info["last_built_at"],
			"files_on_host":         c["files_on_host"] == true,
			"dockerfile_contents":   str(c, "dockerfile") != "",
			"linked_repo":           str(c, "linked_repo"),
			"linked_repo_name":      nil,
			"git_provider":          str(c, "git_provider"),
			"repo":                  str(c, "repo"),
			"branch":                str(c, "branch"),
			"repo_link":             repoLink(c),
			"built_hash":            r.Info["built_hash"],
			"latest_hash":           r.Info["latest_hash"],
			"image_registry_domain": nil,
		}
	case "Repo":
		return map[string]any{
			"state":          r.State,
			"server_id":      str(c, "server_id"),
			"server_name":    w.serverName(str(c, "server_id")),
			"builder_id":     str(c, "builder_id"),
			"last_pulled_at": zeroIfNil(r.Info["last_pulled_at"]),
			"last_built_at":  zeroIfNil(r.Info["last_built_at"]),
			"git_provider":   str(c, "git_provider"),
			"repo":           str(c, "repo"),
			"branch":         str(c, "branch"),
			"repo_link":      repoLink(c),
			"cloned_hash":    r.Info["latest_hash"],
			"cloned_message": r.Info["latest_message"],
			"latest_hash":    r.Info["latest_hash"],
			"built_hash":     r.Info["built_hash"],
		}
	case "Procedure":
		stages, _ := c["stages"].([]any)
		return map[string]any{"state": r.State, "stages": len(stages), "last_run_at": nullIfZero(r.LastRunAt),
			"next_scheduled_run": nil, "schedule_error": nil}
	case "Action":
		return map[string]any{"state": r.State, "last_run_at": nullIfZero(r.LastRunAt), "next_scheduled_run": nil, "schedule_error": nil}
	case "Alerter":
		endpoint, _ := c["endpoint"].(map[string]any)
		typ := str(endpoint, "type")
		if typ == "" {
			typ = "Custom"
		}
		return map[string]any{"enabled": c["enabled"] == true, "endpoint_type": typ}
	case "Builder":
		// instance_type: the AWS instance type, a Server builder's servers, none for Url
		// (bin/core/src/resource/builder.rs to_list_item).
		info := map[string]any{"builder_type": str(c, "type"), "instance_type": nil}
		params, _ := c["params"].(map[string]any)
		switch str(c, "type") {
		case "Aws":
			info["instance_type"] = params["instance_type"]
		case "Server":
			ids, _ := params["server_ids"].([]any)
			info["instance_type"] = strings.Join(strs(ids), ", ")
		}
		return info
	case "ResourceSync":
		paths, _ := c["resource_path"].([]any)
		if paths == nil {
			paths = []any{}
		}
		return map[string]any{
			"state": r.State, "last_sync_ts": zeroIfNil(r.Info["last_sync_ts"]), "last_sync_hash": r.Info["last_sync_hash"],
			"last_sync_message": r.Info["last_sync_message"], "files_on_host": c["files_on_host"] == true,
			"file_contents": str(c, "file_contents") != "", "managed": c["managed"] == true, "resource_path": paths,
			"linked_repo": str(c, "linked_repo"), "linked_repo_name": nil, "git_provider": str(c, "git_provider"),
			"repo": str(c, "repo"), "branch": str(c, "branch"), "repo_link": repoLink(c),
		}
	case "Swarm":
		ids, _ := c["server_ids"].([]any)
		if ids == nil {
			ids = []any{}
		}
		state := r.State
		if state == "" {
			state = "Unknown"
		}
		return map[string]any{"state": state, "server_ids": ids, "err": nil}
	}
	return map[string]any{}
}

func zeroIfNil(v any) any {
	if v == nil {
		return 0
	}
	return v
}

func repoLink(c map[string]any) string {
	repo := str(c, "repo")
	if repo == "" {
		return ""
	}
	return fmt.Sprintf("https://%s/%s/tree/%s", str(c, "git_provider"), repo, str(c, "branch"))
}

// deploymentImage is the image a deployment runs and the build it comes from.
func deploymentImage(w *world, r *resource) (string, any) {
	img, _ := r.Config["image"].(map[string]any)
	params, _ := img["params"].(map[string]any)
	if str(img, "type") == "Build" {
		id := str(params, "build_id")
		if b := w.find("Build", id); b != nil {
			v, _ := b.Config["version"].(map[string]any)
			image := str(b.Config, "image_name")
			if image == "" {
				image = b.Name
			}
			return fmt.Sprintf("%s:%s", image, versionString(v)), id
		}
		return "", id
	}
	return str(params, "image"), nil
}

func versionString(v map[string]any) string {
	return fmt.Sprintf("%v.%v.%v", num(v["major"]), num(v["minor"]), num(v["patch"]))
}

func num(v any) int {
	switch x := v.(type) {
	case float64:
		return int(x)
	case int:
		return x
	case int64:
		return int(x)
	}
	return 0
}

// stackInfo fills the deployed/latest services of a stack's info from its services.
func (w *world) stackInfo(r *resource) map[string]any {
	info := mergeInto(map[string]any{}, r.Info)
	names := make([]any, 0, len(r.Services))
	for _, sv := range r.Services {
		names = append(names, map[string]any{"service_name": sv.Service, "container_name": r.Name + "-" + sv.Service + "-1", "image": sv.Image, "image_digest": nil})
	}
	info["latest_services"] = names
	if r.State != "down" {
		info["deployed_services"] = names
		info["deployed_project_name"] = r.Name
	}
	return info
}
