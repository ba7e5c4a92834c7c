package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// The usage guide's parameters (api/mcp.yaml `parameters`): each tool's translation into
// Komodo's request, a filter applied after fetching, a client-side behaviour (waiting),
// or a VALIDATION_ERROR that names the option and says why it cannot be honoured.

// translation handles the guide's parameters of one tool. It returns a result only to
// refuse the call.
type translation func(ctx context.Context, s *Server, r *request) *mcp.CallToolResult

// seedParam is the translation of one tool's curated parameters, and the parameters it
// reads (so that a test can prove no curated parameter is silently ignored).
type seedParam struct {
	translate translation
	params    []string
}

// seedParams are keyed by tool name.
var seedParams = map[string]seedParam{
	"komodo_read_ListServers":      {listServers, []string{"status"}},
	"komodo_read_ListDeployments":  {listDeployments, []string{"server_id", "status"}},
	"komodo_read_ListStacks":       {listStacks, []string{"status"}},
	"komodo_read_ListBuilds":       {listBuilds, []string{"repo_id", "status"}},
	"komodo_read_ListRepos":        {listRepos, []string{"provider"}},
	"komodo_read_ListProcedures":   {listProcedures, []string{"trigger"}},
	"komodo_read_ListActions":      {listActions, []string{"type", "enabled"}},
	"komodo_read_ListAlerts":       {listAlerts, []string{"severity", "resolved", "resource_type"}},
	"komodo_execute_Deploy":        {deployOptions, []string{"options"}},
	"komodo_execute_Build":         {buildOptions, []string{"options"}},
	"komodo_execute_StartServer":   {serverOptions, []string{"options"}},
	"komodo_execute_StopServer":    {serverOptions, []string{"options"}},
	"komodo_execute_RestartServer": {serverOptions, []string{"options"}},
	"komodo_execute_RunProcedure":  {procedureOptions, []string{"variables", "options"}},
	"komodo_execute_TriggerAction": {actionOptions, []string{"payload", "options"}},
	"komodo_execute_PullRepo":      {repoOptions, []string{"options"}},
	"komodo_execute_CloneRepo":     {repoOptions, []string{"options"}},
}

// refuse is the VALIDATION_ERROR for a guide option Komodo cannot honour.
func refuse(option, why string) *mcp.CallToolResult {
	return validationFailure(fmt.Sprintf("option `%s` cannot be honoured: %s", option, why), "omit the option, or use the alternative named")
}

// stateFilter maps a guide status value onto Komodo states: sent to Komodo in
// query.specific.states and checked again on the items (info.state).
func stateFilter(r *request, param string, states map[string][]string) *mcp.CallToolResult {
	v, ok := r.params[param].(string)
	if !ok {
		return nil
	}
	want, ok := states[v]
	if !ok || len(want) == 0 {
		return refuse(param+"="+v, "Komodo has no such state")
	}
	setSpecific(r, "states", want)
	r.keep = append(r.keep, func(item map[string]any) bool {
		state, _ := info(item)["state"].(string)
		return slices.Contains(want, state)
	})
	return nil
}

// setSpecific sets query.specific[key] in Komodo's resource query.
func setSpecific(r *request, key string, values []string) {
	q, _ := r.args["query"].(map[string]any)
	if q == nil {
		q = map[string]any{}
		r.args["query"] = q
	}
	spec, _ := q["specific"].(map[string]any)
	if spec == nil {
		spec = map[string]any{}
		q["specific"] = spec
	}
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = v
	}
	spec[key] = list
	r.rewritten = true
}

func info(item map[string]any) map[string]any {
	m, _ := item["info"].(map[string]any)
	return m
}

func listServers(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	return stateFilter(r, "status", map[string][]string{
		"running": {"Ok"}, "error": {"NotOk"}, "stopped": {"Disabled"},
		// "pending": Komodo servers are Ok, NotOk or Disabled, never pending.
	})
}

