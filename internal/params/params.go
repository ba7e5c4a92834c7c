package params

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// The curated parameters of api/mcp.yaml (`parameters`): each tool's translation into
// Komodo's request, a filter applied after fetching, a client-side behaviour (waiting),
// or a VALIDATION_ERROR that names the option and says why it cannot be honoured.

// translation handles the curated parameters of one tool: given the parameters the
// client set and the plan so far, it returns the tool's plan or a refusal. It must not
// modify params or the maps of p (Plan.with and Plan.keep copy).
type translation func(ctx context.Context, k Komodo, params map[string]any, p Plan) (*Plan, error)

// toolParams is the translation of one tool's curated parameters, and the parameters it
// reads (a test checks that the table covers every curated parameter of the catalog).
type toolParams struct {
	translate translation
	params    []string
}

// translations are keyed by tool name.
var translations = map[string]toolParams{
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
	"komodo_read_ListUpdates":      {listUpdates, []string{"since", "operation", "target", "success"}},
}

// ErrCannotHonour is wrapped by every refusal of an option Komodo cannot honour: the
// refusal names the option and says why, and what to do instead.
var ErrCannotHonour = errors.New("an option Komodo cannot honour")

// refuse is the VALIDATION_ERROR for an option Komodo cannot honour.
// option is the parameter's path, with "=value" when only that value is refused.
func refuse(option, why string) *errcode.Error {
	name, value, hasValue := strings.Cut(option, "=")
	named := "`" + name + "`"
	if hasValue {
		named += "=" + value
	}
	e := invalid(fmt.Sprintf("option %s cannot be honoured: %s", named, why), "omit the option, or use the alternative named")
	e.Err = ErrCannotHonour
	return e
}

// Refusal is the reason a tool's curated parameters in args cannot be honoured, or nil. The
// input schemas narrow refused values (skipPull: [false], variables: {}) and leave refused
// options out, so that assistants see what works; when a call fails its schema anyway,
// this says why in the words of the translation that would refuse it, instead of
// "enum" or "unknown argument". Komodo is not consulted.
func Refusal(t *catalog.Tool, args map[string]any) *errcode.Error {
	tr := translations[t.Name].translate
	if tr == nil {
		return nil
	}
	params := map[string]any{}
	for _, name := range t.Params {
		if v, ok := args[name]; ok {
			params[name] = v
		}
	}
	if len(params) == 0 {
		return nil
	}
	_, err := tr(context.Background(), notConsulted{}, params, Plan{Args: map[string]any{}})
	if e, ok := errors.AsType[*errcode.Error](err); ok && errors.Is(err, ErrCannotHonour) {
		return e
	}
	return nil
}

// notConsulted is the Komodo of Refusal: a translation that needs to ask Komodo cannot
// tell from the arguments alone, so it refuses nothing.
type notConsulted struct{}

func (notConsulted) Call(context.Context, string, string, []byte) ([]byte, error) {
	return nil, errors.New("Komodo is not consulted")
}

// stateFilter maps a status value onto Komodo states: sent to Komodo in
// query.specific.states and checked again on the items (info.state).
func stateFilter(params map[string]any, p Plan, param string, states map[string][]string) (Plan, error) {
	v, ok := params[param].(string)
	if !ok {
		return p, nil
	}
	want, ok := states[v]
	if !ok || len(want) == 0 {
		return p, refuse(param+"="+v, "Komodo has no such state")
	}
	p = setSpecific(p, "states", want)
	return p.keep(func(item map[string]any) bool {
		state, _ := info(item)["state"].(string)
		return slices.Contains(want, state)
	}), nil
}

// setSpecific returns p with query.specific[key] set in Komodo's resource query; the
// client's query object is copied, not modified.
func setSpecific(p Plan, key string, values []string) Plan {
	q, _ := p.Args["query"].(map[string]any)
	q = maps.Clone(q)
	if q == nil {
		q = map[string]any{}
	}
	spec, _ := q["specific"].(map[string]any)
	spec = maps.Clone(spec)
	if spec == nil {
		spec = map[string]any{}
	}
	list := make([]any, len(values))
	for i, v := range values {
		list[i] = v
	}
	spec[key] = list
	q["specific"] = spec
	return p.with("query", q)
}

func info(item map[string]any) map[string]any {
	m, _ := item["info"].(map[string]any)
	return m
}

