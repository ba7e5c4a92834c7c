package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/follow"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// deployIfChangedWindow bounds how long a wait looks for the deploy DeployStackIfChanged may
// start: Komodo first refreshes the stack's files (a git pull for repo stacks), then decides.
const deployIfChangedWindow = 10 * time.Second

// unstored reports an Update without an id, such as DeployStackIfChanged answers.
func unstored(u map[string]any) bool {
	return updateID(u) == ""
}

// findStarted looks, for an unstored Update, for the update Komodo started in the background
// (DeployStackIfChanged deploying a changed stack). It answers that Update, or nil when none
// started within the window (nothing changed).
func (s *Server) findStarted(ctx context.Context, u map[string]any, deadline time.Time) (map[string]any, error) {
	target, _ := u["target"].(map[string]any)
	typ, _ := target["type"].(string)
	id, _ := target["id"].(string)
	since, _ := params.Millis(u["start_ts"])
	if typ == "" || id == "" {
		return nil, nil
	}
	window := min(deployIfChangedWindow, time.Until(deadline))
	found, err := follow.Started(ctx, s.rpc, typ, id, follow.DeployIfChangedOperations, since, window, s.opts.PollInterval)
	if err != nil || found == "" {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"id": found})
	data, err := s.rpc.Call(ctx, "POST", "/read/GetUpdate", body)
	if err != nil {
		return nil, err
	}
	v, err := decodeJSON(data)
	started, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update"}
	}
	return s.redact.typed("Update", started).(map[string]any), nil
}

// afterExecute shapes an execute answer and, when asked, waits for the work to finish.
// A Batch answer ({status, data} items) is shaped item by item, its updates followed
// together.
// A failure while waiting is an error that says the work was started (Komodo accepted it).
func (s *Server) afterExecute(ctx context.Context, req *mcp.CallToolRequest, plan *params.Plan, answer any) (*mcp.CallToolResult, error) {
	deadline := time.Now().Add(s.waitCap(plan.Wait.Limit))
	var updates []map[string]any // the Updates to shape, in order
	batch, isBatch := answer.([]any)
	switch v := answer.(type) {
	case map[string]any:
		updates = []map[string]any{v}
	case []any: // Batch*: [{"status": "Ok", "data": Update} | {"status": "Err", "data": {...}}]
		for _, it := range v {
			if item, _ := it.(map[string]any); item["status"] == "Ok" {
				if u, ok := item["data"].(map[string]any); ok {
					updates = append(updates, u)
				}
			}
		}
	default:
		return success(wrap("value", answer)), nil
	}

	shaped := make([]map[string]any, len(updates))
	results := make([]*follow.Result, len(updates))
	unchanged := make([]bool, len(updates)) // an unstored Update after which nothing started
	startedBy := make([]bool, len(updates)) // an Update found in place of an unstored one
	if plan.Wait.Enabled {
		for i, u := range updates {
			if !unstored(u) {
				continue
			}
			started, err := s.findStarted(ctx, u, deadline)
			if err != nil {
				return nil, startedButUnfollowed(err)
			}
			if started == nil {
				unchanged[i] = true
			} else {
				updates[i], startedBy[i] = started, true
			}
		}
	}
	if plan.Wait.Enabled {
		var err error
		if results, err = s.follow(ctx, req, updates, time.Until(deadline)); err != nil {
			return nil, startedButUnfollowed(err)
		}
	}
	for i, u := range updates {
		if res := results[i]; res != nil && res.Update != nil {
			if v, err := decodeJSON(res.Update); err == nil {
				u = s.redact.typed("Update", v).(map[string]any)
			}
		}
		out := params.ExecuteResult(u, s.rpc.URL())
		switch {
		case unchanged[i]:
			out["status"] = "unchanged"
			out["note"] = fmt.Sprintf("Komodo started no deploy of this stack within %s of the request: its compose files did not change. "+
				"(A slow git fetch could still start one later: komodo_read_ListUpdates shows it.)", deployIfChangedWindow)
		case startedBy[i]:
			out["note"] = "The stack had changed: this is the update Komodo started for it."
		}
		if res := results[i]; res != nil {
			out["followed_via"] = res.Via
			if !res.Complete {
				out["note"] = fmt.Sprintf("stopped waiting after %s (the wait cap); Komodo is still working: resume with komodo_read_WaitForUpdate {\"id\": %q}", res.Waited.Round(time.Second), res.UpdateID)
			}
		}
		if hint := cancelHint(u); hint != "" && u["status"] != "Complete" {
			out["cancel"] = hint
		}
		if plan.Wait.Healthy && u["success"] == true {
			s.waitHealthy(ctx, plan, out, deadline)
		}
		if full, ok := out["update"].(map[string]any); ok {
			out["update"] = executedUpdate(ctx, full)
		}
		shaped[i] = out
	}
	if !isBatch {
		return success(shaped[0]), nil
	}
	items := make([]any, len(batch))
	next := 0
	for i, it := range batch {
		if item, _ := it.(map[string]any); item["status"] == "Ok" && next < len(shaped) {
			items[i] = map[string]any{"status": "Ok", "data": shaped[next]}
			next++
		} else {
			items[i] = it
		}
	}
	return success(map[string]any{"items": items}), nil
}

