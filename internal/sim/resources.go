package sim

import (
	"path"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Get, List, ListFull, Create, Update, Rename, Copy and Delete for every resource type.

// resourceHandlers registers the handlers of Get, List, ListFull, Create, Update, Rename, Copy and Delete of every resource type.
func resourceHandlers(handle func(string, handlerFunc)) {
	for i := range kinds {
		k := kinds[i]
		handle("Get"+k.Kind, func(s *Server, c *call) (any, *apiError) {
			r, err := s.w.mustFind(k.Kind, str(c.body, k.Field))
			if err != nil {
				return nil, err
			}
			return s.w.fullJSON(r), nil
		})
		handle("List"+k.Plural, func(s *Server, c *call) (any, *apiError) {
			list, aerr := s.w.query(k.Kind, c.body)
			if aerr != nil {
				return nil, aerr
			}
			items := []any{}
			for _, r := range list {
				items = append(items, s.w.listItem(r))
			}
			return items, nil
		})
		handle("ListFull"+k.Plural, func(s *Server, c *call) (any, *apiError) {
			list, aerr := s.w.query(k.Kind, c.body)
			if aerr != nil {
				return nil, aerr
			}
			items := []any{}
			for _, r := range list {
				items = append(items, s.w.fullJSON(r))
			}
			return items, nil
		})
		handle("Create"+k.Kind, func(s *Server, c *call) (any, *apiError) {
			name := str(c.body, "name")
			if err := s.w.checkName(k.Kind, name); err != nil {
				return nil, err
			}
			cfg, _ := c.body["config"].(map[string]any)
			r := s.w.newResource(s.sp, k.Kind, name, cfg)
			s.recordWrite(c, "Create"+k.Kind, r)
			return s.w.fullJSON(r), nil
		})
		handle("Copy"+k.Kind, func(s *Server, c *call) (any, *apiError) {
			src, err := s.w.mustFind(k.Kind, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			name := str(c.body, "name")
			if err := s.w.checkName(k.Kind, name); err != nil {
				return nil, err
			}
			r := s.w.newResource(s.sp, k.Kind, name, deepCopy(src.Config).(map[string]any))
			r.Description, r.Tags = src.Description, append([]string(nil), src.Tags...)
			s.recordWrite(c, "Create"+k.Kind, r)
			return s.w.fullJSON(r), nil
		})
		handle("Update"+k.Kind, func(s *Server, c *call) (any, *apiError) {
			r, err := s.w.mustFind(k.Kind, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			prev := s.w.exportTOML(s.sp, []*resource{r}, false, c.user)
			if cfg, ok := c.body["config"].(map[string]any); ok {
				if t, ok := cfg["type"].(string); ok && t != str(r.Config, "type") {
					// A union config (Builder) switching variant starts from that variant's defaults.
					r.Config = fullOf(s.sp, k.Kind+"Config", cfg)
				}
				mergePartial(r.Config, cfg)
				r.Config = completeConfig(s.sp, k.Kind, r.Config)
				if k.Kind == "Server" {
					if enabled, ok := cfg["enabled"].(bool); ok {
						r.State = map[bool]string{true: "Ok", false: "Disabled"}[enabled]
					}
				}
			}
			r.UpdatedAt = time.Now().UnixMilli()
			u := s.recordWrite(c, "Update"+k.Kind, r)
			u.PrevTOML, u.CurrentTOML = prev, s.w.exportTOML(s.sp, []*resource{r}, false, c.user)
			return s.w.fullJSON(r), nil
		})
		handle("Rename"+k.Kind, func(s *Server, c *call) (any, *apiError) {
			r, err := s.w.mustFind(k.Kind, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			name := str(c.body, "name")
			if err := s.w.checkName(k.Kind, name); err != nil {
				return nil, err
			}
			old := r.Name
			r.Name = name
			r.UpdatedAt = time.Now().UnixMilli()
			u := s.recordWrite(c, "Rename"+k.Kind, r)
			u.Logs[0].Stdout = "Renamed " + k.Kind + " from " + old + " to " + name
			return u.full(), nil
		})
		handle("Delete"+k.Kind, func(s *Server, c *call) (any, *apiError) {
			r, err := s.w.mustFind(k.Kind, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			out := s.w.fullJSON(r)
			s.w.remove(r)
			s.recordWrite(c, "Delete"+k.Kind, r)
			return out, nil
		})
	}
	handle("UpdateResourceMeta", func(s *Server, c *call) (any, *apiError) {
		t, _ := c.body["target"].(map[string]any)
		kind, _ := t["type"].(string)
		id, _ := t["id"].(string)
		r, err := s.w.mustFind(kind, id)
		if err != nil {
			return nil, err
		}
		if d, ok := c.body["description"].(string); ok {
			r.Description = d
		}
		if tmpl, ok := c.body["template"].(bool); ok {
			r.Template = tmpl
		}
		if tags, ok := c.body["tags"].([]any); ok {
			r.Tags = s.w.tagIDs(strs(tags))
		}
		return map[string]any{}, nil
	})
}

func (w *world) checkName(kind, name string) *apiError {
	if strings.TrimSpace(name) == "" {
		return errf("Must provide non-empty name for %s", kind)
	}
	if w.find(kind, name) != nil {
		return errf("Must provide unique name for %s. %s already exists", kind, name)
	}
	return nil
}

func (w *world) newResource(sp *spec, kind, name string, cfg map[string]any) *resource {
	r := &resource{Kind: kind, ID: w.newID(), Name: name, Tags: []string{}, UpdatedAt: time.Now().UnixMilli()}
	r.Config = completeConfig(sp, kind, mergeInto(fullOf(sp, kind+"Config", cfg), stripNulls(cfg)))
	r.Info = fullOf(sp, kind+"Info", nil)
	switch kind {
	case "Server":
		r.State = "Ok"
		if enabled, _ := r.Config["enabled"].(bool); !enabled {
			r.State = "Disabled"
		}
	case "Deployment":
		r.State = "not_deployed"
	case "Stack":
		r.State = "down"
	case "ResourceSync", "Build", "Repo", "Procedure", "Action":
		r.State = "Ok"
	}
	w.resources[kind] = append(w.resources[kind], r)
	return r
}

// recordWrite adds the completed Update of a write operation to the history.
func (s *Server) recordWrite(c *call, operation string, r *resource) *update {
	now := time.Now().UnixMilli()
	u := &update{ID: s.w.newID(), Operation: operation, StartTS: now, EndTS: now, Success: true, Status: "Complete",
		Target: target{Type: r.Kind, ID: r.ID}}
	if c.user != nil {
		u.Operator, u.Username = c.user.ID, c.user.Username
	}
	u.Logs = []logEntry{{Stage: operation, Stdout: operation + " " + r.Name, Success: true, StartTS: now, EndTS: now}}
	s.w.updates = append(s.w.updates, u)
	s.emit(u)
	return u
}

// fullJSON is the full resource, as Get* and ListFull* answer it.
func (w *world) fullJSON(r *resource) map[string]any {
	var info any = r.Info
	switch r.Kind {
	case "Stack":
		info = w.stackInfo(r)
	case "Build":
		info = mergeInto(map[string]any{}, r.Info)
	case "Procedure", "Alerter", "Builder":
		// Resource<_, ()>: the unit info serializes as null (client/core/rs/src/entities/
		// procedure.rs:75, alerter.rs:26, builder.rs:26); Action's NoData is {}.
		info = nil
	}
	return map[string]any{
		"_id":             map[string]any{"$oid": r.ID},
		"name":            r.Name,
		"description":     r.Description,
		"template":        r.Template,
		"tags":            nonNil(r.Tags),
		"info":            info,
		"config":          r.Config,
		"base_permission": "None",
		"updated_at":      r.UpdatedAt,
	}
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// query filters, sorts and pages the resources of a List* / ListFull* request, as Komodo
// does: the query becomes a Mongo filter (resourceFilter), then specific.states and
// specific.update_available are applied to the list items (e.g. bin/core/src/api/read/stack.rs:66-67).
func (w *world) query(kind string, body map[string]any) ([]*resource, *apiError) {
	q, _ := body["query"].(map[string]any)
	filter, aerr := w.resourceFilter(kind, q)
	if aerr != nil {
		return nil, aerr
	}
	spec, _ := q["specific"].(map[string]any)
	var out []*resource
	for _, r := range w.list(kind) {
		ok, err := mongoMatch(asJSON(w.fullJSON(r)), filter)
		if err != nil {
			return nil, dbError("Failed to query "+kind+" from db", err)
		}
		if ok && w.itemFilter(r, spec) {
			out = append(out, r)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if desc, _ := body["sort_desc"].(bool); desc {
		for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
			out[i], out[j] = out[j], out[i]
		}
	}
	return paginate(out, body), nil
}

// matches reports whether r passes the ResourceQuery q (batch executions use it with tags).
func (w *world) matches(r *resource, q map[string]any) bool {
	filter, aerr := w.resourceFilter(r.Kind, q)
	if aerr != nil {
		return false
	}
	ok, err := mongoMatch(asJSON(w.fullJSON(r)), filter)
	spec, _ := q["specific"].(map[string]any)
	return err == nil && ok && w.itemFilter(r, spec)
}

// resourceFilter is the Mongo filter Komodo builds from a ResourceQuery: AddFilters of
// ResourceQuery (client/core/rs/src/entities/resource.rs:183-241) and of the kind's
// QuerySpecifics. Tags are first resolved to ids, an unknown tag being an error
// (bin/core/src/resource/mod.rs:1079-1097).
func (w *world) resourceFilter(kind string, q map[string]any) (map[string]any, *apiError) {
	f := map[string]any{}
	if q == nil {
		return f, nil
	}
	// names: ObjectIds become an _id $in, the others a name $in, and both must hold.
	var ids, names []any
	for _, n := range strList(q["names"]) {
		if isObjectID(n) {
			ids = append(ids, map[string]any{"$oid": n})
		} else {
			names = append(names, n)
		}
	}
	if len(ids) > 0 {
		f["_id"] = map[string]any{"$in": ids}
	}
	var and []any
	if len(names) > 0 {
		and = append(and, map[string]any{"name": map[string]any{"$in": names}})
	}
	for _, t := range strList(q["terms"]) {
		if t != "" {
			and = append(and, map[string]any{"name": map[string]any{"$regex": regexp.QuoteMeta(t), "$options": "i"}})
		}
	}
	if len(and) > 0 {
		f["$and"] = and
	}
	switch q["templates"] {
	case "Exclude":
		f["template"] = map[string]any{"$ne": true}
	case "Only":
		f["template"] = true
	}
	if tags := strList(q["tags"]); len(tags) > 0 {
		var tagIDs []any
		for _, t := range tags {
			tg := w.findTag(t)
			if tg == nil {
				return nil, errf("No tag found matching name or id: %s", t)
			}
			tagIDs = append(tagIDs, tg.ID)
		}
		if q["tag_behavior"] == "Any" {
			var ors []any
			for _, id := range tagIDs {
				ors = append(ors, map[string]any{"tags": id})
			}
			f["$or"] = ors
		} else {
			f["tags"] = map[string]any{"$all": tagIDs}
		}
	}
	spec, _ := q["specific"].(map[string]any)
	in := func(field, key string) {
		if list := strList(spec[key]); len(list) > 0 {
			vals := make([]any, len(list))
			for i, v := range list {
				vals[i] = v
			}
			f[field] = map[string]any{"$in": vals}
		}
	}
	switch kind {
	case "Stack":
		in("config.server_id", "server_ids")
		in("config.swarm_id", "swarm_ids")
		in("config.linked_repo", "linked_repos")
		in("config.repo", "repos")
	case "Deployment":
		in("config.server_id", "server_ids")
		in("config.swarm_id", "swarm_ids")
		if len(strList(spec["build_ids"])) > 0 {
			f["config.image.type"] = "Build"
			in("config.image.params.build_id", "build_ids")
		}
	case "Build":
		in("config.builder_id", "builder_ids")
		in("config.repo", "repos")
		in("config.linked_repo", "linked_repos")
		if since, _ := spec["built_since"].(float64); since > 0 {
			f["info.last_built_at"] = map[string]any{"$gte": since}
		}
	case "Repo":
		in("config.repo", "repos")
		in("config.server_id", "server_ids")
	case "ResourceSync":
		in("config.repo", "repos")
		in("config.linked_repo", "linked_repos")
	case "Swarm":
		in("config.server_ids", "servers")
	case "Alerter":
		if enabled, ok := spec["enabled"].(bool); ok {
			f["config.enabled"] = enabled
		}
		in("config.endpoint.type", "types")
	case "Procedure", "Action":
		if scheduled, ok := spec["scheduled"].(bool); ok {
			if scheduled {
				f["config.schedule"] = map[string]any{"$nin": []any{"", nil}}
			} else {
				f["config.schedule"] = map[string]any{"$in": []any{"", nil}}
			}
		}
	}
	return f, nil
}

// itemFilter applies what Komodo filters on the list items: specific.states (every kind
// with states) and specific.update_available (deployments, stacks).
func (w *world) itemFilter(r *resource, spec map[string]any) bool {
	if spec == nil {
		return true
	}
	info := w.listInfo(r)
	if states := strList(spec["states"]); len(states) > 0 {
		state, _ := info["state"].(string)
		if !contains(states, state) {
			return false
		}
	}
	if only, _ := spec["update_available"].(bool); only {
		switch r.Kind {
		case "Deployment":
			if ok, _ := info["update_available"].(bool); !ok {
				return false
			}
		case "Stack":
			found := false
			services, _ := asJSON(map[string]any{"s": info["services"]})["s"].([]any)
			for _, sv := range services {
				if m, _ := sv.(map[string]any); m["update_available"] == true {
					found = true
				}
			}
			if !found {
				return false
			}
		}
	}
	return true
}

// strList reads a list of strings; Komodo's string_list_deserializer also takes one string
// with comma or newline separated values (client/core/rs/src/entities/resource.rs:125-132).
func strList(v any) []string {
	switch x := v.(type) {
	case []any:
		return strs(x)
	case string:
		var out []string
		for _, p := range strings.FieldsFunc(x, func(c rune) bool { return c == ',' || c == '\n' }) {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return out
	}
	return nil
}

// DefaultPaginationLimit is Komodo's default_pagination_limit: the page size of a list
// request without a limit (client/core/rs/src/entities/config/core.rs:407-410; the "default:
// 30" in the request types' doc comments is stale).
const DefaultPaginationLimit = 50

// paginate applies 2.3's page (0-based) and limit (default DefaultPaginationLimit, 0 = all).
func paginate[T any](items []T, body map[string]any) []T {
	limit := DefaultPaginationLimit
	if v, ok := body["limit"].(float64); ok {
		limit = int(v)
	}
	page := 0
	if v, ok := body["page"].(float64); ok {
		page = int(v)
	}
	if limit <= 0 {
		return items
	}
	start := page * limit
	if start >= len(items) {
		return items[:0]
	}
	end := min(start+limit, len(items))
	return items[start:end]
}

// matchPattern is Komodo's batch pattern: comma or newline separated ids, names,
// wildcards (foo-*), or regexes wrapped in backslashes (\^foo-\d+$\).
func matchPattern(pattern string, r *resource) bool {
	for _, p := range strings.FieldsFunc(pattern, func(c rune) bool { return c == ',' || c == '\n' }) {
		p = strings.TrimSpace(p)
		switch {
		case p == "" || strings.HasPrefix(p, "#"):
		case len(p) > 2 && strings.HasPrefix(p, "\\") && strings.HasSuffix(p, "\\"):
			if re, err := regexp.Compile(p[1 : len(p)-1]); err == nil && re.MatchString(r.Name) {
				return true
			}
		case p == r.ID || p == r.Name:
			return true
		default:
			if ok, _ := path.Match(p, r.Name); ok {
				return true
			}
		}
	}
	return false
}

func str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

func strs(a []any) []string {
	out := make([]string, 0, len(a))
	for _, v := range a {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mergePartial applies a partial config: null means "leave as is", objects merge.
func mergePartial(dst, src map[string]any) {
	for k, v := range src {
		switch x := v.(type) {
		case nil:
		case map[string]any:
			if d, ok := dst[k].(map[string]any); ok && str(d, "type") == str(x, "type") {
				mergePartial(d, x)
			} else {
				dst[k] = stripNulls(x)
			}
		default:
			dst[k] = v
		}
	}
}

// stripNulls drops the null fields of a partial config, nested objects included (a union's
// params): a None in Komodo's Partial* config means "keep the default", not null.
func stripNulls(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		switch x := v.(type) {
		case nil:
		case map[string]any:
			out[k] = stripNulls(x)
		default:
			out[k] = v
		}
	}
	return out
}

func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		a := make([]any, len(x))
		for i, e := range x {
			a[i] = deepCopy(e)
		}
		return a
	}
	return v
}
