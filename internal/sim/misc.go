package sim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"time"
)

// Tags, variables, users, alerts, updates, summaries and the reads of runtime state
// (server state, action states, logs, stack services).

// tagHandlers registers the handlers of tags.
func tagHandlers(handle func(string, handlerFunc)) {
	// Tags.
	handle("ListTags", func(s *Server, c *call) (any, *apiError) {
		q, _ := c.body["query"].(map[string]any)
		out := []any{}
		for _, t := range s.w.tags {
			if name, ok := q["name"].(string); ok && name != t.Name {
				continue
			}
			out = append(out, tagJSON(t))
		}
		return out, nil
	})
	handle("GetTag", func(s *Server, c *call) (any, *apiError) {
		t := s.w.findTag(str(c.body, "tag"))
		if t == nil {
			return nil, notFound("Tag", str(c.body, "tag"))
		}
		return tagJSON(t), nil
	})
	handle("CreateTag", func(s *Server, c *call) (any, *apiError) {
		name := str(c.body, "name")
		if name == "" {
			return nil, errf("Tag name cannot be empty")
		}
		if s.w.findTag(name) != nil {
			return nil, errf("Tag %s already exists", name)
		}
		color := str(c.body, "color")
		if color == "" {
			color = "Slate"
		}
		t := &tag{ID: s.w.newID(), Name: name, Color: color}
		if c.user != nil {
			t.Owner = c.user.ID
		}
		s.w.tags = append(s.w.tags, t)
		return tagJSON(t), nil
	})
	handle("RenameTag", func(s *Server, c *call) (any, *apiError) {
		t := s.w.findTag(str(c.body, "id"))
		if t == nil {
			return nil, notFound("Tag", str(c.body, "id"))
		}
		if other := s.w.findTag(str(c.body, "name")); other != nil && other != t {
			return nil, errf("Tag %s already exists", str(c.body, "name"))
		}
		t.Name = str(c.body, "name")
		return tagJSON(t), nil
	})
	handle("UpdateTagColor", func(s *Server, c *call) (any, *apiError) {
		t := s.w.findTag(str(c.body, "tag"))
		if t == nil {
			return nil, notFound("Tag", str(c.body, "tag"))
		}
		t.Color = str(c.body, "color")
		return tagJSON(t), nil
	})
	handle("DeleteTag", func(s *Server, c *call) (any, *apiError) {
		t := s.w.findTag(str(c.body, "id"))
		if t == nil {
			return nil, notFound("Tag", str(c.body, "id"))
		}
		for i, x := range s.w.tags {
			if x == t {
				s.w.tags = append(s.w.tags[:i:i], s.w.tags[i+1:]...)
				break
			}
		}
		for _, list := range s.w.resources {
			for _, r := range list {
				r.Tags = remove(r.Tags, t.ID)
			}
		}
		return tagJSON(t), nil
	})
}

// variableHandlers registers the handlers of variables.
func variableHandlers(handle func(string, handlerFunc)) {
	// Variables. Non-admins see secret values masked ("#" per character), the way
	// Komodo hides them from users who are not admins.
	handle("ListVariables", func(s *Server, c *call) (any, *apiError) {
		out := []any{}
		for _, v := range s.w.variables {
			out = append(out, variableJSON(v, c.user))
		}
		return out, nil
	})
	handle("GetVariable", func(s *Server, c *call) (any, *apiError) {
		v, err := s.w.mustVariable(str(c.body, "name"))
		if err != nil {
			return nil, err
		}
		return variableJSON(v, c.user), nil
	})
	handle("CreateVariable", func(s *Server, c *call) (any, *apiError) {
		name := str(c.body, "name")
		if name == "" || s.w.findVariable(name) != nil {
			return nil, errf("Variable %s already exists or the name is empty", name)
		}
		secret, _ := c.body["is_secret"].(bool)
		v := &variable{Name: name, Value: str(c.body, "value"), Description: str(c.body, "description"), IsSecret: secret}
		s.w.variables = append(s.w.variables, v)
		return variableJSON(v, c.user), nil
	})
	handle("UpdateVariableValue", variableSetter(func(v *variable, b map[string]any) { v.Value = str(b, "value") }))
	handle("UpdateVariableDescription", variableSetter(func(v *variable, b map[string]any) { v.Description = str(b, "description") }))
	handle("UpdateVariableIsSecret", variableSetter(func(v *variable, b map[string]any) { v.IsSecret, _ = b["is_secret"].(bool) }))
	handle("DeleteVariable", func(s *Server, c *call) (any, *apiError) {
		v, err := s.w.mustVariable(str(c.body, "name"))
		if err != nil {
			return nil, err
		}
		for i, x := range s.w.variables {
			if x == v {
				s.w.variables = append(s.w.variables[:i:i], s.w.variables[i+1:]...)
				break
			}
		}
		return variableJSON(v, c.user), nil
	})
}

