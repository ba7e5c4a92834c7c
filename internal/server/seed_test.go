package server_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// seedSession serves the default surface against a fresh simulator whose executions
// take 30 ms, with waits polling every 5 ms.
func seedSession(t *testing.T) (*mcp.ClientSession, *sim.Server) {
	t.Helper()
	s := simtest.Start(t, simtest.WithExecDuration(30*time.Millisecond))
	cs := connect(t, testConfig(s.URL()), server.Selection{}, server.Options{PollInterval: 5 * time.Millisecond, WaitCap: time.Minute}) // a generous cap: a loaded machine must not turn a wait into a failure
	return cs, s
}

// envelope checks the list envelope {items, total, page, pageSize} and returns the items.
func envelope(t *testing.T, res *mcp.CallToolResult, wantTotal, wantPage, wantSize int) []map[string]any {
	t.Helper()
	m := structured(t, res)
	for _, k := range []string{"items", "total", "page", "pageSize"} {
		if _, ok := m[k]; !ok {
			t.Fatalf("envelope lacks %q: %v", k, m)
		}
	}
	if wantTotal >= 0 && int(m["total"].(float64)) != wantTotal {
		t.Errorf("total = %v, want %d", m["total"], wantTotal)
	}
	if int(m["page"].(float64)) != wantPage || int(m["pageSize"].(float64)) != wantSize {
		t.Errorf("page/pageSize = %v/%v, want %d/%d", m["page"], m["pageSize"], wantPage, wantSize)
	}
	var items []map[string]any
	for _, it := range m["items"].([]any) {
		items = append(items, it.(map[string]any))
	}
	return items
}

