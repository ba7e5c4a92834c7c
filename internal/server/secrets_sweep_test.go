package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// syncBuffer is a bytes.Buffer safe for the logger and the audit log to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// TestSecrets_NoSeededCredentialReachesAnyTool calls every tool of --toolsets all (reads
// compact and raw, writes with their echoes, executions), then every read again (to see
// the Updates the writes made: their prev_toml/current_toml), plus the exports and the
// echoes of config updates with the credentials in them. No credential the simulator's
// world holds (sim.SeededCredentials: provider and registry tokens, alerter URLs, build
// secret args, webhook secrets, a server passkey, secret variables) may appear in any
// result, error, log line or audit line.
func TestSecrets_NoSeededCredentialReachesAnyTool(t *testing.T) {
	s := simtest.Start(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	auditLog, _ := audit.New(logs, "")
	client, err := rpc.New(testConfig(s.URL()), logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{Toolsets: []string{"all"}}, logger, server.Options{Audit: auditLog})
	if err != nil {
		t.Fatal(err)
	}
	cs := session(t, srv)
	ctx := context.Background()

	creds := sim.SeededCredentials()
	var seen strings.Builder
	answered, errored := map[string]bool{}, map[string]string{}
	do := func(name string, args map[string]any) *mcp.CallToolResult {
		res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: args})
		if err != nil {
			t.Fatalf("%s: protocol error: %v", name, err)
		}
		var out strings.Builder
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				out.WriteString(tc.Text)
			}
		}
		data, _ := json.Marshal(res.StructuredContent)
		out.Write(data)
		for field, values := range creds {
			for _, v := range values {
				if strings.Contains(out.String(), v) {
					t.Errorf("%s %v: the credential of %s (%s) reached the result:\n%.800s", name, args, field, v, out.String())
				}
			}
		}
		seen.WriteString(out.String())
		if res.IsError {
			errored[name] = out.String()
		} else {
			answered[name] = true
		}
		return res
	}

	// Targets: one resource of each kind; accounts by id.
	names := map[string]any{}
	for field, tool := range map[string]string{
		"server": "komodo_read_ListServers", "deployment": "komodo_read_ListDeployments", "stack": "komodo_read_ListStacks",
		"build": "komodo_read_ListBuilds", "repo": "komodo_read_ListRepos", "procedure": "komodo_read_ListProcedures",
		"action": "komodo_read_ListActions", "builder": "komodo_read_ListBuilders", "alerter": "komodo_read_ListAlerters",
		"sync": "komodo_read_ListResourceSyncs", "swarm": "komodo_read_ListSwarms",
	} {
		items, _ := structured(t, call(t, cs, tool, `{}`))["items"].([]any)
		names[field] = items[0].(map[string]any)["name"]
	}
	fill := func(field string) any { return names[field] }
	idOf := func(tool string, i int) any {
		items, _ := structured(t, call(t, cs, tool, `{"raw":true}`))["items"].([]any)
		oid, _ := items[i].(map[string]any)["_id"].(map[string]any)
		return oid["$oid"]
	}
	overrides := map[string]map[string]any{
		"komodo_read_GetVariable":                 {"name": "DB_PASSWORD"},
		"komodo_write_UpdateVariableDescription":  {"name": "DB_PASSWORD", "description": "d"},
		"komodo_write_UpdateVariableIsSecret":     {"name": "LOG_LEVEL", "is_secret": false},
		"komodo_write_UpdateVariableValue":        {"name": "SLACK_WEBHOOK", "value": "https://hooks.slack.com/services/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"},
		"komodo_read_GetTag":                      {"tag": "monitoring"},
		"komodo_write_UpdateTagColor":             {"tag": "monitoring", "color": "Green"},
		"komodo_write_UpdateResourceMeta":         {"target": map[string]any{"type": "Server", "id": names["server"]}},
		"komodo_read_ExportAllResourcesToToml":    {"include_variables": true},
		"komodo_write_CreateApiKeyForServiceUser": {"user_id": "ci-bot", "name": "sweep"},
	}
	for k, list := range map[string]string{"GitProviderAccount": "komodo_read_ListGitProviderAccounts", "ImageRegistryAccount": "komodo_read_ListImageRegistryAccounts"} {
		overrides["komodo_read_Get"+k] = map[string]any{"id": idOf(list, 0)}
		overrides["komodo_write_Update"+k] = map[string]any{"id": idOf(list, 0), "account": map[string]any{"username": "renamed"}}
		overrides["komodo_write_Delete"+k] = map[string]any{"id": idOf(list, 1)}
	}
	// Copy, Rename, Delete and Update of every kind name a resource by `id`; a Delete's
	// echo is the whole resource, so deletes take the ones holding credentials.
	holders := map[string]string{"Server": "prod-1", "Build": "web-frontend", "Stack": "monitoring", "Repo": "infra-ansible",
		"ResourceSync": "gitops", "Procedure": "restart-monitoring", "Action": "notify-release", "Alerter": "slack-ops"}
	for field, kind := range map[string]string{"server": "Server", "deployment": "Deployment", "stack": "Stack", "build": "Build", "repo": "Repo",
		"procedure": "Procedure", "action": "Action", "builder": "Builder", "alerter": "Alerter", "sync": "ResourceSync", "swarm": "Swarm"} {
		overrides["komodo_write_Copy"+kind] = map[string]any{"id": names[field], "name": "copy-of-" + field}
		overrides["komodo_write_Rename"+kind] = map[string]any{"id": names[field], "name": "renamed-" + field}
		overrides["komodo_write_Update"+kind] = map[string]any{"id": names[field], "config": map[string]any{}}
		del := names[field]
		if h, ok := holders[kind]; ok {
			overrides["komodo_write_Copy"+kind]["id"] = h
			del = h
		}
		if del == names[field] { // renamed before the deletes run
			del = "renamed-" + field
		}
		overrides["komodo_write_Delete"+kind] = map[string]any{"id": del}
	}
	for _, k := range []string{"GitProviderAccount", "ImageRegistryAccount"} {
		overrides["komodo_write_Create"+k] = map[string]any{"account": map[string]any{"domain": "git.acme.example", "username": "bot", "token": "t0k3n-new"}}
	}
	// Writes whose echo carries the credentials: each resource holding one, updated.
	for tool, id := range map[string]string{
		"komodo_write_UpdateServer": "prod-1", "komodo_write_UpdateBuild": "web-frontend", "komodo_write_UpdateStack": "monitoring",
		"komodo_write_UpdateRepo": "infra-ansible", "komodo_write_UpdateResourceSync": "gitops", "komodo_write_UpdateProcedure": "restart-monitoring",
		"komodo_write_UpdateAction": "notify-release", "komodo_write_UpdateAlerter": "pushover-oncall",
	} {
		overrides[tool] = map[string]any{"id": id, "config": map[string]any{}}
	}
	overrides["komodo_write_UpdateBuild"]["config"] = map[string]any{"branch": "release"}
	overrides["komodo_write_UpdateServer"]["config"] = map[string]any{"region": "eu-central-2"}
	overrides["komodo_write_UpdateAlerter"]["config"] = map[string]any{"enabled": false}

	var tools []*mcp.Tool
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		tools = append(tools, tool)
	}
	if len(tools) < 300 {
		t.Fatalf("only %d tools under --toolsets all", len(tools))
	}
	// Executions, renames, then deletes, last: everything else finds its target by its
	// seeded name and state. Executions run after the reads because the simulator's run
	// for ExecDuration and a deployment Destroy finished before a later read (a loaded
	// machine spaces the calls) left no container to inspect.
	weight := func(name string) int {
		switch {
		case strings.HasPrefix(name, "komodo_write_Delete"):
			return 3
		case strings.HasPrefix(name, "komodo_write_Rename"):
			return 2
		case strings.HasPrefix(name, "komodo_execute_"):
			return 1
		}
		return 0
	}
	sort.Slice(tools, func(i, j int) bool {
		if wi, wj := weight(tools[i].Name), weight(tools[j].Name); wi != wj {
			return wi < wj
		}
		return tools[i].Name < tools[j].Name
	})
	argsOf := func(tool *mcp.Tool) map[string]any {
		var in map[string]any
		raw, _ := json.Marshal(tool.InputSchema)
		_ = json.Unmarshal(raw, &in)
		target := ""
		if ct, ok := catalog.ByName(tool.Name); ok {
			target = ct.TargetField
		}
		args := synthesize(in, target, fill)
		for k, v := range overrides[tool.Name] {
			args[k] = v
		}
		if props, _ := in["properties"].(map[string]any); props["confirm"] != nil {
			args["confirm"] = true
		}
		return args
	}
	hasRaw := func(tool *mcp.Tool) bool {
		raw, _ := json.Marshal(tool.InputSchema)
		return strings.Contains(string(raw), `"raw":`)
	}
	for _, tool := range tools {
		args := argsOf(tool)
		do(tool.Name, args)
		if hasRaw(tool) {
			rawArgs := maps.Clone(args)
			rawArgs["raw"] = true
			do(tool.Name, rawArgs)
		}
	}
	// The reads again, now that the writes made Updates (prev_toml/current_toml).
	updates := structured(t, call(t, cs, "komodo_read_ListUpdates", `{"raw":true}`))
	items, _ := updates["items"].([]any)
	for _, it := range items {
		id, _ := it.(map[string]any)["id"].(string)
		do("komodo_read_GetUpdate", map[string]any{"id": id, "raw": true})
	}
	for _, tool := range tools {
		if strings.HasPrefix(tool.Name, "komodo_read_") {
			args := argsOf(tool)
			args["raw"] = true
			if !hasRaw(tool) {
				delete(args, "raw")
			}
			do(tool.Name, args)
		}
	}
	do("komodo_read_ExportResourcesToToml", map[string]any{"include_variables": true, "targets": []any{
		map[string]any{"type": "Server", "id": "prod-1"}, map[string]any{"type": "Build", "id": "web-frontend"},
		map[string]any{"type": "Alerter", "id": "slack-ops"}, map[string]any{"type": "Alerter", "id": "discord-dev"},
	}})

	// The sweep saw the places the credentials live.
	for _, want := range []string{"komodo_read_ListGitProviderAccounts", "komodo_read_ListImageRegistryAccounts", "komodo_read_ExportAllResourcesToToml",
		"komodo_read_ExportResourcesToToml", "komodo_read_ListVariables", "komodo_read_GetAlerter", "komodo_read_GetBuild", "komodo_write_UpdateBuild",
		"komodo_write_UpdateServer", "komodo_read_ListFullAlerters", "komodo_write_CreateApiKeyForServiceUser", "komodo_read_GetUpdate", "komodo_read_InspectDeploymentContainer"} {
		if !answered[want] {
			t.Errorf("%s never answered (error: %.300s): the sweep did not see what it must", want, errored[want])
		}
	}
	for _, marker := range []string{"[redacted]", "https://hooks.slack.com/[redacted]", "https://api.pushover.net/[redacted]", "DB_PASSWORD=[redacted]"} {
		if !strings.Contains(seen.String(), marker) {
			t.Errorf("no result shows %s: the credentials were not where the sweep looked", marker)
		}
	}
	for field, values := range creds {
		for _, v := range values {
			if strings.Contains(logs.String(), v) {
				t.Errorf("the credential of %s reached the logs or the audit", field)
			}
		}
	}
	t.Logf("%d tools answered, %d answered an error", len(answered), len(errored))
	for n, e := range errored {
		if !answered[n] {
			t.Logf("only errors: %s: %.160s", n, e)
		}
	}
}