// startedButUnfollowed is the error of a wait that failed after Komodo accepted the work:
// the work was started, whatever came of it.
func startedButUnfollowed(err error) *errcode.Error {
	e := *rpc.AsError(err)
	e.MayHaveBeenApplied = true
	e.Hint = strings.TrimSpace("Komodo accepted the work before waiting for it failed: check komodo_read_ListUpdates before repeating it. " + e.Hint)
	return &e
}

// cancelHint says how to cancel work Komodo can cancel; komodo-mcp never cancels on its own.
func cancelHint(update map[string]any) string {
	target, _ := update["target"].(map[string]any)
	id, _ := target["id"].(string)
	uid := updateID(update)
	switch update["operation"] {
	case "RunBuild":
		return fmt.Sprintf("to cancel: komodo_execute_CancelBuild {\"build\": %q}", id)
	case "BuildRepo":
		return fmt.Sprintf("to cancel: komodo_execute_CancelRepoBuild {\"repo\": %q}", id)
	case "RunProcedure":
		return fmt.Sprintf("to cancel: komodo_execute_CancelProcedure {\"procedure\": %q, \"update_id\": %q}", id, uid)
	case "RunAction":
		return fmt.Sprintf("to cancel: komodo_execute_CancelAction {\"action\": %q, \"update_id\": %q}", id, uid)
	}
	return ""
}

// waitCap bounds a wait: below common client timeouts, never above what was asked.
func (s *Server) waitCap(asked time.Duration) time.Duration {
	if asked > 0 && asked < s.opts.WaitCap {
		return asked
	}
	return s.opts.WaitCap
}

// follow waits for updates to complete (over Komodo's /ws/update websocket, or by polling
// GetUpdate), sending MCP progress notifications for each new log stage and a heartbeat
// when the client asked for progress. Results are in the order of updates.
func (s *Server) follow(ctx context.Context, req *mcp.CallToolRequest, updates []map[string]any, limit time.Duration) ([]*follow.Result, error) {
	ids := make([]string, len(updates))
	for i, u := range updates {
		ids[i] = updateID(u)
	}
	opts := follow.Options{
		Cap:          max(limit, time.Millisecond),
		PollInterval: s.opts.PollInterval,
		Heartbeat:    s.opts.Heartbeat,
		OnProgress:   progressNotifier(ctx, req),
		Login:        s.updateLogin(ctx),
		Logger:       s.logger,
	}
	results := make([]*follow.Result, len(ids))
	var stored []string // Updates without an id (unstored, nothing started) have nothing to follow
	var at []int
	for i, id := range ids {
		if id != "" {
			stored, at = append(stored, id), append(at, i)
		}
	}
	switch len(stored) {
	case 0:
		return results, nil
	case 1:
		res, err := follow.Wait(ctx, s.rpc, stored[0], opts)
		if err != nil {
			return nil, err
		}
		results[at[0]] = res
		return results, nil
	}
	items, err := follow.WaitAll(ctx, s.rpc, stored, opts)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		results[at[i]] = it.Result
	}
	return results, nil
}

// updateLogin is the /ws/update login of the request's caller (pass-through) or of the
// configured credentials; nil (polling only) in hmac mode, whose signature headers the
// websocket cannot carry.
func (s *Server) updateLogin(ctx context.Context) follow.Login {
	if s.rpc.PassThrough() {
		c, ok := auth.CallerFrom(ctx)
		switch {
		case !ok:
			return nil
		case c.JWT != "":
			return follow.JWTLogin(c)
		default:
			return follow.APIKeyLogin(c.APIKey, c.APISecret)
		}
	}
	switch s.rpc.AuthMode() {
	case auth.ModeAPIKey:
		return follow.APIKeyLogin(s.rpc.APIKey())
	case auth.ModeJWT:
		if jwt := s.rpc.Session(); jwt != nil {
			return follow.JWTLogin(jwt)
		}
	}
	return nil
}