func names(items []map[string]any) []string {
	var out []string
	for _, it := range items {
		n, _ := it["name"].(string)
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// infoOf is what Komodo keeps under a list item's info: beside the name in the at-a-glance
// list items, under info in Komodo's shape (fields, raw).
func infoOf(item map[string]any) map[string]any {
	if m, ok := item["info"].(map[string]any); ok {
		return m
	}
	return item
}

// refused checks a VALIDATION_ERROR that names the option: "`status`", or "`status=pending`"
// when the refusal quotes the value too.
func refused(t *testing.T, res *mcp.CallToolResult, option string) {
	t.Helper()
	code, msg := toolError(t, res)
	withValue := strings.TrimSuffix(option, "`") + "="
	if code != "VALIDATION_ERROR" || !strings.Contains(msg, option) && !strings.Contains(msg, withValue) {
		t.Errorf("want VALIDATION_ERROR naming %s, got %s %q", option, code, msg)
	}
}

// TestGuide_ReadTools calls the 16 read tools with the seed contract's example requests.
func TestGuide_ReadTools(t *testing.T) {
	cs, _ := seedSession(t)

	// "Show me all running servers"
	items := envelope(t, call(t, cs, "komodo_read_ListServers", `{"status":"running"}`), 2, 1, 50)
	for _, it := range items {
		if infoOf(it)["state"] != "Ok" {
			t.Errorf("status=running returned %v in state %v", it["name"], infoOf(it)["state"])
		}
	}
	envelope(t, call(t, cs, "komodo_read_ListServers", `{}`), 4, 1, 50)
	refused(t, call(t, cs, "komodo_read_ListServers", `{"status":"pending"}`), "`status`")
	// "Show me details for server srv_123abc": by name and by id.
	prod1 := structured(t, call(t, cs, "komodo_read_GetServer", `{"id":"prod-1"}`))
	id := prod1["_id"].(map[string]any)["$oid"].(string)
	if got := structured(t, call(t, cs, "komodo_read_GetServer", `{"id":"`+id+`"}`)); got["name"] != "prod-1" {
		t.Errorf("GetServer by id = %v", got["name"])
	}

	// "Show all deployments on server srv_123abc", and paging.
	items = envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"server_id":"prod-1"}`), 3, 1, 50)
	for _, it := range items {
		if infoOf(it)["server_name"] != "prod-1" { // compact results name the server, not its id
			t.Errorf("server_id filter let %v through", it["name"])
		}
	}
	if got := names(envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"server_id":"`+id+`","status":"running"}`), 1, 1, 50)); !slices.Equal(got, []string{"web-frontend"}) {
		t.Errorf("running on prod-1 = %v", got)
	}
	page2 := envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"page":2,"page_size":4}`), 6, 2, 4)
	if len(page2) != 2 {
		t.Errorf("page 2 of 6 by 4 has %d items", len(page2))
	}
	envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"page":9}`), 6, 9, 50)
	if got := structured(t, call(t, cs, "komodo_read_GetDeployment", `{"id":"api-gateway"}`)); got["name"] != "api-gateway" {
		t.Errorf("GetDeployment = %v", got["name"])
	}

	// "Show all active stacks"
	if got := names(envelope(t, call(t, cs, "komodo_read_ListStacks", `{"status":"active"}`), -1, 1, 50)); !slices.Equal(got, []string{"monitoring"}) {
		t.Errorf("active stacks = %v", got)
	}
	if got := names(envelope(t, call(t, cs, "komodo_read_ListStacks", `{"status":"inactive"}`), -1, 1, 50)); !slices.Equal(got, []string{"immich", "wiki"}) {
		t.Errorf("inactive stacks = %v", got)
	}
	if got := structured(t, call(t, cs, "komodo_read_GetStack", `{"id":"monitoring"}`)); got["name"] != "monitoring" {
		t.Errorf("GetStack = %v", got["name"])
	}

	// "Show all builds for repository repo_abc123"; status.
	envelope(t, call(t, cs, "komodo_read_ListBuilds", `{"repo_id":"infra-ansible"}`), 0, 1, 50)
	if got := names(envelope(t, call(t, cs, "komodo_read_ListBuilds", `{"status":"failed"}`), 1, 1, 50)); !slices.Equal(got, []string{"api-gateway"}) {
		t.Errorf("failed builds = %v", got)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_read_ListBuilds", `{"repo_id":"no-such-repo"}`)); code != "NOT_FOUND" {
		t.Errorf("unknown repo_id: %s", code)
	}
	structured(t, call(t, cs, "komodo_read_GetBuild", `{"id":"web-frontend"}`))

	// "Show all GitHub repositories"
	envelope(t, call(t, cs, "komodo_read_ListRepos", `{"provider":"github"}`), 2, 1, 50)
	envelope(t, call(t, cs, "komodo_read_ListRepos", `{"provider":"gitlab"}`), 0, 1, 50)
	structured(t, call(t, cs, "komodo_read_GetRepo", `{"id":"docs-site"}`))

	// "Show all manual trigger procedures": the three triggers partition the procedures.
	total := 0
	for _, trig := range []string{"manual", "scheduled", "webhook"} {
		m := structured(t, call(t, cs, "komodo_read_ListProcedures", `{"trigger":"`+trig+`"}`))
		total += int(m["total"].(float64))
	}
	if all := structured(t, call(t, cs, "komodo_read_ListProcedures", `{}`)); total < int(all["total"].(float64)) {
		t.Errorf("trigger filters cover %d of %v procedures", total, all["total"])
	}
	structured(t, call(t, cs, "komodo_read_GetProcedure", `{"id":"nightly-release"}`))

	// "Show all enabled script actions"
	envelope(t, call(t, cs, "komodo_read_ListActions", `{"type":"script","enabled":true}`), 2, 1, 50)
	refused(t, call(t, cs, "komodo_read_ListActions", `{"type":"api"}`), "`type`")
	refused(t, call(t, cs, "komodo_read_ListActions", `{"enabled":false}`), "`enabled`")
	structured(t, call(t, cs, "komodo_read_GetAction", `{"id":"notify-release"}`))

	// "Show all critical unresolved alerts"
	alerts := envelope(t, call(t, cs, "komodo_read_ListAlerts", `{"severity":"critical","resolved":false}`), 2, 1, 50)
	for _, a := range alerts {
		if a["level"] != "CRITICAL" || a["resolved"] != false {
			t.Errorf("alert filter let %v/%v through", a["level"], a["resolved"])
		}
	}
	for _, a := range envelope(t, call(t, cs, "komodo_read_ListAlerts", `{"resource_type":"server"}`), -1, 1, 50) {
		if a["target"].(map[string]any)["type"] != "Server" {
			t.Errorf("resource_type=server let %v through", a["target"])
		}
	}
	alertID := alerts[0]["_id"].(map[string]any)["$oid"].(string)
	if got := structured(t, call(t, cs, "komodo_read_GetAlert", `{"id":"`+alertID+`"}`)); got["level"] != "CRITICAL" {
		t.Errorf("GetAlert = %v", got)
	}
}

// execute checks the execute result fields (job_id, status, started_at, the target).
func execute(t *testing.T, cs *mcp.ClientSession, tool, args, targetKey string) map[string]any {
	t.Helper()
	m := structured(t, call(t, cs, tool, args))
	for _, k := range []string{"job_id", "status", "started_at", "update", targetKey} {
		if m[k] == nil || m[k] == "" {
			t.Errorf("%s result lacks %s: %v", tool, k, m)
		}
	}
	return m
}