// A new API key's secret is handed over once: the result shows it, marked as shown only
// now, it works against Komodo, and neither the logs nor the audit line carry it.
func TestSecrets_NewAPIKeyShownOnce(t *testing.T) {
	s := simtest.Start(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	auditLog, _ := audit.New(logs, "")
	client, err := rpc.New(testConfig(s.URL()), logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{Toolsets: []string{"all"}}, logger, server.Options{Audit: auditLog})
	if err != nil {
		t.Fatal(err)
	}
	cs := session(t, srv)
	res := call(t, cs, "komodo_write_CreateApiKeyForServiceUser", `{"user_id":"ci-bot","name":"deploy-bot"}`)
	out := structured(t, res)
	key, _ := out["key"].(string)
	secret, _ := out["secret"].(string)
	if !strings.HasPrefix(secret, "S-") || !strings.HasPrefix(key, "K-") {
		t.Fatalf("the new key is not handed over: %v", out)
	}
	note, _ := out["shown_once"].(string)
	if !strings.Contains(note, "only time") || !strings.Contains(text(t, res), secret) {
		t.Errorf("the secret is not marked as shown once: %v", out)
	}
	// The pair authenticates as the service user.
	cfg := testConfig(s.URL())
	cfg.APIKey, cfg.APISecret = key, secret
	other, err := rpc.New(cfg, quiet)
	if err != nil {
		t.Fatal(err)
	}
	data, err := other.Call(context.Background(), "GET", "/user", nil)
	if err != nil || !strings.Contains(string(data), `"username":"ci-bot"`) {
		t.Errorf("the new key does not authenticate as ci-bot: %v %s", err, data)
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("the new secret reached the logs or audit:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "CreateApiKeyForServiceUser") {
		t.Errorf("no audit line for the write:\n%s", logs.String())
	}
}