func listDeployments(ctx context.Context, s *Server, r *request) *mcp.CallToolResult {
	if res := stateFilter(r, "status", map[string][]string{
		"running":   {"running"},
		"stopped":   {"exited", "created", "paused", "not_deployed"},
		"deploying": {"deploying", "restarting", "removing", "stopping"},
		// unhealthy: the container runs but fails its health check - it needs attention
		// like a dead one, so it is not "running" (DeploymentState::Unhealthy,
		// client/core/rs/src/entities/deployment.rs:527).
		"failed": {"dead", "unknown", "unhealthy"},
	}); res != nil {
		return res
	}
	if ref, ok := r.params["server_id"].(string); ok {
		id, res := s.resolveID(ctx, "Server", ref)
		if res != nil {
			return res
		}
		setSpecific(r, "server_ids", []string{id})
		r.keep = append(r.keep, func(item map[string]any) bool { return info(item)["server_id"] == id })
	}
	return nil
}

func listStacks(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	return stateFilter(r, "status", map[string][]string{
		"active":    {"running", "unhealthy", "restarting", "paused"},
		"inactive":  {"stopped", "down", "created", "dead"},
		"deploying": {"deploying", "removing"},
	})
}

func listBuilds(ctx context.Context, s *Server, r *request) *mcp.CallToolResult {
	if res := stateFilter(r, "status", map[string][]string{
		"building": {"Building"}, "success": {"Ok"}, "failed": {"Failed"}, "pending": {"Unknown"},
	}); res != nil {
		return res
	}
	ref, ok := r.params["repo_id"].(string)
	if !ok {
		return nil
	}
	repo, res := s.getResource(ctx, "Repo", ref)
	if res != nil {
		return res
	}
	id := oid(repo)
	path, _ := nested(repo, "config", "repo").(string)
	// A build uses a Komodo Repo either by link or by naming the same git repository.
	r.keep = append(r.keep, func(item map[string]any) bool {
		i := info(item)
		return i["linked_repo"] == id || (path != "" && i["repo"] == path)
	})
	return nil
}

