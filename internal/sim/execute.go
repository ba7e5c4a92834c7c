package sim

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Executions: every execute operation answers an Update that goes Queued -> InProgress
// -> Complete over Options.ExecDuration, then changes its target. Problems of the target
// (server NotOk or disabled, resource busy) complete the Update with success: false and a
// "Task Error" stage, as Komodo does; only an unknown target is an HTTP error.

// execDef is what an execution does besides the generic lifecycle.
type execDef struct {
	stages  []string
	running string                                                           // target state while in progress
	effect  func(s *Server, r *resource, u *update, p map[string]any) string // "" or a failure
	// fails, when set, says why the execution fails at failStage ("" when it does not):
	// the stages after it never run.
	fails     func(r *resource) string
	failStage string
}

// stackServiceOps: a stack execution given some services is recorded as the service
// operation (bin/core/src/helpers/update.rs, stack_service, at v2.3.2).
var stackServiceOps = map[string]string{
	"DeployStack": "DeployStackService", "PullStack": "PullStackService", "StartStack": "StartStackService",
	"RestartStack": "RestartStackService", "PauseStack": "PauseStackService", "UnpauseStack": "UnpauseStackService",
	"StopStack": "StopStackService", "DestroyStack": "DestroyStackService",
}

var execDefs = map[string]execDef{
	"Deploy":            {stages: []string{"Pull Image", "Remove Container", "Deploy Container"}, running: "deploying", effect: setState("running", "Up 1 second")},
	"PullDeployment":    {stages: []string{"Pull Image"}},
	"StartDeployment":   {stages: []string{"Start Container"}, effect: needsContainer("running", "Up 1 second")},
	"RestartDeployment": {stages: []string{"Restart Container"}, effect: needsContainer("running", "Up 1 second")},
	"PauseDeployment":   {stages: []string{"Pause Container"}, effect: needsContainer("paused", "Up 2 hours (Paused)")},
	"UnpauseDeployment": {stages: []string{"Unpause Container"}, effect: needsContainer("running", "Up 2 hours")},
	"StopDeployment":    {stages: []string{"Stop Container"}, running: "stopping", effect: needsContainer("exited", "Exited (0) 1 second ago")},
	"DestroyDeployment": {stages: []string{"Stop Container", "Remove Container"}, running: "removing", effect: setState("not_deployed", "")},

	"DeployStack":          {stages: []string{"Clone Repo", "Compose Pull", "Compose Up"}, running: "deploying", effect: deployStack},
	"DeployStackIfChanged": {stages: []string{"Clone Repo", "Compose Pull", "Compose Up"}, running: "deploying", effect: deployStack},
	"PullStack":            {stages: []string{"Compose Pull"}},
	"StartStack":           {stages: []string{"Compose Start"}, effect: stackState("running")},
	"RestartStack":         {stages: []string{"Compose Restart"}, running: "restarting", effect: stackState("running")},
	"PauseStack":           {stages: []string{"Compose Pause"}, effect: stackState("paused")},
	"UnpauseStack":         {stages: []string{"Compose Unpause"}, effect: stackState("running")},
	"StopStack":            {stages: []string{"Compose Stop"}, effect: stackState("stopped")},
	"DestroyStack":         {stages: []string{"Compose Down"}, running: "removing", effect: stackState("down")},
	"RunStackService":      {stages: []string{"Compose Run"}},

	"RunBuild":    {stages: []string{"Clone Repo", "Build Image", "Push Image"}, running: "Building", effect: runBuild, fails: brokenBuild, failStage: "Build Image"},
	"CancelBuild": {stages: []string{"Cancel Build"}},
	"CloneRepo":   {stages: []string{"Clone Repo"}, running: "Cloning", effect: pullRepo},
	"PullRepo":    {stages: []string{"Pull Repo"}, running: "Pulling", effect: pullRepo},
	"BuildRepo":   {stages: []string{"Clone Repo", "Build Repo"}, running: "Building", effect: buildRepo},
	"RunAction":   {stages: []string{"Execute Action"}, running: "Running", effect: ranAt},
	"RunSync":     {stages: []string{"Sync Resources"}, running: "Syncing", effect: setState("Ok", "")},

	"StartAllContainers":   {stages: []string{"Start All Containers"}, effect: allContainers("running", "running")},
	"RestartAllContainers": {stages: []string{"Restart All Containers"}, effect: allContainers("running", "running")},
	"UnpauseAllContainers": {stages: []string{"Unpause All Containers"}, effect: allContainers("running", "running")},
	"PauseAllContainers":   {stages: []string{"Pause All Containers"}, effect: allContainers("paused", "paused")},
	"StopAllContainers":    {stages: []string{"Stop All Containers"}, effect: allContainers("exited", "stopped")},
	"StartContainer":       {stages: []string{"Start Container"}, effect: oneContainer("running")},
	"RestartContainer":     {stages: []string{"Restart Container"}, effect: oneContainer("running")},
	"UnpauseContainer":     {stages: []string{"Unpause Container"}, effect: oneContainer("running")},
	"PauseContainer":       {stages: []string{"Pause Container"}, effect: oneContainer("paused")},
	"StopContainer":        {stages: []string{"Stop Container"}, effect: oneContainer("exited")},
	"DestroyContainer":     {stages: []string{"Destroy Container"}, effect: oneContainer("not_deployed")},
}