func done(p Plan, err error) (*Plan, error) {
	if err != nil {
		return nil, err
	}
	return &p, nil
}

func listServers(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	return done(stateFilter(params, p, "status", map[string][]string{
		"running": {"Ok"}, "error": {"NotOk"}, "stopped": {"Disabled"},
		// "pending": Komodo servers are Ok, NotOk or Disabled, never pending.
	}))
}

func listDeployments(ctx context.Context, k Komodo, params map[string]any, p Plan) (*Plan, error) {
	p, err := stateFilter(params, p, "status", deploymentGroups)
	if err != nil {
		return nil, err
	}
	if ref, ok := params["server_id"].(string); ok {
		id, err := resolveID(ctx, k, "Server", ref)
		if err != nil {
			return nil, err
		}
		p = setSpecific(p, "server_ids", []string{id})
		p = p.keep(func(item map[string]any) bool { return info(item)["server_id"] == id })
	}
	return &p, nil
}

func listStacks(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	return done(stateFilter(params, p, "status", stackGroups))
}

// The status groups of deployments and stacks, read from Komodo's states at v2.3.2
// (client/core/rs/src/entities/deployment.rs DeploymentState, stack.rs StackState, and
// bin/core/src/helpers/query.rs get_stack_state_from_containers). README's table says
// the same; a test checks that every Komodo state is in exactly one group.
var (
	// deploymentGroups: `restarting` is Docker's restart loop (a crash loop) and
	// `unhealthy` is a swarm service whose tasks are not in their desired state (a
	// container failing its health check is still `running`): both are failures.
	// `unknown` means the server or swarm did not answer: nothing is known of the container.
	deploymentGroups = map[string][]string{
		"running":   {"running"},
		"stopped":   {"exited", "created", "paused", "not_deployed"},
		"deploying": {"deploying", "removing", "stopping"},
		"failed":    {"restarting", "dead", "unhealthy"},
		"unknown":   {"unknown"},
	}
	// stackGroups: `unhealthy` is a stack whose containers are in mixed states or fewer
	// than its services (some are down), `restarting` all of them in a restart loop.
	stackGroups = map[string][]string{
		"active":    {"running"},
		"inactive":  {"stopped", "down", "created", "paused"},
		"deploying": {"deploying", "removing"},
		"failed":    {"unhealthy", "restarting", "dead"},
		"unknown":   {"unknown"},
	}
)

func listBuilds(ctx context.Context, k Komodo, params map[string]any, p Plan) (*Plan, error) {
	p, err := stateFilter(params, p, "status", map[string][]string{
		"building": {"Building"}, "success": {"Ok"}, "failed": {"Failed"}, "pending": {"Unknown"},
	})
	if err != nil {
		return nil, err
	}
	ref, ok := params["repo_id"].(string)
	if !ok {
		return &p, nil
	}
	repo, err := getResource(ctx, k, "Repo", ref)
	if err != nil {
		return nil, err
	}
	id := oid(repo)
	path, _ := nested(repo, "config", "repo").(string)
	// A build uses a Komodo Repo either by link or by naming the same git repository.
	p = p.keep(func(item map[string]any) bool {
		i := info(item)
		return i["linked_repo"] == id || (path != "" && i["repo"] == path)
	})
	return &p, nil
}

var providerDomains = map[string]string{"github": "github.com", "gitlab": "gitlab.com", "bitbucket": "bitbucket.org"}

func listRepos(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	provider, ok := params["provider"].(string)
	if !ok {
		return &p, nil
	}
	p = p.keep(func(item map[string]any) bool {
		domain, _ := info(item)["git_provider"].(string)
		domain = strings.TrimPrefix(strings.ToLower(domain), "www.")
		if provider == "other" {
			for _, d := range providerDomains {
				if domain == d {
					return false
				}
			}
			return true
		}
		return domain == providerDomains[provider]
	})
	return &p, nil
}