var providerDomains = map[string]string{"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}

func listRepos(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	p, ok := r.params["provider"].(string)
	if !ok {
		return nil
	}
	r.keep = append(r.keep, func(item map[string]any) bool {
		domain, _ := info(item)["git_provider"].(string)
		domain = strings.TrimPrefix(strings.ToLower(domain), "www.")
		if p == "other" {
			for _, d := range providerDomains {
				if domain == d {
					return false
				}
			}
			return true
		}
		return domain == providerDomains[p]
	})
	return nil
}

func listProcedures(ctx context.Context, s *Server, r *request) *mcp.CallToolResult {
	trigger, ok := r.params["trigger"].(string)
	if !ok {
		return nil
	}
	// List items do not say how a procedure is triggered: the full configs do.
	data, err := s.rpc.Call(ctx, "POST", "/read/ListFullProcedures", []byte(`{"limit":0}`))
	if err != nil {
		return failure(rpc.AsError(err), s.rpc.Secrets())
	}
	var full []struct {
		ID struct {
			Oid string `json:"$oid"`
		} `json:"_id"`
		Config struct {
			ScheduleEnabled bool   `json:"schedule_enabled"`
			Schedule        string `json:"schedule"`
			WebhookEnabled  bool   `json:"webhook_enabled"`
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &full); err != nil {
		return failure(rpc.AsError(err), nil)
	}
	match := map[string]bool{}
	for _, p := range full {
		scheduled := p.Config.ScheduleEnabled && strings.TrimSpace(p.Config.Schedule) != ""
		switch trigger {
		case "scheduled":
			match[p.ID.Oid] = scheduled
		case "webhook":
			match[p.ID.Oid] = p.Config.WebhookEnabled
		case "manual":
			match[p.ID.Oid] = !scheduled && !p.Config.WebhookEnabled
		}
	}
	r.keep = append(r.keep, func(item map[string]any) bool { id, _ := item["id"].(string); return match[id] })
	return nil
}

func listActions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	if t, ok := r.params["type"].(string); ok && t != "script" {
		return refuse("type="+t, "Komodo actions are all TypeScript scripts: only type `script` matches")
	}
	if e, ok := r.params["enabled"].(bool); ok && !e {
		return refuse("enabled=false", "Komodo actions cannot be disabled: every action is enabled")
	}
	return nil
}

var severityLevels = map[string]string{"info": "OK", "warning": "WARNING", "error": "CRITICAL", "critical": "CRITICAL"}

// resourceTypes maps lower-case resource type names to Komodo's ResourceTarget types.
var resourceTypes = map[string]string{
	"system": "System", "swarm": "Swarm", "server": "Server", "stack": "Stack", "deployment": "Deployment",
	"build": "Build", "repo": "Repo", "procedure": "Procedure", "action": "Action", "builder": "Builder",
	"alerter": "Alerter", "resourcesync": "ResourceSync", "resource_sync": "ResourceSync", "sync": "ResourceSync",
}

func listAlerts(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	q, _ := r.args["query"].(map[string]any)
	if q == nil {
		q = map[string]any{}
	}
	if sev, ok := r.params["severity"].(string); ok {
		level := severityLevels[sev]
		q["level"] = level
		r.keep = append(r.keep, func(a map[string]any) bool { return a["level"] == level })
	}
	if res, ok := r.params["resolved"].(bool); ok {
		q["resolved"] = res
		r.keep = append(r.keep, func(a map[string]any) bool { return a["resolved"] == res })
	}
	if rt, ok := r.params["resource_type"].(string); ok {
		typ, known := resourceTypes[strings.ToLower(strings.ReplaceAll(rt, " ", ""))]
		if !known {
			return validationFailure(fmt.Sprintf("unknown resource_type %q", rt), "use server, stack, deployment, build, repo, procedure, action, builder, alerter, sync, swarm or system")
		}
		q["target.type"] = typ
		r.keep = append(r.keep, func(a map[string]any) bool { t, _ := a["target"].(map[string]any); return t["type"] == typ })
	}
	if len(q) > 0 {
		r.args["query"] = q
		r.rewritten = true
	}
	return nil
}

// options returns the guide's options object of an execute tool.
func options(r *request) map[string]any {
	o, _ := r.params["options"].(map[string]any)
	return o
}

// boolOption reads a boolean option: set reports whether it was given.
func boolOption(o map[string]any, name string) (value, set bool) {
	v, ok := o[name].(bool)
	return v, ok
}

// maxSeconds bounds a duration option: longer waits are capped by the wait cap anyway,
// and the bound keeps the conversion to a time.Duration from overflowing.
const maxSeconds = 24 * 60 * 60

// seconds reads a duration option given in seconds, clamped to [0, maxSeconds].
func seconds(o map[string]any, name string) (time.Duration, bool) {
	var f float64
	switch v := o[name].(type) {
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil && !math.IsInf(f, 0) {
			return 0, false
		}
	case float64:
		f = v
	default:
		return 0, false
	}
	if math.IsNaN(f) {
		return 0, false
	}
	f = max(0, min(f, maxSeconds))
	return time.Duration(f * float64(time.Second)), true
}

func deployOptions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	o := options(r)
	if v, set := boolOption(o, "force"); set && !v {
		return refuse("options.force=false", "Komodo's Deploy always redeploys, changed or not")
	}
	if v, set := boolOption(o, "stopBeforeStart"); set && !v {
		return refuse("options.stopBeforeStart=false", "Komodo's Deploy always stops and removes the old container before starting the new one")
	}
	if v, _ := boolOption(o, "skipPull"); v {
		return refuse("options.skipPull", "Komodo's Deploy always pulls the image first")
	}
	return nil
}

func buildOptions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	o := options(r)
	if v, _ := boolOption(o, "skipCache"); v {
		return refuse("options.skipCache", `caching is the build's configuration in Komodo: add "--no-cache" to its extra_args with komodo_write_UpdateBuild`)
	}
	if v, _ := boolOption(o, "skipPull"); v {
		return refuse("options.skipPull", "Komodo's RunBuild always pulls the latest commit of the build's repo")
	}
	if v, set := boolOption(o, "forceBuild"); set && !v {
		return refuse("options.forceBuild=false", "Komodo's RunBuild always builds")
	}
	return nil
}