// execute answers an execute operation that returns an Update.
func (s *Server) execute(c *call) (any, *apiError) {
	r, aerr := s.w.targetOf(c.op, c.body)
	if aerr != nil {
		return nil, aerr
	}
	if c.op.ID == "DeployStackIfChanged" {
		return s.deployStackIfChanged(r, c.user), nil
	}
	return s.startExecution(c.op.ID, r, c.user, c.body, nil).full(), nil
}

// deployStackIfChanged answers as Komodo 2.3.2 does: an Update that is never stored, so it
// has no _id (init_execution_update skips the insert for this request,
// bin/core/src/helpers/update.rs:277-281), InProgress, operation DeployStack, and the
// decision is taken in the background. A changed stack then gets a DeployStack update of
// its own, which the caller learns of only from ListUpdates or /ws/update
// (bin/core/src/api/execute/stack.rs:441-457); an unchanged one gets nothing
// ("Deploy cancelled after no changes detected" goes to the unstored Update, stack.rs:486-493).
func (s *Server) deployStackIfChanged(r *resource, usr *user) map[string]any {
	u := &update{Operation: "DeployStack", StartTS: time.Now().UnixMilli(), Status: "InProgress", Success: true,
		Target: target{Type: r.Kind, ID: r.ID}}
	if usr != nil {
		u.Operator, u.Username = usr.ID, usr.Username
	}
	answer := u.full()
	delete(answer, "_id")
	if stackChanged(r) {
		s.startExecution("DeployStack", r, usr, map[string]any{"stack": r.ID}, nil)
	}
	return answer
}

// stackChanged reports whether DeployStackIfChanged would deploy: never deployed, or the
// latest commit differs from the deployed one.
func stackChanged(r *resource) bool {
	deployed, _ := r.Info["deployed_hash"].(string)
	latest, _ := r.Info["latest_hash"].(string)
	if deployed == "" {
		return r.State == "down" || latest != ""
	}
	return latest != "" && latest != deployed
}

// targetOf finds the resource a request names by its kind's field (deployment, stack,
// server, ...); nil for system-wide operations.
func (w *world) targetOf(op *operation, body map[string]any) (*resource, *apiError) {
	if op.Req == nil || op.Req.Value == nil {
		return nil, nil
	}
	for _, field := range op.Req.Value.Required {
		if k := kindByField(field); k != nil {
			return w.mustFind(k.Kind, str(body, field))
		}
	}
	return nil, nil
}