// userHandlers registers the handlers of users.
func userHandlers(handle func(string, handlerFunc)) {
	// Users.
	handle("ListUsers", func(s *Server, c *call) (any, *apiError) {
		if !c.user.Admin {
			return nil, errf("This call is admin-only")
		}
		out := []any{}
		for _, u := range s.w.users {
			out = append(out, s.w.userJSON(u))
		}
		return out, nil
	})
	handle("FindUser", func(s *Server, c *call) (any, *apiError) {
		u := s.w.findUser(str(c.body, "user"))
		if u == nil {
			return nil, notFound("User", str(c.body, "user"))
		}
		return s.w.userJSON(u), nil
	})
	handle("GetUsername", func(s *Server, c *call) (any, *apiError) {
		u := s.w.findUser(str(c.body, "user_id"))
		if u == nil {
			return nil, notFound("User", str(c.body, "user_id"))
		}
		return map[string]any{"username": u.Username, "avatar": nil}, nil
	})
}

// alertHandlers registers the handlers of alerts.
func alertHandlers(handle func(string, handlerFunc)) {
	// Alerts: newest first, 100 a page, filtered by the query as Mongo would filter the
	// alerts collection (bin/core/src/api/read/alert.rs:33-47).
	handle("ListAlerts", func(s *Server, c *call) (any, *apiError) {
		q, _ := c.body["query"].(map[string]any)
		var list []map[string]any
		for i := len(s.w.alerts) - 1; i >= 0; i-- {
			a := alertJSON(s.w.alerts[i])
			ok, err := mongoMatch(asJSON(a), q)
			if err != nil {
				return nil, dbError("failed to get alerts from db", err)
			}
			if ok {
				list = append(list, a)
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i]["ts"].(int64) > list[j]["ts"].(int64) })
		page, next := pageOf(list, c.body, 100)
		return map[string]any{"alerts": page, "next_page": next}, nil
	})
	handle("GetAlert", func(s *Server, c *call) (any, *apiError) {
		for _, a := range s.w.alerts {
			if a.ID == str(c.body, "id") {
				return alertJSON(a), nil
			}
		}
		return nil, errf("no alert found with given id") // bin/core/src/api/read/alert.rs:69
	})
	handle("CloseAlert", func(s *Server, c *call) (any, *apiError) {
		for _, a := range s.w.alerts {
			if a.ID == str(c.body, "id") {
				a.Resolved, a.ResolvedTS = true, time.Now().UnixMilli()
				return map[string]any{}, nil
			}
		}
		return nil, notFound("Alert", str(c.body, "id"))
	})
}

