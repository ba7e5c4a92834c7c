package taskbench

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Task is one operator question and the script of an assistant answering it.
type Task struct {
	Question string
	// Run answers the question through the session, as an assistant would: pick the tool
	// the descriptions suggest, read the answer, follow up only when the answer lacks
	// what the question asks.
	Run func(ctx context.Context, s *Session) (string, error)
}

// Tasks are the scripted questions, in the order they run: the writes come before
// "what changed in the last hour?", which should see them.
var Tasks = []Task{
	{"Which servers are not healthy, and why?", serversNotHealthy},
	{"Which deployments are not running?", deploymentsNotRunning},
	{"Is api-gateway running, and when was it last deployed?", deploymentStatus},
	{"How loaded is prod-1 (CPU, memory, disk)?", serverLoad},
	{"What failed in the last build?", lastBuildFailure},
	{"Are there open critical alerts?", openCriticalAlerts},
	{"Show the last 20 log lines of api-gateway.", deploymentLogTail},
	{"Any errors in the monitoring stack's logs?", stackLogErrors},
	{"Where does redis run?", whereIsRedis},
	{"Restart the monitoring stack.", restartMonitoring},
	{"Deploy web-frontend and tell me whether it worked.", deployWebFrontend},
	{"Prune unused images on prod-1.", pruneImages},
	{"What changed in the last hour?", changedLastHour},
}

// Everyday are seven calls an assistant makes all day, measured on their own (bytes of
// the result's text) to compare result sizes with other Komodo MCP servers.
var Everyday = []struct {
	Tool string
	Args map[string]any
}{
	{"komodo_read_ListServers", nil},
	{"komodo_read_ListStacks", nil},
	{"komodo_read_ListDeployments", nil},
	{"komodo_read_GetServer", map[string]any{"id": "prod-1"}},
	{"komodo_read_GetStack", map[string]any{"id": "monitoring"}},
	{"komodo_read_GetDeployment", map[string]any{"id": "api-gateway"}},
	{"komodo_read_ListAlerts", map[string]any{"resolved": false}},
}

func serversNotHealthy(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_read_ListServers", nil, "list servers")
	if err != nil {
		return "", err
	}
	var bad []string
	for _, it := range items(res) {
		state := first(it, "state", "info.state")
		if state != "Ok" {
			bad = append(bad, fmt.Sprintf("%s (%s: %s)", str(it, "name"), state, first(it, "err.error", "info.err.error")))
		}
	}
	return sortedJoin(bad), nil
}

func deploymentsNotRunning(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_read_ListDeployments", nil, "list deployments")
	if err != nil {
		return "", err
	}
	var out []string
	for _, it := range items(res) {
		if state := first(it, "state", "info.state"); state != "running" {
			out = append(out, str(it, "name")+" ("+state+")")
		}
	}
	return sortedJoin(out), nil
}

func deploymentStatus(ctx context.Context, s *Session) (string, error) {
	d, err := s.Use(ctx, "komodo_read_GetDeployment", map[string]any{"id": "api-gateway"}, "get deployment")
	if err != nil {
		return "", err
	}
	state := first(d, "info.state", "state")
	if state == "" { // the configuration alone does not say: look the deployment up in the list
		list, err := s.Use(ctx, "komodo_read_ListDeployments", nil, "list deployments")
		if err != nil {
			return "", err
		}
		for _, it := range items(list) {
			if str(it, "name") == "api-gateway" {
				state = first(it, "state", "info.state")
			}
		}
	}
	deployed := first(d, "last_deploy.time", "last_deploy.start_ts")
	if deployed == "" { // find the last Deploy among the updates
		ups, err := s.Use(ctx, "komodo_read_ListUpdates", map[string]any{"operation": "Deploy", "target": "api-gateway", "page_size": 1}, "list updates of a deployment")
		if err != nil {
			return "", err
		}
		if list := items(ups); len(list) > 0 {
			deployed = str(list[0], "start_ts")
		}
	}
	return fmt.Sprintf("state %s, last deployed %s", state, deployed), nil
}

func serverLoad(ctx context.Context, s *Session) (string, error) {
	srv, err := s.Use(ctx, "komodo_read_GetServer", map[string]any{"id": "prod-1"}, "get server")
	if err != nil {
		return "", err
	}
	stats, _ := srv["info"].(map[string]any)["stats"].(map[string]any)
	if stats == nil {
		if stats, err = s.Use(ctx, "komodo_read_GetSystemStats", map[string]any{"id": "prod-1"}, "server cpu memory disk stats"); err != nil {
			return "", err
		}
	}
	return fmt.Sprintf("cpu %s%%, memory %s/%s GB, disk %s/%s GB", str(stats, "cpu_perc"),
		str(stats, "mem_used_gb"), str(stats, "mem_total_gb"), str(stats, "disk_used_gb"), str(stats, "disk_total_gb")), nil
}