// startExecution creates the Update and schedules its progress. Call with mu held.
func (s *Server) startExecution(opName string, r *resource, usr *user, params map[string]any, onDone func(*update)) *update {
	now := time.Now().UnixMilli()
	u := &update{ID: s.w.newID(), Operation: opName, StartTS: now, Status: "Queued", Target: target{Type: "System"}, onDone: onDone}
	if !s.sp.operations[opName] {
		u.Operation = "None"
	}
	if svc, ok := stackServiceOps[opName]; ok {
		if list, _ := params["services"].([]any); len(list) > 0 {
			u.Operation = svc
		}
	}
	if usr != nil {
		u.Operator, u.Username = usr.ID, usr.Username
	}
	if r != nil {
		u.Target = target{Type: r.Kind, ID: r.ID}
	}
	s.w.updates = append(s.w.updates, u)
	s.emit(u)
	s.log.Debug("execution queued", "op", opName, "update", u.ID)

	d := s.opts.ExecDuration
	def := execDefs[opName]
	var prevState string
	s.after(d/3, func() {
		u.Status = "InProgress"
		if r != nil && r.busy == "" {
			r.busy = opName
			if def.running != "" {
				prevState, r.State = r.State, def.running
			}
		} else if r != nil {
			s.finish(u, r, false, []logEntry{taskError(fmt.Sprintf("%s busy: %s is running", r.Kind, r.busy))})
			return
		}
		s.emit(u)
		if opName == "RunProcedure" && r != nil {
			s.runProcedure(u, r, usr)
			return
		}
		// Stages complete one by one, each pushed to subscribers as Komodo does; the
		// last completes with the execution, which applies the effect.
		stages := stagesOf(opName, def)
		step := (d - d/3) / time.Duration(len(stages))
		var next func(i int)
		next = func(i int) {
			if i < len(stages)-1 && s.serverProblem(opName, r) == "" && !failsAt(def, r, stages[i]) {
				s.after(step, func() {
					start := u.StartTS
					if n := len(u.Logs); n > 0 {
						start = u.Logs[n-1].EndTS
					}
					st := stages[i]
					u.Logs = append(u.Logs, logEntry{Stage: st, Command: commandFor(st), Stdout: stageOutput(st, r), Success: true, StartTS: start, EndTS: time.Now().UnixMilli()})
					s.emit(u)
					next(i + 1)
				})
				return
			}
			s.after(d-d/3-step*time.Duration(i), func() {
				if prevState != "" && r.State == def.running {
					r.State = prevState
				}
				logs, ok := s.runStages(opName, r, u, def, params)
				s.finish(u, r, ok, logs)
			})
		}
		next(0)
	})
	return u
}

// stagesOf names the log stages of an execution.
func stagesOf(opName string, def execDef) []string {
	if len(def.stages) == 0 {
		return []string{humanize(opName)}
	}
	return def.stages
}

// serverProblem is the Task Error of an execution whose target's server cannot run
// it, or "".
func (s *Server) serverProblem(opName string, r *resource) string {
	if r == nil {
		return ""
	}
	if srv := s.w.serverOf(r); srv != nil {
		switch srv.State {
		case "NotOk":
			return fmt.Sprintf("Failed to get Periphery client for Server %s", srv.Name) + traceSep + srv.Err
		case "Disabled":
			return fmt.Sprintf("Cannot execute %s: Server %s is disabled", opName, srv.Name)
		}
	}
	return ""
}

