package params

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/follow"
)

// ExecuteResult shapes an execute answer: job_id, status, the target's id, started_at
// (and finished_at, success, duration_ms, the failing stage once complete) around
// Komodo's own Update, which stays complete under "update". Procedures and actions also
// answer execution_id, builds log_url (the build's page in Komodo's UI, under
// komodoURL).
func ExecuteResult(update map[string]any, komodoURL string) map[string]any {
	id, _ := nested(update, "_id", "$oid").(string)
	if id == "" {
		return unstoredResult(update)
	}
	out := map[string]any{
		"job_id":    id,
		"status":    status(update),
		"operation": update["operation"],
		"update":    update,
	}
	if target, ok := update["target"].(map[string]any); ok {
		out["target"] = target
		if typ, _ := target["type"].(string); typ != "" {
			out[strings.ToLower(typ)+"_id"] = target["id"]
		}
	}
	switch out["operation"] {
	case "RunProcedure", "RunAction":
		out["execution_id"] = id
	case "RunBuild":
		if bid, ok := out["build_id"].(string); ok && bid != "" {
			out["log_url"] = komodoURL + "/builds/" + bid
		}
	}
	if ts, ok := Millis(update["start_ts"]); ok {
		out["started_at"] = time.UnixMilli(ts).UTC().Format(time.RFC3339)
	}
	if update["status"] != "Complete" {
		out["hint"] = fmt.Sprintf("Komodo is running it: follow with komodo_read_WaitForUpdate {\"id\": %q} (or komodo_read_GetUpdate), or call with wait: true", id)
		return out
	}
	if end, ok := Millis(update["end_ts"]); ok {
		out["finished_at"] = time.UnixMilli(end).UTC().Format(time.RFC3339)
	}
	out["success"] = update["success"]
	raw, err := json.Marshal(update)
	if err != nil {
		return out
	}
	if o, err := follow.OutcomeOf(raw); err == nil {
		out["duration_ms"] = o.Duration.Milliseconds()
		if o.FailedStage != "" {
			out["failed_stage"], out["stderr_tail"] = o.FailedStage, o.StderrTail
		}
	}
	return out
}

// unstoredResult shapes an Update Komodo did not store, so without an id: DeployStackIfChanged
// always answers one (bin/core/src/helpers/update.rs:277-281) and decides in the background
// whether the stack changed. There is nothing to wait on; the result says what happens instead.
func unstoredResult(update map[string]any) map[string]any {
	out := map[string]any{
		"status":    "accepted",
		"operation": update["operation"],
		"update":    update,
		"note": "Komodo gives no update id here: it compares the stack's compose files in the background and deploys only if they changed. " +
			"A deploy appears as a new DeployStack update of this stack (komodo_read_ListUpdates); call with wait: true to look for it.",
	}
	if target, ok := update["target"].(map[string]any); ok {
		out["target"] = target
		if typ, _ := target["type"].(string); typ != "" {
			out[strings.ToLower(typ)+"_id"] = target["id"]
		}
	}
	return out
}

// status is the Update's state in one word: queued, running, succeeded or failed.
func status(update map[string]any) string {
	switch update["status"] {
	case "Queued":
		return "queued"
	case "InProgress":
		return "running"
	}
	if ok, _ := update["success"].(bool); ok {
		return "succeeded"
	}
	return "failed"
}

// Millis reads a Komodo timestamp (milliseconds) from decoded JSON.
func Millis(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	}
	return 0, false
}
