package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// waitSpec is what an execute call does after Komodo accepted the work.
type waitSpec struct {
	enabled bool
	limit   time.Duration // 0: the server's wait cap
	healthy bool          // also wait for the server to report Ok (StartServer, RestartServer)
}

// stderrTail bounds the failing stage's output quoted in a result.
const stderrTail = 2000

// executeResult shapes an execute answer: the guide's fields (job_id, status, the target's
// id, started_at) around Komodo's own Update, which stays complete under "update".
func executeResult(update map[string]any) map[string]any {
	id, _ := nested(update, "_id", "$oid").(string)
	out := map[string]any{
		"job_id":    id,
		"status":    guideStatus(update),
		"operation": update["operation"],
		"update":    update,
	}
	if target, ok := update["target"].(map[string]any); ok {
		out["target"] = target
		if typ, _ := target["type"].(string); typ != "" {
			out[strings.ToLower(typ)+"_id"] = target["id"]
		}
	}
	if ts, ok := millis(update["start_ts"]); ok {
		out["started_at"] = time.UnixMilli(ts).UTC().Format(time.RFC3339)
	}
	if update["status"] != "Complete" {
		out["hint"] = fmt.Sprintf("Komodo is running it: follow with komodo_read_WaitForUpdate {\"id\": %q} (or komodo_read_GetUpdate), or call with wait: true", id)
		return out
	}
	if end, ok := millis(update["end_ts"]); ok {
		out["finished_at"] = time.UnixMilli(end).UTC().Format(time.RFC3339)
		if start, ok := millis(update["start_ts"]); ok {
			out["duration_ms"] = end - start
		}
	}
	out["success"] = update["success"]
	if stage, tail := failedStage(update); stage != "" {
		out["failed_stage"], out["stderr_tail"] = stage, tail
	}
	return out
}

// guideStatus is the Update's state in one word: queued, running, succeeded or failed.
func guideStatus(update map[string]any) string {
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

// failedStage names the first failed log stage and the tail of its output.
func failedStage(update map[string]any) (stage, tail string) {
	logs, _ := update["logs"].([]any)
	for _, l := range logs {
		log, _ := l.(map[string]any)
		if ok, _ := log["success"].(bool); ok {
			continue
		}
		stage, _ = log["stage"].(string)
		out, _ := log["stderr"].(string)
		if strings.TrimSpace(out) == "" {
			out, _ = log["stdout"].(string)
		}
		if len(out) > stderrTail {
			out = "..." + out[len(out)-stderrTail:]
		}
		return stage, out
	}
	return "", ""
}

func millis(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	case float64:
		return int64(n), true
	}
	return 0, false
}

// afterExecute shapes an execute answer and, when asked, waits for the work to finish.
// A Batch answer ({status, data} items) is shaped item by item.
func (s *Server) afterExecute(ctx context.Context, req *mcp.CallToolRequest, r *request, answer any) *mcp.CallToolResult {
	deadline := time.Now().Add(s.waitCap(r.wait.limit))
	one := func(update map[string]any) map[string]any {
		if r.wait.enabled {
			if final, err := s.waitForUpdate(ctx, req, update, deadline); err == nil {
				update = final
			}
		}
		out := executeResult(update)
		if r.wait.enabled && update["status"] != "Complete" {
			out["note"] = "stopped waiting at the wait cap; Komodo is still working"
		}
		if r.wait.healthy && update["success"] == true {
			s.waitHealthy(ctx, r, out, deadline)
		}
		return out
	}
	switch v := answer.(type) {
	case map[string]any:
		return success(one(v))
	case []any: // Batch*: [{"status": "Ok", "data": Update} | {"status": "Err", "data": {...}}]
		items := make([]any, len(v))
		for i, it := range v {
			item, _ := it.(map[string]any)
			if update, ok := item["data"].(map[string]any); ok && item["status"] == "Ok" {
				items[i] = map[string]any{"status": "Ok", "data": one(update)}
			} else {
				items[i] = it
			}
		}
		return success(map[string]any{"items": items})
	}
	return success(wrap("value", answer))
}

// waitCap bounds a wait: below common client timeouts, never above what was asked.
func (s *Server) waitCap(asked time.Duration) time.Duration {
	if asked > 0 && asked < s.opts.WaitCap {
		return asked
	}
	return s.opts.WaitCap
}

