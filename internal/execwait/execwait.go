// Package execwait answers an execution: it shapes the Update Komodo started and, when the
// call asked to wait, follows it to its end (over Komodo's update websocket, or polling)
// with MCP progress notifications, finds the deploy DeployStackIfChanged started in the
// background, and waits for a server to report healthy. It also has the tool that resumes
// a wait, komodo_read_WaitForUpdate.
package execwait

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
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
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Waiter follows the work an execution started.
type Waiter struct {
	RPC    *rpc.Client    // the Komodo client; its credentials log in to the update websocket
	Redact shape.Redactor // hides credentials in the Updates it answers
	// WaitCap bounds every wait; PollInterval is how often GetUpdate is polled when the
	// websocket is unavailable; Heartbeat is the longest silence between two progress
	// notifications (server.Options says the defaults).
	WaitCap, PollInterval, Heartbeat time.Duration
	// WebsocketClient makes the update websocket's handshake (follow.Options).
	WebsocketClient *http.Client
	Logger          *slog.Logger
}

// Deps are what the wait tool's handler uses.
type Deps interface {
	Waiter() *Waiter
}

// deployIfChangedWindow bounds how long a wait looks for the deploy DeployStackIfChanged may
// start: Komodo first refreshes the stack's files (a git pull for repo stacks), then decides.
const deployIfChangedWindow = 10 * time.Second

// unstored reports an Update without an id, such as DeployStackIfChanged answers.
func unstored(u map[string]any) bool {
	return UpdateID(u) == ""
}

// findStarted looks, for an unstored Update, for the update Komodo started in the background
// (DeployStackIfChanged deploying a changed stack). It answers that Update, or nil when none
// started within the window (nothing changed).
func (s *Waiter) findStarted(ctx context.Context, u map[string]any, deadline time.Time) (map[string]any, error) {
	target, _ := u["target"].(map[string]any)
	typ, _ := target["type"].(string)
	id, _ := target["id"].(string)
	since, _ := params.Millis(u["start_ts"])
	if typ == "" || id == "" {
		return nil, nil
	}
	window := min(deployIfChangedWindow, time.Until(deadline))
	found, err := follow.Started(ctx, s.RPC, typ, id, follow.DeployIfChangedOperations, since, window, s.PollInterval)
	if err != nil || found == "" {
		return nil, err
	}
	body, _ := json.Marshal(map[string]string{"id": found})
	data, err := s.RPC.Call(ctx, "POST", "/read/GetUpdate", body)
	if err != nil {
		return nil, err
	}
	v, err := tool.DecodeJSON(data)
	started, ok := v.(map[string]any)
	if err != nil || !ok {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update"}
	}
	return s.Redact.Typed("Update", started).(map[string]any), nil
}

// AfterExecute shapes an execute answer and, when asked, waits for the work to finish.
// A Batch answer ({status, data} items) is shaped item by item, its updates followed
// together.
// A failure while waiting is an error that says the work was started (Komodo accepted it).
func (s *Waiter) AfterExecute(ctx context.Context, req *mcp.CallToolRequest, plan *params.Plan, answer any) (*mcp.CallToolResult, error) {
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
		return tool.Success(tool.Wrap("value", answer)), nil
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
			if v, err := tool.DecodeJSON(res.Update); err == nil {
				u = s.Redact.Typed("Update", v).(map[string]any)
			}
		}
		out := params.ExecuteResult(u, s.RPC.URL())
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
		return tool.Success(shaped[0]), nil
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
	return tool.Success(map[string]any{"items": items}), nil
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
	uid := UpdateID(update)
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
func (s *Waiter) waitCap(asked time.Duration) time.Duration {
	if asked > 0 && asked < s.WaitCap {
		return asked
	}
	return s.WaitCap
}

// follow waits for updates to complete (over Komodo's /ws/update websocket, or by polling
// GetUpdate), sending MCP progress notifications for each new log stage and a heartbeat
// when the client asked for progress. Results are in the order of updates.
func (s *Waiter) follow(ctx context.Context, req *mcp.CallToolRequest, updates []map[string]any, limit time.Duration) ([]*follow.Result, error) {
	ids := make([]string, len(updates))
	for i, u := range updates {
		ids[i] = UpdateID(u)
	}
	opts := follow.Options{
		Cap:          max(limit, time.Millisecond),
		PollInterval: s.PollInterval,
		Heartbeat:    s.Heartbeat,
		OnProgress:   progressNotifier(ctx, req),
		Login:        s.Login(ctx),
		Logger:       s.Logger,

		WebsocketClient: s.WebsocketClient,
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
		res, err := follow.Wait(ctx, s.RPC, stored[0], opts)
		if err != nil {
			return nil, err
		}
		results[at[0]] = res
		return results, nil
	}
	items, err := follow.WaitAll(ctx, s.RPC, stored, opts)
	if err != nil {
		return nil, err
	}
	for i, it := range items {
		results[at[i]] = it.Result
	}
	return results, nil
}