// runStages checks the target's server, adds the stages not logged yet (the last one at
// least) and applies the execution's effect.
func (s *Server) runStages(opName string, r *resource, u *update, def execDef, params map[string]any) ([]logEntry, bool) {
	if msg := s.serverProblem(opName, r); msg != "" {
		return []logEntry{taskError(msg)}, false
	}
	stages := stagesOf(opName, def)
	var logs []logEntry
	ts := u.StartTS
	if n := len(u.Logs); n > 0 {
		ts = u.Logs[n-1].EndTS
	}
	now := max(time.Now().UnixMilli(), ts)
	rest := stages[min(len(u.Logs), len(stages)-1):]
	step := (now - ts) / int64(len(rest))
	for i, st := range rest {
		end := ts + step
		if i == len(rest)-1 {
			end = now
		}
		logs = append(logs, logEntry{Stage: st, Command: commandFor(st), Stdout: stageOutput(st, r), Success: true, StartTS: ts, EndTS: end})
		ts = end
	}
	if def.fails != nil && r != nil {
		if msg := def.fails(r); msg != "" {
			for j := range logs {
				if logs[j].Stage == def.failStage {
					logs = logs[:j+1]
					logs[j].Success, logs[j].Stdout, logs[j].Stderr = false, "", msg
					break
				}
			}
			r.State = "Failed"
			return logs, false
		}
	}
	if def.effect != nil && r != nil {
		if msg := def.effect(s, r, u, params); msg != "" {
			last := &logs[len(logs)-1]
			last.Success, last.Stdout, last.Stderr = false, "", msg
			return logs, false
		}
	}
	return logs, true
}

func (s *Server) finish(u *update, r *resource, ok bool, logs []logEntry) {
	u.Logs = append(u.Logs, logs...)
	u.Success = ok
	u.Status = "Complete"
	u.EndTS = time.Now().UnixMilli()
	if r != nil && r.busy == u.Operation {
		r.busy = ""
	}
	s.log.Debug("execution complete", "op", u.Operation, "update", u.ID, "success", ok)
	s.emit(u)
	if u.onDone != nil {
		u.onDone(u)
	}
}

// traceSep separates an error from its trace in the messages given to taskError.
const traceSep = "\x00"

// taskError is the stage Komodo adds when an execution's task fails: its stderr is the error
// formatted for Komodo's web UI, HTML markup included - format_serror in
// lib/formatting/src/lib.rs:38-51 wraps "ERROR" and the trace labels in <span style=...>.
// msg is the error, then its trace entries, separated by traceSep.
func taskError(msg string) logEntry {
	now := time.Now().UnixMilli()
	return logEntry{Stage: "Task Error", Stderr: formatSerror(msg), Success: false, StartTS: now, EndTS: now}
}

// formatSerror renders an error (and its trace, after traceSep) as Komodo's format_serror does.
func formatSerror(msg string) string {
	parts := strings.Split(msg, traceSep)
	out := `<span style="color: var(--mantine-color-red-6)">ERROR</span>: ` + parts[0]
	if len(parts) > 1 {
		out += "\n\n" + `<span style="color: var(--mantine-color-dimmed)">TRACE</span>:`
		for i, t := range parts[1:] {
			out += fmt.Sprintf("\n\t<span style=\"color: var(--mantine-color-dimmed)\">%d</span>: %s", i+1, t)
		}
	}
	return out
}

// after runs fn with mu held once d has passed, unless the simulator was closed.
func (s *Server) after(d time.Duration, fn func()) {
	var t *time.Timer
	t = time.AfterFunc(d, func() {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return
		}
		delete(s.timers, t)
		fn()
		s.unlock()
	})
	s.timers[t] = struct{}{}
}