// progressNotifier turns follow's progress into MCP progress notifications when the client
// gave a progress token. The progress value counts notifications, so it always increases
// as the protocol requires; the message names the stage.
//
// Notifications are sent with the call's context values (not its cancellation): they
// carry the request id by which streamable HTTP writes them on the call's own stream,
// before its result. With a bare context they went to the standalone stream, unordered
// with the result, or nowhere when the client had none open.
func progressNotifier(ctx context.Context, req *mcp.CallToolRequest) func(follow.Progress) {
	if req == nil || req.Session == nil || req.Params.GetProgressToken() == nil {
		return nil
	}
	token := req.Params.GetProgressToken()
	notifyCtx := context.WithoutCancel(ctx)
	var sent float64
	return func(p follow.Progress) {
		sent++
		msg := p.Message
		if msg == "" {
			msg = "stage " + p.Stage
		}
		note := &mcp.ProgressNotificationParams{ProgressToken: token, Progress: sent, Message: msg}
		if p.Total > 0 {
			note.Total = float64(max(p.Total, int(sent)))
		}
		// A lost notification only costs the client a progress line: the result still comes.
		_ = req.Session.NotifyProgress(notifyCtx, note)
	}
}

// waitHealthy polls the server's state until it is Ok or the deadline passes and records
// the outcome in out.
func (s *Server) waitHealthy(ctx context.Context, plan *params.Plan, out map[string]any, deadline time.Time) {
	server, _ := plan.Args["server"].(string)
	body, _ := json.Marshal(map[string]string{"server": server})
	for {
		data, err := s.rpc.Call(ctx, "POST", "/read/GetServerState", body)
		if err != nil {
			out["healthy"], out["health_error"] = false, rpc.AsError(err).Message
			return
		}
		var st struct{ Status string }
		if err := json.Unmarshal(data, &st); err != nil {
			out["healthy"], out["health_error"] = false, "GetServerState answered no state: "+err.Error()
			return
		}
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
func waitUpdateTool() *Tool {
	return &Tool{
		Def: &mcp.Tool{
			Name:        "komodo_read_WaitForUpdate",
			Title:       "Wait for update",
			Description: "Wait for a Komodo Update (the job an execute tool started) to complete, up to the wait cap or `timeout` seconds, and answer its final state: success, duration, the failing stage and the tail of its output. Call again to keep waiting.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["id"],"properties":{"id":{"type":"string","description":"The update id (job_id of an execute result)."},"timeout":{"type":"number","minimum":1,"maximum":3600,"description":"Seconds to wait at most (default and maximum: the server's wait cap)."}}}`),
			Annotations: annotations("Wait for update", catalog.EffectRead, true),
		},
		Effect:    catalog.EffectRead,
		Operation: "GetUpdate",
		Module:    "read",
		Toolset:   "updates",
		Default:   true,
		Handler: func(s *Server) Handler {
			return func(ctx context.Context, c *Call) (*mcp.CallToolResult, error) {
				req, args := c.Request, c.Args
				id, _ := args["id"].(string)
				if id == "" {
					return nil, invalid("missing required argument `id`: the update id", "use the job_id of an execute result")
				}
				limit, _ := params.Seconds(args, "timeout")
				body, _ := json.Marshal(map[string]string{"id": id})
				data, err := s.rpc.Call(ctx, "POST", "/read/GetUpdate", body)
				if err != nil {
					return nil, rpc.AsError(err)
				}
				v, err := decodeJSON(data)
				update, ok := v.(map[string]any)
				if err != nil || !ok {
					return nil, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update"}
				}
				plan := &params.Plan{Args: map[string]any{}, Wait: params.Wait{Enabled: true, Limit: limit}}
				return s.afterExecute(ctx, req, plan, s.redact.typed("Update", update))
			}
		},
	}
}

// updateID is an Update's id (`_id.$oid`).
func updateID(update map[string]any) string {
	id, _ := update["_id"].(map[string]any)
	oid, _ := id["$oid"].(string)
	return oid
}

// executedUpdate is the Update inside an execute result, compact as reads are: the result
// around it already says its id, operation, target, status, success and times, so the
// Update keeps its status (Queued, InProgress, Complete) and what only it has - the log
// of each stage (komodo_read_GetUpdate with raw: true gives all of it).
func executedUpdate(ctx context.Context, full map[string]any) map[string]any {
	u, ok := compact.Value(ctx, full, compact.Options{}).(map[string]any)
	if !ok {
		return full
	}
	for _, k := range []string{"_id", "operation", "success", "target", "start_ts", "end_ts", "operator"} {
		delete(u, k)
	}
	if logs, ok := u["logs"].([]any); ok {
		for _, l := range logs {
			if stage, ok := l.(map[string]any); ok {
				delete(stage, "start_ts")
				delete(stage, "end_ts")
			}
		}
	}
	return u
}