// waitForUpdate polls GetUpdate until the Update completes or the deadline passes,
// sending a progress notification for each new log stage when the client asked for
// progress. It returns the latest Update seen.
func (s *Server) waitForUpdate(ctx context.Context, req *mcp.CallToolRequest, update map[string]any, deadline time.Time) (map[string]any, error) {
	id, _ := nested(update, "_id", "$oid").(string)
	if id == "" {
		return update, errors.New("the answer has no update id")
	}
	notify := progressNotifier(req)
	seen := 0
	for {
		logs, _ := update["logs"].([]any)
		for ; seen < len(logs); seen++ {
			stage, _ := logs[seen].(map[string]any)["stage"].(string)
			notify(ctx, float64(seen+1), "stage: "+stage)
		}
		if update["status"] == "Complete" || !time.Now().Before(deadline) {
			return update, nil
		}
		timer := time.NewTimer(min(s.opts.PollInterval, time.Until(deadline)))
		select {
		case <-ctx.Done():
			timer.Stop()
			return update, ctx.Err()
		case <-timer.C:
		}
		body, _ := json.Marshal(map[string]string{"id": id})
		data, err := s.rpc.Call(ctx, "POST", "/read/GetUpdate", body)
		if err != nil {
			return update, err
		}
		v, err := decodeJSON(data)
		if err != nil {
			return update, err
		}
		if m, ok := v.(map[string]any); ok {
			update = s.redact.value(m).(map[string]any)
		}
	}
}

// progressNotifier sends progress notifications when the client gave a progress token.
func progressNotifier(req *mcp.CallToolRequest) func(ctx context.Context, n float64, msg string) {
	if req == nil || req.Session == nil || req.Params.GetProgressToken() == nil {
		return func(context.Context, float64, string) {}
	}
	token := req.Params.GetProgressToken()
	return func(ctx context.Context, n float64, msg string) {
		req.Session.NotifyProgress(ctx, &mcp.ProgressNotificationParams{ProgressToken: token, Progress: n, Message: msg})
	}
}

// waitHealthy polls the server's state until it is Ok or the deadline passes and records
// the outcome in out.
func (s *Server) waitHealthy(ctx context.Context, r *request, out map[string]any, deadline time.Time) {
	server, _ := r.args["server"].(string)
	body, _ := json.Marshal(map[string]string{"server": server})
	for {
		data, err := s.rpc.Call(ctx, "POST", "/read/GetServerState", body)
		if err != nil {
			out["healthy"], out["health_error"] = false, rpc.AsError(err).Message
			return
		}
		var st struct{ Status string }
		json.Unmarshal(data, &st)
		out["server_state"] = st.Status
		if st.Status == "Ok" {
			out["healthy"] = true
			return
		}
		if !time.Now().Before(deadline) {
			out["healthy"] = false
			return
		}
		select {
		case <-ctx.Done():
			out["healthy"] = false
			return
		case <-time.After(min(s.opts.PollInterval, time.Until(deadline))):
		}
	}
}

// waitUpdateTool resumes waiting on an Update: after a wait reached its cap, or for work
// started without waiting.
func waitUpdateTool() *extraTool {
	readOnly, destructive, openWorld := true, false, true
	return &extraTool{
		def: &mcp.Tool{
			Name:        "komodo_read_WaitForUpdate",
			Title:       "Wait for update",
			Description: "Wait for a Komodo Update (the job an execute tool started) to complete, up to the wait cap or `timeout` seconds, and answer its final state: success, duration, the failing stage and the tail of its output. Call again to keep waiting.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["id"],"properties":{"id":{"type":"string","description":"The update id (job_id of an execute result)."},"timeout":{"type":"number","minimum":1,"description":"Seconds to wait at most (default and maximum: the server's wait cap)."}}}`),
			Annotations: &mcp.ToolAnnotations{Title: "Wait for update", ReadOnlyHint: readOnly, DestructiveHint: &destructive, IdempotentHint: true, OpenWorldHint: &openWorld},
		},
		module:    "read",
		toolset:   "updates",
		isDefault: true,
		handler: func(s *Server) mcp.ToolHandler {
			return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
				args, err := decodeArgs(req.Params.Arguments)
				if err != nil {
					return validationFailure(err.Error(), ""), nil
				}
				id, _ := args["id"].(string)
				if id == "" {
					return validationFailure("missing required argument `id`: the update id", "use the job_id of an execute result"), nil
				}
				limit, _ := seconds(args, "timeout")
				body, _ := json.Marshal(map[string]string{"id": id})
				data, err := s.rpc.Call(ctx, "POST", "/read/GetUpdate", body)
				if err != nil {
					return failure(rpc.AsError(err), s.rpc.Secrets()), nil
				}
				v, err := decodeJSON(data)
				update, ok := v.(map[string]any)
				if err != nil || !ok {
					return failure(&errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update"}, nil), nil
				}
				r := &request{args: map[string]any{}, wait: waitSpec{enabled: true, limit: limit}}
				return s.afterExecute(ctx, req, r, s.redact.value(update)), nil
			}
		},
	}
}