// batch answers Batch* operations: the inner execution for every resource matching the
// pattern. An injected FaultKomodo on the inner operation turns its items into Err items.
func (s *Server) batch(c *call) (any, *apiError) {
	inner := strings.TrimPrefix(c.op.ID, "Batch")
	innerOp := s.sp.byID[inner]
	if innerOp == nil {
		return []any{}, nil
	}
	var kind *kindMeta
	for _, f := range innerOp.Req.Value.Required {
		if k := kindByField(f); k != nil {
			kind = k
		}
	}
	items := []any{}
	if kind == nil {
		return items, nil
	}
	pattern := str(c.body, "pattern")
	var matched []*resource
	for _, r := range s.w.list(kind.Kind) {
		if matchPattern(pattern, r) && s.w.matches(r, map[string]any{"tags": c.body["tags"]}) {
			matched = append(matched, r)
		}
	}
	sort.Slice(matched, func(i, j int) bool { return matched[i].Name < matched[j].Name })
	for _, r := range matched {
		if msg := s.faults.komodoErr(inner); msg != "" {
			items = append(items, map[string]any{"status": "Err", "data": map[string]any{"name": r.Name, "error": map[string]any{"error": msg, "trace": []string{}}}})
			continue
		}
		if inner == "DeployStackIfChanged" {
			items = append(items, map[string]any{"status": "Ok", "data": s.deployStackIfChanged(r, c.user)})
			continue
		}
		u := s.startExecution(inner, r, c.user, map[string]any{kind.Field: r.ID}, nil)
		items = append(items, map[string]any{"status": "Ok", "data": u.full()})
	}
	return items, nil
}

// Effects.

func setState(state, status string) func(*Server, *resource, *update, map[string]any) string {
	return func(_ *Server, r *resource, _ *update, _ map[string]any) string {
		r.State, r.Status = state, status
		return ""
	}
}

func needsContainer(state, status string) func(*Server, *resource, *update, map[string]any) string {
	return func(_ *Server, r *resource, _ *update, _ map[string]any) string {
		if r.State == "not_deployed" {
			return "Error response from daemon: No such container: " + r.Name
		}
		r.State, r.Status = state, status
		return ""
	}
}

func stackState(state string) func(*Server, *resource, *update, map[string]any) string {
	return func(_ *Server, r *resource, _ *update, _ map[string]any) string {
		if r.State == "down" && state != "down" {
			return "no containers to start: compose project " + r.Name + " is not deployed"
		}
		r.State = state
		r.Status = stackStatus(state, len(r.Services))
		return ""
	}
}

func stackStatus(state string, n int) string {
	switch state {
	case "down":
		return ""
	case "stopped":
		return fmt.Sprintf("exited(%d)", n)
	}
	return fmt.Sprintf("%s(%d)", state, n)
}

func deployStack(_ *Server, r *resource, u *update, _ map[string]any) string {
	r.State, r.Status = "running", stackStatus("running", len(r.Services))
	if h, ok := r.Info["latest_hash"].(string); ok && h != "" {
		r.Info["deployed_hash"] = h
		r.Info["deployed_message"] = r.Info["latest_message"]
		u.CommitHash = h
	}
	return ""
}

// failsAt reports whether an execution stops, failing, at this stage.
func failsAt(def execDef, r *resource, stage string) bool {
	return def.fails != nil && r != nil && stage == def.failStage && def.fails(r) != ""
}

// brokenBuild is the docker error of a build whose latest commit does not build.
func brokenBuild(r *resource) string {
	if r.brokenAt == "" || r.Info["latest_hash"] != r.brokenAt {
		return ""
	}
	return `#12 [build 4/6] RUN npm ci
#12 1.873 npm ERR! code ERESOLVE
#12 1.874 npm ERR! ERESOLVE unable to resolve dependency tree
#12 1.875 npm ERR! Found: typescript@5.9.3
#12 1.876 npm ERR! Could not resolve dependency: peer typescript@"^4.9.0" from ts-rate-limit@2.1.0
#12 ERROR: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1
------
ERROR: failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1`
}