// updateHandlers registers the handlers of updates.
func updateHandlers(handle func(string, handlerFunc)) {
	// Updates: newest first, 100 a page, filtered by the query as Mongo would filter the
	// updates collection: the query is matched against the stored Update, not the list
	// item (bin/core/src/api/read/update.rs:36-57).
	handle("GetUpdate", func(s *Server, c *call) (any, *apiError) {
		id := str(c.body, "id")
		u := s.w.findUpdate(id)
		if u == nil {
			return nil, updateNotFound(id)
		}
		return u.full(), nil
	})
	handle("ListUpdates", func(s *Server, c *call) (any, *apiError) {
		q, _ := c.body["query"].(map[string]any)
		var list []map[string]any
		for i := len(s.w.updates) - 1; i >= 0; i-- {
			u := s.w.updates[i]
			ok, err := mongoMatch(asJSON(u.full()), q)
			if err != nil {
				return nil, dbError("failed to pull updates from db", err)
			}
			if ok {
				list = append(list, u.listItem())
			}
		}
		sort.SliceStable(list, func(i, j int) bool { return list[i]["start_ts"].(int64) > list[j]["start_ts"].(int64) })
		page, next := pageOf(list, c.body, 100)
		return map[string]any{"updates": page, "next_page": next}, nil
	})
}

// runtimeHandlers registers the handlers of runtime state.
func runtimeHandlers(handle func(string, handlerFunc)) {
	// Runtime state.
	handle("GetServerState", func(s *Server, c *call) (any, *apiError) {
		r, err := s.w.mustFind("Server", str(c.body, "server"))
		if err != nil {
			return nil, err
		}
		return map[string]any{"status": r.State}, nil
	})
	handle("GetCoreInfo", func(s *Server, c *call) (any, *apiError) {
		return map[string]any{
			"title": "Komodo (simulated)", "monitoring_interval": "15-sec", "webhook_base_url": "https://komodo.acme.example",
			"transparent_mode": false, "ui_write_disabled": false, "disable_confirm_dialog": false, "disable_non_admin_create": false,
			"disable_websocket_reconnect": false, "enable_fancy_toml": false, "timezone": "Europe/Berlin", "default_pagination_limit": DefaultPaginationLimit,
			"public_key": "MCowBQYDK2VuAyEAsimulatedcorepublickey0000000000000000000=",
		}, nil
	})
	handle("ListStackServices", func(s *Server, c *call) (any, *apiError) {
		r, err := s.w.mustFind("Stack", str(c.body, "stack"))
		if err != nil {
			return nil, err
		}
		return s.w.stackServices(r), nil
	})
	handle("GetDeploymentLog", func(s *Server, c *call) (any, *apiError) {
		r, err := s.w.mustFind("Deployment", str(c.body, "deployment"))
		if err != nil {
			return nil, err
		}
		return containerLog(r.Name, r.State, c.body), nil
	})
	handle("GetStackLog", func(s *Server, c *call) (any, *apiError) {
		r, err := s.w.mustFind("Stack", str(c.body, "stack"))
		if err != nil {
			return nil, err
		}
		return containerLog(r.Name, r.State, c.body), nil
	})
	handle("ListBuildVersions", func(s *Server, c *call) (any, *apiError) {
		r, err := s.w.mustFind("Build", str(c.body, "build"))
		if err != nil {
			return nil, err
		}
		out := []any{}
		for i := len(s.w.updates) - 1; i >= 0; i-- {
			u := s.w.updates[i]
			if u.Operation == "RunBuild" && u.Target.ID == r.ID && u.Success && u.Version != nil {
				out = append(out, map[string]any{"version": u.Version, "ts": u.StartTS})
			}
		}
		return out, nil
	})
	for _, k := range kinds {
		k := k
		handle("Get"+k.Kind+"ActionState", func(s *Server, c *call) (any, *apiError) {
			r, err := s.w.mustFind(k.Kind, str(c.body, k.Field))
			if err != nil {
				return nil, err
			}
			state, _ := minimal(s.sp.byID[c.op.ID].Resp).(map[string]any)
			if flag := busyFlag(r.busy); flag != "" {
				if _, ok := state[flag]; ok {
					state[flag] = true
				}
			}
			return state, nil
		})
	}
	handle("GetServersSummary", summary("Server", func(r *resource) string {
		return map[string]string{"Ok": "healthy", "NotOk": "unhealthy", "Disabled": "disabled"}[r.State]
	}, "warning"))
	handle("GetDeploymentsSummary", summary("Deployment", func(r *resource) string {
		switch r.State {
		case "running":
			return "running"
		case "not_deployed":
			return "not_deployed"
		case "exited", "paused", "created":
			return "stopped"
		case "unknown":
			return "unknown"
		}
		return "unhealthy"
	}))
	handle("GetStacksSummary", summary("Stack", func(r *resource) string {
		switch r.State {
		case "running", "stopped", "down", "unknown":
			return r.State
		case "paused", "created":
			return "stopped"
		}
		return "unhealthy"
	}))
	handle("GetBuildsSummary", summary("Build", lowerState))
	handle("GetReposSummary", summary("Repo", lowerState))
	handle("GetProceduresSummary", summary("Procedure", lowerState))
	handle("GetActionsSummary", summary("Action", lowerState))
}