func listProcedures(ctx context.Context, k Komodo, params map[string]any, p Plan) (*Plan, error) {
	trigger, ok := params["trigger"].(string)
	if !ok {
		return &p, nil
	}
	// List items do not say how a procedure is triggered: the full configs do.
	data, err := k.Call(ctx, "POST", "/read/ListFullProcedures", []byte(`{"limit":0}`))
	if err != nil {
		return nil, err
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
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "Komodo's ListFullProcedures answer is not a list of procedures: " + err.Error(), Err: err}
	}
	match := map[string]bool{}
	for _, proc := range full {
		scheduled := proc.Config.ScheduleEnabled && strings.TrimSpace(proc.Config.Schedule) != ""
		switch trigger {
		case "scheduled":
			match[proc.ID.Oid] = scheduled
		case "webhook":
			match[proc.ID.Oid] = proc.Config.WebhookEnabled
		case "manual":
			match[proc.ID.Oid] = !scheduled && !proc.Config.WebhookEnabled
		}
	}
	p = p.keep(func(item map[string]any) bool { id, _ := item["id"].(string); return match[id] })
	return &p, nil
}

func listActions(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	if t, ok := params["type"].(string); ok && t != "script" {
		return nil, refuse("type="+t, "Komodo actions are all TypeScript scripts: only type `script` matches")
	}
	if e, ok := params["enabled"].(bool); ok && !e {
		return nil, refuse("enabled=false", "Komodo actions cannot be disabled: every action is enabled")
	}
	return &p, nil
}

var severityLevels = map[string]string{"info": "OK", "warning": "WARNING", "error": "CRITICAL", "critical": "CRITICAL"}

// resourceTypes maps lower-case resource type names to Komodo's ResourceTarget types.
var resourceTypes = map[string]string{
	"system": "System", "swarm": "Swarm", "server": "Server", "stack": "Stack", "deployment": "Deployment",
	"build": "Build", "repo": "Repo", "procedure": "Procedure", "action": "Action", "builder": "Builder",
	"alerter": "Alerter", "resourcesync": "ResourceSync", "resource_sync": "ResourceSync", "sync": "ResourceSync",
}

func listAlerts(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	q, _ := p.Args["query"].(map[string]any)
	q = maps.Clone(q)
	if q == nil {
		q = map[string]any{}
	}
	set := false
	if sev, ok := params["severity"].(string); ok {
		level := severityLevels[sev]
		q["level"], set = level, true
		p = p.keep(func(a map[string]any) bool { return a["level"] == level })
	}
	if res, ok := params["resolved"].(bool); ok {
		q["resolved"], set = res, true
		p = p.keep(func(a map[string]any) bool { return a["resolved"] == res })
	}
	if rt, ok := params["resource_type"].(string); ok {
		typ, known := resourceTypes[strings.ToLower(strings.ReplaceAll(rt, " ", ""))]
		if !known {
			return nil, invalid(fmt.Sprintf("unknown resource_type %q", rt), "use server, stack, deployment, build, repo, procedure, action, builder, alerter, sync, swarm or system")
		}
		q["target.type"], set = typ, true
		p = p.keep(func(a map[string]any) bool { t, _ := a["target"].(map[string]any); return t["type"] == typ })
	}
	if set {
		p = p.with("query", q)
	}
	return &p, nil
}