func runBuild(_ *Server, r *resource, u *update, _ map[string]any) string {
	v, _ := r.Config["version"].(map[string]any)
	if v == nil {
		v = map[string]any{"major": 0, "minor": 0, "patch": 0}
	}
	if auto, _ := r.Config["auto_increment_version"].(bool); auto {
		v = map[string]any{"major": num(v["major"]), "minor": num(v["minor"]), "patch": num(v["patch"]) + 1}
		r.Config["version"] = v
	}
	u.Version = v
	r.State = "Ok"
	r.Info["last_built_at"] = time.Now().UnixMilli()
	if h, ok := r.Info["latest_hash"].(string); ok {
		r.Info["built_hash"], r.Info["built_message"] = h, r.Info["latest_message"]
		u.CommitHash = h
	}
	return ""
}

func pullRepo(s *Server, r *resource, u *update, _ map[string]any) string {
	sum := sha1.Sum([]byte(fmt.Sprintf("%s-%d", r.ID, len(s.w.updates))))
	h := hex.EncodeToString(sum[:])[:7]
	r.Info["latest_hash"], r.Info["latest_message"] = h, "sim: upstream commit "+h
	r.Info["last_pulled_at"] = time.Now().UnixMilli()
	r.State = "Ok"
	u.CommitHash = h
	return ""
}

func buildRepo(s *Server, r *resource, u *update, p map[string]any) string {
	pullRepo(s, r, u, p)
	r.Info["built_hash"], r.Info["built_message"] = r.Info["latest_hash"], r.Info["latest_message"]
	r.Info["last_built_at"] = time.Now().UnixMilli()
	return ""
}

func ranAt(_ *Server, r *resource, _ *update, _ map[string]any) string {
	r.LastRunAt = time.Now().UnixMilli()
	r.State = "Ok"
	return ""
}

// allContainers moves every deployment and stack on a server to a state.
func allContainers(deployState, stackSt string) func(*Server, *resource, *update, map[string]any) string {
	return func(s *Server, srv *resource, u *update, _ map[string]any) string {
		var names []string
		for _, d := range s.w.list("Deployment") {
			if str(d.Config, "server_id") == srv.ID && d.State != "not_deployed" {
				d.State, d.Status = deployState, ""
				names = append(names, d.Name)
			}
		}
		for _, st := range s.w.list("Stack") {
			if str(st.Config, "server_id") == srv.ID && st.State != "down" {
				st.State, st.Status = stackSt, stackStatus(stackSt, len(st.Services))
				for _, sv := range st.Services {
					names = append(names, st.Name+"-"+sv.Service+"-1")
				}
			}
		}
		s.log.Debug("containers changed", "server", srv.Name, "containers", strings.Join(names, ","))
		return ""
	}
}

func oneContainer(state string) func(*Server, *resource, *update, map[string]any) string {
	return func(s *Server, srv *resource, _ *update, p map[string]any) string {
		name := str(p, "container")
		for _, d := range s.w.list("Deployment") {
			if str(d.Config, "server_id") == srv.ID && d.Name == name {
				d.State, d.Status = state, ""
				return ""
			}
		}
		return "Error response from daemon: No such container: " + name
	}
}

func stageOutput(stage string, r *resource) string {
	name := ""
	if r != nil {
		name = r.Name
	}
	switch stage {
	case "Pull Image":
		return "latest: Pulling from " + name + "\nDigest: sha256:4c1e6bd2f3d8a3f0c7b1e92f7a5d8e6b1c0f9a8e7d6c5b4a3f2e1d0c9b8a7f6e\nStatus: Image is up to date"
	case "Deploy Container":
		return "3f9c2a7e51b04d8c6e1a7b90d2c4f8e1a5b3c7d9e0f2a4b6c8d0e2f4a6b8c0d2"
	case "Compose Up":
		return " Container " + name + "-1  Started"
	case "Build Image":
		return "#12 exporting to image\n#12 naming to " + name + " done"
	}
	return stage + ": ok"
}

// humanize turns "PruneImages" into "Prune Images" for a log stage.
func humanize(op string) string {
	var b strings.Builder
	for i, c := range op {
		if i > 0 && c >= 'A' && c <= 'Z' {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}