func serverOptions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	o := options(r)
	if v, _ := boolOption(o, "force"); v {
		return refuse("options.force", "Komodo stops or restarts a server's containers gracefully; to kill one, use komodo_execute_StopContainer with signal SIGKILL")
	}
	if v, _ := boolOption(o, "removeContainer"); v {
		return refuse("options.removeContainer", "stopping a server's containers does not remove them in Komodo: use komodo_execute_PruneContainers, or DestroyDeployment / DestroyStack")
	}
	if d, ok := seconds(o, "timeout"); ok {
		r.wait.enabled, r.wait.limit = true, d
	}
	if v, _ := boolOption(o, "waitForHealthy"); v {
		r.wait.enabled, r.wait.healthy = true, true
	}
	return nil
}

func procedureOptions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	if vars, _ := r.params["variables"].(map[string]any); len(vars) > 0 {
		return refuse("variables", "Komodo procedures take no run-time variables: set Komodo variables first with komodo_write_UpdateVariableValue, then run the procedure")
	}
	return asyncOptions(r)
}

func actionOptions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	if v, _ := boolOption(options(r), "retryOnFailure"); v {
		return refuse("options.retryOnFailure", "an execution is never repeated automatically: it may already have changed something; check the result and run it again yourself")
	}
	if payload, ok := r.params["payload"]; ok {
		r.args["args"] = payload
	}
	return asyncOptions(r)
}

// asyncOptions maps the guide's async/timeout: async false, or a timeout, waits.
func asyncOptions(r *request) *mcp.CallToolResult {
	o := options(r)
	async, asyncSet := boolOption(o, "async")
	d, hasTimeout := seconds(o, "timeout")
	if asyncSet && !async {
		r.wait.enabled = true
	}
	if hasTimeout && (!asyncSet || !async) {
		r.wait.enabled, r.wait.limit = true, d
	}
	return nil
}

func repoOptions(_ context.Context, _ *Server, r *request) *mcp.CallToolResult {
	o := options(r)
	if b, ok := o["branch"].(string); ok && b != "" {
		return refuse("options.branch", "the branch is the repo's configuration in Komodo: change it with komodo_write_UpdateRepo, then pull or clone")
	}
	if _, ok := o["depth"]; ok {
		return refuse("options.depth", "Komodo clones full history; shallow clones are not offered")
	}
	if v, _ := boolOption(o, "submodules"); v {
		return refuse("options.submodules", "Komodo does not offer submodule handling on pull or clone")
	}
	if v, _ := boolOption(o, "force"); v {
		return refuse("options.force", "Komodo's PullRepo does not discard local changes: use komodo_execute_CloneRepo to re-clone")
	}
	if v, set := boolOption(o, "overwrite"); set && !v {
		return refuse("options.overwrite=false", "Komodo's CloneRepo always replaces an existing clone")
	}
	return nil
}

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// resolveID turns a name into the resource's id (ids pass through).
func (s *Server) resolveID(ctx context.Context, typ, ref string) (string, *mcp.CallToolResult) {
	if objectID.MatchString(ref) {
		return ref, nil
	}
	res, fail := s.getResource(ctx, typ, ref)
	if fail != nil {
		return "", fail
	}
	return oid(res), nil
}

// getResource reads one resource with Get{Type}.
func (s *Server) getResource(ctx context.Context, typ, ref string) (map[string]any, *mcp.CallToolResult) {
	body, _ := json.Marshal(map[string]string{strings.ToLower(typ): ref})
	data, err := s.rpc.Call(ctx, "POST", "/read/Get"+typ, body)
	if err != nil {
		return nil, failure(rpc.AsError(err), s.rpc.Secrets())
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, failure(rpc.AsError(err), nil)
	}
	return m, nil
}

// oid is a full resource's id (`_id.$oid`).
func oid(m map[string]any) string {
	id, _ := nested(m, "_id", "$oid").(string)
	return id
}

func nested(m map[string]any, keys ...string) any {
	var v any = m
	for _, k := range keys {
		mm, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = mm[k]
	}
	return v
}

// HandlesParam reports whether the server translates the curated parameter of a tool
// (tests use it to prove that no parameter is silently ignored).
func HandlesParam(tool, param string) bool {
	return slices.Contains(seedParams[tool].params, param)
}