// Login is the /ws/update login of the request's caller (pass-through) or of the
// configured credentials; nil (polling only) in hmac mode, whose signature headers the
// websocket cannot carry.
func (s *Waiter) Login(ctx context.Context) follow.Login {
	if s.RPC.PassThrough() {
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
	switch s.RPC.AuthMode() {
	case auth.ModeAPIKey:
		return follow.APIKeyLogin(s.RPC.APIKey())
	case auth.ModeJWT:
		if jwt := s.RPC.Session(); jwt != nil {
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
func (s *Waiter) waitHealthy(ctx context.Context, plan *params.Plan, out map[string]any, deadline time.Time) {
	server, _ := plan.Args["server"].(string)
	body, _ := json.Marshal(map[string]string{"server": server})
	for {
		data, err := s.RPC.Call(ctx, "POST", "/read/GetServerState", body)
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
		case <-time.After(min(s.PollInterval, time.Until(deadline))):
		}
	}
}

// WaitTool resumes waiting on an Update: after a wait reached its cap, or for work
// started without waiting.
func WaitTool() *tool.Tool {
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:        "komodo_read_WaitForUpdate",
			Title:       "Wait for update",
			Description: "Wait for a Komodo Update (the job an execute tool started) to complete, up to the wait cap or `timeout` seconds, and answer its final state: success, duration, the failing stage and the tail of its output. Call again to keep waiting.",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"required":["id"],"properties":{"id":{"type":"string","description":"The update id (job_id of an execute result)."},"timeout":{"type":"number","minimum":1,"maximum":3600,"description":"Seconds to wait at most (default and maximum: the server's wait cap)."}}}`),
			Annotations: tool.Annotations("Wait for update", catalog.EffectRead, true),
		},
		Effect:    catalog.EffectRead,
		Operation: "GetUpdate",
		Module:    "read",
		Toolset:   "updates",
		Default:   true,
		Handler: tool.Bind(func(d Deps) tool.Handler {
			s := d.Waiter()
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				req, args := c.Request, c.Args
				id, _ := args["id"].(string)
				if id == "" {
					return nil, tool.Invalid("missing required argument `id`: the update id", "use the job_id of an execute result")
				}
				limit, _ := params.Seconds(args, "timeout")
				body, _ := json.Marshal(map[string]string{"id": id})
				data, err := s.RPC.Call(ctx, "POST", "/read/GetUpdate", body)
				if err != nil {
					return nil, rpc.AsError(err)
				}
				v, err := tool.DecodeJSON(data)
				update, ok := v.(map[string]any)
				if err != nil || !ok {
					return nil, &errcode.Error{Code: errcode.ServerError, Message: "GetUpdate did not answer an Update"}
				}
				plan := &params.Plan{Args: map[string]any{}, Wait: params.Wait{Enabled: true, Limit: limit}}
				return s.AfterExecute(ctx, req, plan, s.Redact.Typed("Update", update))
			}
		}),
	}
}

// UpdateID is an Update's id (`_id.$oid`).
func UpdateID(update map[string]any) string {
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

// Watch follows an Update as a waited execution does (Komodo's update websocket, polling
// when it is not available) and answers it, redacted, as soon as a stage beyond seen
// completes, the update is over, or limit passes; via says how it was followed ("" when
// it was read once).
func (s *Waiter) Watch(ctx context.Context, id string, seen int, limit time.Duration) (update any, via string, err error) {
	waitCtx, stop := context.WithCancel(ctx)
	defer stop()
	res, err := follow.Wait(waitCtx, s.RPC, id, follow.Options{
		Cap:             min(limit, s.WaitCap),
		PollInterval:    s.PollInterval,
		Heartbeat:       limit + time.Second, // the caller asks again; no heartbeat needed
		Seen:            seen,
		Login:           s.Login(ctx),
		WebsocketClient: s.WebsocketClient,
		Logger:          s.Logger,
		OnProgress: func(p follow.Progress) {
			if !p.Heartbeat && p.Index > seen {
				stop() // a new stage: answer now
			}
		},
	})
	if ctx.Err() != nil {
		return nil, "", rpc.AsError(ctx.Err())
	}
	var raw []byte
	if err == nil && res != nil && res.Complete && res.Update != nil {
		raw = res.Update
	} else {
		body, _ := json.Marshal(map[string]string{"id": id})
		if raw, err = s.RPC.Call(ctx, "POST", "/read/GetUpdate", body); err != nil {
			return nil, "", rpc.AsError(err)
		}
	}
	v, err := tool.DecodeJSON(raw)
	if err != nil {
		return nil, "", rpc.AsError(err)
	}
	if res != nil {
		via = res.Via
	}
	return s.Redact.Value(v), via, nil
}