func lastBuildFailure(ctx context.Context, s *Session) (string, error) {
	ups, err := s.Use(ctx, "komodo_read_ListUpdates", map[string]any{"operation": "RunBuild", "success": false, "page_size": 1}, "list updates failed builds")
	if err != nil {
		return "", err
	}
	list := items(ups)
	if len(list) == 0 {
		return "no failed build", nil
	}
	u := list[0]
	target := first(u, "target.name", "target.id")
	stage, tail := str(u, "failed_stage"), str(u, "stderr_tail")
	if stage == "" { // the list does not say which stage failed: read the update
		full, err := s.Use(ctx, "komodo_read_GetUpdate", map[string]any{"id": first(u, "id", "_id.$oid")}, "get update")
		if err != nil {
			return "", err
		}
		logs, _ := full["logs"].([]any)
		for _, l := range logs {
			if m, _ := l.(map[string]any); m != nil && m["success"] == false {
				stage, tail = str(m, "stage"), str(m, "stderr")
			}
		}
	}
	return fmt.Sprintf("%s failed at %s: %s", target, stage, tail), nil
}

func openCriticalAlerts(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_read_ListAlerts", map[string]any{"severity": "critical", "resolved": false}, "list alerts")
	if err != nil {
		return "", err
	}
	var out []string
	for _, a := range items(res) {
		out = append(out, fmt.Sprintf("%s on %s", str(a, "data.type"), first(a, "target.name", "data.data.name", "target.id")))
	}
	return sortedJoin(out), nil
}

func deploymentLogTail(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_read_GetDeploymentLog", map[string]any{"id": "api-gateway", "tail": 20}, "deployment container logs")
	if err != nil {
		return "", err
	}
	lines := 0
	for _, stream := range []string{"stdout", "stderr"} {
		if out := strings.TrimSpace(str(res, stream)); out != "" {
			lines += strings.Count(out, "\n") + 1
		}
	}
	return fmt.Sprintf("%d lines", lines), nil
}

func stackLogErrors(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_read_SearchStackLog", map[string]any{"id": "monitoring", "terms": []string{"error"}}, "search stack logs")
	if err != nil {
		return "", err
	}
	out := strings.TrimSpace(str(res, "stdout"))
	if out == "" {
		return "no errors", nil
	}
	return fmt.Sprintf("%d matching lines", strings.Count(out, "\n")+1), nil
}

func whereIsRedis(ctx context.Context, s *Session) (string, error) {
	if s.Offered("komodo_read_FindResources") {
		res, err := s.Use(ctx, "komodo_read_FindResources", map[string]any{"query": "redis"}, "find resources by name")
		if err != nil {
			return "", err
		}
		var out []string
		for _, it := range items(res) {
			out = append(out, fmt.Sprintf("%s %s on %s", str(it, "type"), str(it, "name"), first(it, "server", "server_name", "info.server_name")))
		}
		return sortedJoin(out), nil
	}
	// Without a search by name, look through deployments and stacks.
	var out []string
	for _, tool := range []string{"komodo_read_ListDeployments", "komodo_read_ListStacks"} {
		res, err := s.Use(ctx, tool, nil, "list")
		if err != nil {
			return "", err
		}
		for _, it := range items(res) {
			if strings.Contains(str(it, "name"), "redis") {
				out = append(out, fmt.Sprintf("%s on %s", str(it, "name"), first(it, "server_name", "info.server_name")))
			}
		}
	}
	return sortedJoin(out), nil
}

// outcome reads an execute result: its status, and where it failed.
func outcome(res map[string]any) string {
	out := str(res, "status")
	if stage := str(res, "failed_stage"); stage != "" {
		out += " at " + stage
	}
	return out
}

func restartMonitoring(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_execute_RestartStack", map[string]any{"id": "monitoring", "wait": true}, "restart stack")
	if err != nil {
		return "", err
	}
	return outcome(res), nil
}

func deployWebFrontend(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_execute_Deploy", map[string]any{"id": "web-frontend", "wait": true}, "deploy")
	if err != nil {
		return "", err
	}
	return outcome(res), nil
}

func pruneImages(ctx context.Context, s *Session) (string, error) {
	res, err := s.Use(ctx, "komodo_execute_PruneImages", map[string]any{"id": "prod-1", "wait": true}, "prune unused docker images on a server")
	if err != nil {
		return "", err
	}
	return outcome(res), nil
}

func changedLastHour(ctx context.Context, s *Session) (string, error) {
	since := time.Now().UTC().Add(-time.Hour).Format(time.RFC3339)
	res, err := s.Use(ctx, "komodo_read_ListUpdates", map[string]any{"since": since}, "list updates since")
	if err != nil {
		return "", err
	}
	var out []string
	for _, u := range items(res) {
		out = append(out, fmt.Sprintf("%s %s", str(u, "operation"), first(u, "target.name", "target.id")))
	}
	return sortedJoin(out), nil
}