// TestGuide_ExecuteTools calls the 9 execute tools with the seed contract's examples and
// checks each option's mapping or refusal.
func TestGuide_ExecuteTools(t *testing.T) {
	cs, s := seedSession(t)

	// "Deploy deployment dep_456def" (with force: Komodo always redeploys).
	m := execute(t, cs, "komodo_execute_Deploy", `{"id":"web-frontend","options":{"force":true}}`, "deployment_id")
	if m["status"] != "queued" && m["status"] != "running" {
		t.Errorf("Deploy without waiting: status %v", m["status"])
	}
	refused(t, call(t, cs, "komodo_execute_Deploy", `{"id":"web-frontend","options":{"skipPull":true}}`), "skipPull")
	refused(t, call(t, cs, "komodo_execute_Deploy", `{"id":"web-frontend","options":{"stopBeforeStart":false}}`), "stopBeforeStart")

	// "Build bld_xyz789 with no cache": refused with the alternative named; a plain build runs RunBuild.
	refused(t, call(t, cs, "komodo_execute_Build", `{"id":"web-frontend","options":{"skipCache":true}}`), "skipCache")
	s.ResetCounts()
	if m := execute(t, cs, "komodo_execute_Build", `{"id":"web-frontend","options":{"forceBuild":true}}`, "build_id"); !strings.HasSuffix(m["log_url"].(string), "/builds/"+m["build_id"].(string)) {
		t.Errorf("build log_url = %v", m["log_url"])
	}
	if s.Count("RunBuild") != 1 {
		t.Errorf("komodo_execute_Build sent %d RunBuild", s.Count("RunBuild"))
	}

	// Server lifecycle.
	s.ResetCounts()
	// Each waits: Komodo refuses work on a server that is busy with another job.
	if m := execute(t, cs, "komodo_execute_StartServer", `{"id":"prod-1","options":{"waitForHealthy":true}}`, "server_id"); m["healthy"] != true {
		t.Errorf("start and wait for healthy: %v healthy=%v", m["status"], m["healthy"])
	}
	m = execute(t, cs, "komodo_execute_RestartServer", `{"id":"prod-1","options":{"waitForHealthy":true}}`, "server_id")
	if m["status"] != "succeeded" || m["healthy"] != true || m["duration_ms"] == nil {
		t.Errorf("restart and wait for healthy: %v healthy=%v", m["status"], m["healthy"])
	}
	execute(t, cs, "komodo_execute_StopServer", `{"id":"prod-1","options":{"timeout":60}}`, "server_id")
	if s.Count("StartAllContainers") != 1 || s.Count("RestartAllContainers") != 1 || s.Count("StopAllContainers") != 1 {
		t.Errorf("server lifecycle counts: %v", s.Counts())
	}
	refused(t, call(t, cs, "komodo_execute_StopServer", `{"id":"prod-1","options":{"force":true}}`), "force")
	refused(t, call(t, cs, "komodo_execute_StopServer", `{"id":"prod-1","options":{"removeContainer":true}}`), "removeContainer")
	refused(t, call(t, cs, "komodo_execute_RestartServer", `{"id":"prod-1","options":{"force":true}}`), "force")
	// An execution on an unreachable server fails in the Update, not over HTTP.
	m = execute(t, cs, "komodo_execute_RestartServer", `{"id":"edge-1","wait":true}`, "server_id")
	if m["status"] != "failed" || m["failed_stage"] == nil {
		t.Errorf("restart on a NotOk server: status %v failed_stage %v", m["status"], m["failed_stage"])
	}

	// "Run procedure proc_123 with variable ENV=production": Komodo has no run-time variables.
	refused(t, call(t, cs, "komodo_execute_RunProcedure", `{"id":"restart-monitoring","variables":{"ENV":"production"}}`), "variables")
	m = execute(t, cs, "komodo_execute_RunProcedure", `{"id":"restart-monitoring","options":{"async":false}}`, "execution_id")
	if m["status"] != "succeeded" && m["status"] != "failed" {
		t.Errorf("async=false should wait to the end, got %v", m["status"])
	}

	// "Trigger action act_456 with payload {"target": "production"}"
	execute(t, cs, "komodo_execute_TriggerAction", `{"id":"notify-release","payload":{"target":"production"}}`, "action_id")
	refused(t, call(t, cs, "komodo_execute_TriggerAction", `{"id":"notify-release","options":{"retryOnFailure":true}}`), "retryOnFailure")

	// Repositories.
	// The usage guide's own example: the repo's configured branch is what Komodo pulls.
	execute(t, cs, "komodo_execute_PullRepo", `{"id":"docs-site","options":{"branch":"main"}}`, "repo_id")
	refused(t, call(t, cs, "komodo_execute_PullRepo", `{"id":"docs-site","options":{"branch":"gh-pages"}}`), "branch")
	refused(t, call(t, cs, "komodo_execute_PullRepo", `{"id":"docs-site","options":{"force":true}}`), "force")
	execute(t, cs, "komodo_execute_PullRepo", `{"id":"docs-site"}`, "repo_id")
	refused(t, call(t, cs, "komodo_execute_CloneRepo", `{"id":"docs-site","options":{"depth":1}}`), "depth")
	execute(t, cs, "komodo_execute_CloneRepo", `{"id":"docs-site","options":{"overwrite":true}}`, "repo_id")

	// Resume waiting on a job.
	m = execute(t, cs, "komodo_execute_Deploy", `{"id":"api-gateway"}`, "deployment_id")
	final := structured(t, call(t, cs, "komodo_read_WaitForUpdate", `{"id":"`+m["job_id"].(string)+`"}`))
	if final["status"] != "succeeded" && final["status"] != "failed" {
		t.Errorf("WaitForUpdate ended with %v", final["status"])
	}
}