func lowerState(r *resource) string { return strings.ToLower(r.State) }

// summary counts resources into the fields of a Get*Summary response.
func summary(kind string, bucket func(*resource) string, zero ...string) handlerFunc {
	return func(s *Server, c *call) (any, *apiError) {
		out, _ := minimal(c.op.Resp).(map[string]any)
		for _, z := range zero {
			out[z] = 0
		}
		total := 0
		for _, r := range s.w.list(kind) {
			total++
			if b := bucket(r); b != "" {
				if n, ok := out[b].(int); ok {
					out[b] = n + 1
				} else if _, ok := out["unknown"]; ok {
					out["unknown"] = out["unknown"].(int) + 1
				}
			}
		}
		out["total"] = total
		return out, nil
	}
}

// busyFlag maps an operation in flight to its field in *ActionState.
func busyFlag(op string) string {
	switch op {
	case "":
		return ""
	case "Deploy", "DeployStack", "DeployStackIfChanged":
		return "deploying"
	case "RunBuild", "BuildRepo":
		return "building"
	case "CloneRepo":
		return "cloning"
	case "RunProcedure", "RunAction":
		return "running"
	case "RunSync":
		return "syncing"
	}
	for _, p := range []string{"Start", "Stop", "Restart", "Pause", "Unpause", "Destroy", "Pull"} {
		if strings.HasPrefix(op, p) {
			return strings.ToLower(p) + "ing"
		}
	}
	return ""
}

func (w *world) stackServices(r *resource) []any {
	containerState := map[string]string{"running": "running", "stopped": "exited", "paused": "paused", "restarting": "restarting"}[r.State]
	serviceState := map[string]string{"running": "Running", "stopped": "Exited", "paused": "Paused", "restarting": "Restarting", "down": "Down"}[r.State]
	if serviceState == "" {
		serviceState = "Unknown"
	}
	out := []any{}
	for _, sv := range r.Services {
		var container any
		if containerState != "" {
			container = map[string]any{
				"name": r.Name + "-" + sv.Service + "-1", "state": containerState, "image": sv.Image, "id": nil, "image_id": nil,
				"server_id": str(r.Config, "server_id"), "server_name": w.serverName(str(r.Config, "server_id")),
				"created": nil, "network_mode": nil, "networks": []any{}, "ports": []any{}, "volumes": []any{},
				"size_root_fs": nil, "size_rw": nil, "stats": nil, "status": nil,
			}
		}
		out = append(out, map[string]any{"service": sv.Service, "image": sv.Image, "stack_id": r.ID, "stack_name": r.Name,
			"state": serviceState, "container": container, "image_digests": nil, "swarm_service": nil})
	}
	return out
}