// options returns the options object of an execute tool.
func options(params map[string]any) map[string]any {
	o, _ := params["options"].(map[string]any)
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

// Seconds reads a duration given in seconds (a JSON number) from o[name], clamped to
// [0, 24h]; ok is false when it is absent or not a number.
func Seconds(o map[string]any, name string) (d time.Duration, ok bool) {
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

func deployOptions(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	o := options(params)
	if v, set := boolOption(o, "force"); set && !v {
		return nil, refuse("options.force=false", "Komodo's Deploy always redeploys, changed or not")
	}
	if v, set := boolOption(o, "stopBeforeStart"); set && !v {
		return nil, refuse("options.stopBeforeStart=false", "Komodo's Deploy always stops and removes the old container before starting the new one")
	}
	if v, _ := boolOption(o, "skipPull"); v {
		return nil, refuse("options.skipPull", "Komodo's Deploy always pulls the image first")
	}
	return &p, nil
}

func buildOptions(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	o := options(params)
	if v, _ := boolOption(o, "skipCache"); v {
		return nil, refuse("options.skipCache", `caching is the build's configuration in Komodo: add "--no-cache" to its extra_args with komodo_write_UpdateBuild`)
	}
	if v, _ := boolOption(o, "skipPull"); v {
		return nil, refuse("options.skipPull", "Komodo's RunBuild always pulls the latest commit of the build's repo")
	}
	if v, set := boolOption(o, "forceBuild"); set && !v {
		return nil, refuse("options.forceBuild=false", "Komodo's RunBuild always builds")
	}
	return &p, nil
}

func serverOptions(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	o := options(params)
	if v, _ := boolOption(o, "force"); v {
		return nil, refuse("options.force", "Komodo stops or restarts a server's containers gracefully; to kill one, use komodo_execute_StopContainer with signal SIGKILL")
	}
	if v, _ := boolOption(o, "removeContainer"); v {
		return nil, refuse("options.removeContainer", "stopping a server's containers does not remove them in Komodo: use komodo_execute_PruneContainers, or DestroyDeployment / DestroyStack")
	}
	if d, ok := Seconds(o, "timeout"); ok {
		p.Wait.Enabled, p.Wait.Limit = true, d
	}
	if v, _ := boolOption(o, "waitForHealthy"); v {
		p.Wait.Enabled, p.Wait.Healthy = true, true
	}
	return &p, nil
}

func procedureOptions(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	if vars, _ := params["variables"].(map[string]any); len(vars) > 0 {
		return nil, refuse("variables", "Komodo procedures take no run-time variables: set Komodo variables first with komodo_write_UpdateVariableValue, then run the procedure")
	}
	return asyncOptions(params, p), nil
}

func actionOptions(_ context.Context, _ Komodo, params map[string]any, p Plan) (*Plan, error) {
	if v, _ := boolOption(options(params), "retryOnFailure"); v {
		return nil, refuse("options.retryOnFailure", "an execution is never repeated automatically: it may already have changed something; check the result and run it again yourself")
	}
	if payload, ok := params["payload"]; ok {
		p = p.with("args", payload)
	}
	return asyncOptions(params, p), nil
}

// asyncOptions maps async/timeout: async false, or a timeout, waits.
func asyncOptions(params map[string]any, p Plan) *Plan {
	o := options(params)
	async, asyncSet := boolOption(o, "async")
	d, hasTimeout := Seconds(o, "timeout")
	if asyncSet && !async {
		p.Wait.Enabled = true
	}
	if hasTimeout && (!asyncSet || !async) {
		p.Wait.Enabled, p.Wait.Limit = true, d
	}
	return &p
}

func repoOptions(ctx context.Context, k Komodo, params map[string]any, p Plan) (*Plan, error) {
	o := options(params)
	if b, ok := o["branch"].(string); ok && b != "" {
		// Komodo pulls (and clones) the branch the repo is configured with: the option is
		// honoured when it names that branch, and refused otherwise.
		why := "the branch is the repo's configuration in Komodo, not an option of the pull: change it with komodo_write_UpdateRepo (config.branch), then pull or clone"
		ref, _ := p.Args["repo"].(string)
		if ref == "" {
			return nil, refuse("options.branch", why)
		}
		repo, err := getResource(ctx, k, "Repo", ref)
		if err != nil {
			return nil, err
		}
		if configured, _ := nested(repo, "config", "branch").(string); configured != b {
			return nil, refuse("options.branch="+b, fmt.Sprintf("repo %s is configured for branch %q and Komodo pulls that one; %s", ref, configured, why))
		}
	}
	if _, ok := o["depth"]; ok {
		return nil, refuse("options.depth", "Komodo clones full history; shallow clones are not offered")
	}
	if v, _ := boolOption(o, "submodules"); v {
		return nil, refuse("options.submodules", "Komodo does not offer submodule handling on pull or clone")
	}
	if v, _ := boolOption(o, "force"); v {
		return nil, refuse("options.force", "Komodo's PullRepo does not discard local changes: use komodo_execute_CloneRepo to re-clone")
	}
	if v, set := boolOption(o, "overwrite"); set && !v {
		return nil, refuse("options.overwrite=false", "Komodo's CloneRepo always replaces an existing clone")
	}
	return &p, nil
}

var objectID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// getResource reads one resource with Get{Type}.
func getResource(ctx context.Context, k Komodo, typ, ref string) (map[string]any, error) {
	body, _ := json.Marshal(map[string]string{strings.ToLower(typ): ref})
	data, err := k.Call(ctx, "POST", "/read/Get"+typ, body)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "Komodo's Get" + typ + " answer is not an object: " + err.Error(), Err: err}
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