// TestGuide_EveryListPages checks that lists beyond the seed contract's also answer the envelope.
func TestGuide_EveryListPages(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}})
	items := envelope(t, call(t, cs, "komodo_read_ListTags", `{"page_size":2}`), 5, 1, 2)
	if len(items) != 2 {
		t.Errorf("ListTags page of 2 has %d", len(items))
	}
	envelope(t, call(t, cs, "komodo_read_ListUpdates", `{"page_size":3}`), -1, 1, 3)
	// Komodo's own query parameters stay available.
	if got := names(envelope(t, call(t, cs, "komodo_read_ListServers", `{"query":{"names":["prod-2"]}}`), 1, 1, 50)); !slices.Equal(got, []string{"prod-2"}) {
		t.Errorf("query.names = %v", got)
	}
}

// TestGuide_StatusGroupsFollowKomodo: a crash-looping deployment (`restarting`) and an
// unhealthy stack (some containers down) are failed; `unknown` (server unreachable) is a
// status of its own.
func TestGuide_StatusGroupsFollowKomodo(t *testing.T) {
	cs, s := seedSession(t)
	if err := s.SetState("Stack", "monitoring", "unhealthy"); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ tool, status, want string }{
		{"komodo_read_ListDeployments", "failed", "redis-cache"}, // restarting
		{"komodo_read_ListDeployments", "unknown", "edge-proxy"},
		{"komodo_read_ListStacks", "failed", "monitoring"},
		{"komodo_read_ListStacks", "unknown", "traefik"},
	} {
		got := names(envelope(t, call(t, cs, c.tool, fmt.Sprintf(`{"status":%q}`, c.status)), -1, 1, 50))
		if !slices.Contains(got, c.want) {
			t.Errorf("%s status=%s = %v, want %s", c.tool, c.status, got, c.want)
		}
	}
	if got := names(envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"status":"deploying"}`), -1, 1, 50)); slices.Contains(got, "redis-cache") {
		t.Errorf("a crash loop is not deploying: %v", got)
	}
	if got := names(envelope(t, call(t, cs, "komodo_read_ListStacks", `{"status":"active"}`), -1, 1, 50)); slices.Contains(got, "monitoring") {
		t.Errorf("an unhealthy stack is not active: %v", got)
	}
}

// TestGuide_UnhealthyDeploymentIsFailed: a deployment whose container fails its health check
// (Komodo's state `unhealthy`) is in the `failed` status bucket, not in `running`.
func TestGuide_UnhealthyDeploymentIsFailed(t *testing.T) {
	cs, s := seedSession(t)
	if err := s.SetState("Deployment", "web-frontend", "unhealthy"); err != nil {
		t.Fatal(err)
	}
	if got := names(envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"status":"failed"}`), -1, 1, 50)); !slices.Contains(got, "web-frontend") {
		t.Errorf("status=failed = %v, want the unhealthy web-frontend", got)
	}
	if got := names(envelope(t, call(t, cs, "komodo_read_ListDeployments", `{"status":"running"}`), -1, 1, 50)); slices.Contains(got, "web-frontend") {
		t.Errorf("status=running = %v, want no unhealthy deployment", got)
	}
}