func containerLog(name, state string, body map[string]any) map[string]any {
	now := time.Now().UnixMilli()
	tail := 100
	if t, ok := body["tail"].(float64); ok && t > 0 {
		tail = int(t)
	}
	lines := []string{}
	for i := 0; i < min(tail, 5); i++ {
		lines = append(lines, fmt.Sprintf("2026-01-15T08:0%d:00Z %s: request handled in %dms", i, name, 3+i))
	}
	l := map[string]any{"stage": "get container log", "command": fmt.Sprintf("docker logs %s --tail %d", name, tail),
		"stdout": strings.Join(lines, "\n"), "stderr": "", "success": true, "start_ts": now, "end_ts": now}
	if state == "not_deployed" {
		l["stdout"], l["stderr"], l["success"] = "", "Error response from daemon: No such container: "+name, false
	}
	return l
}

func tagJSON(t *tag) map[string]any {
	return map[string]any{"_id": map[string]any{"$oid": t.ID}, "name": t.Name, "color": t.Color, "owner": t.Owner}
}

func variableJSON(v *variable, u *user) map[string]any {
	value := v.Value
	if v.IsSecret && (u == nil || !u.Admin) {
		value = strings.Repeat("#", len(v.Value))
	}
	m := map[string]any{"name": v.Name, "value": value, "is_secret": v.IsSecret}
	if v.Description != "" { // skip_serializing_if = "String::is_empty" (entities/variable.rs:20)
		m["description"] = v.Description
	}
	return m
}

func (w *world) mustVariable(name string) (*variable, *apiError) {
	if v := w.findVariable(name); v != nil {
		return v, nil
	}
	return nil, notFound("Variable", name)
}

func variableSetter(set func(*variable, map[string]any)) handlerFunc {
	return func(s *Server, c *call) (any, *apiError) {
		v, err := s.w.mustVariable(str(c.body, "name"))
		if err != nil {
			return nil, err
		}
		set(v, c.body)
		return variableJSON(v, c.user), nil
	}
}

func alertJSON(a *alert) map[string]any {
	return map[string]any{"_id": map[string]any{"$oid": a.ID}, "ts": a.TS, "resolved": a.Resolved, "resolved_ts": nullIfZero(a.ResolvedTS),
		"level": a.Level, "target": a.Target, "data": a.Data}
}

func remove(list []string, s string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

// pageOf cuts a page of size n from a newest-first list; next_page is null at the end.
func pageOf(list []map[string]any, body map[string]any, n int) ([]map[string]any, any) {
	page := 0
	if p, ok := body["page"].(float64); ok && p > 0 {
		page = int(p)
	}
	start := page * n
	if start >= len(list) {
		return []map[string]any{}, nil
	}
	end := min(start+n, len(list))
	if end-start == n { // a full page: Komodo offers the next one, even if it is empty
		return list[start:end], page + 1
	}
	return list[start:end], nil
}

// dbError is Komodo's answer when Mongo refuses a query: the context, then the cause.
func dbError(context string, err error) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Msg: context, Trace: []string{err.Error()}}
}

// updateNotFound is GetUpdate's answer for an id that names no update: mungos refuses an id
// that is not an ObjectId before asking Mongo, and a valid one that matches nothing is
// "no update exists with given id" (bin/core/src/api/read/update.rs:98-101).
func updateNotFound(id string) *apiError {
	if !isObjectID(id) {
		return &apiError{Status: http.StatusInternalServerError, Msg: "failed to query to db",
			Trace: []string{"id is not ObjectId", "Invalid ObjectId: invalid hex string"}}
	}
	return errf("no update exists with given id")
}

func isObjectID(s string) bool {
	if len(s) != 24 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// asJSON is v as encoding/json would decode it back: plain maps, slices, float64s.
func asJSON(v any) map[string]any {
	b, _ := json.Marshal(v)
	var out map[string]any
	_ = json.Unmarshal(b, &out)
	return out
}
