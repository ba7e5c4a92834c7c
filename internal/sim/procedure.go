package sim

import (
	"fmt"
	"strings"
	"time"
)

// runProcedure runs a procedure's stages one after the other; the executions of a stage
// run in parallel as their own Updates (operator "Procedure" in Komodo, here the caller),
// and the procedure completes when the last stage does, failing at the first failed stage.
func (s *Server) runProcedure(u *update, r *resource, usr *user) {
	stages, _ := r.Config["stages"].([]any)
	var run func(i int)
	run = func(i int) {
		if i >= len(stages) {
			r.LastRunAt = time.Now().UnixMilli()
			r.State = "Ok"
			s.finish(u, r, true, nil)
			return
		}
		stage, _ := stages[i].(map[string]any)
		name := str(stage, "name")
		if enabled, ok := stage["enabled"].(bool); ok && !enabled {
			run(i + 1)
			return
		}
		start := time.Now().UnixMilli()
		execs, _ := stage["executions"].([]any)
		pending := 0
		failed := []string{}
		var lines []string
		done := func() {
			entry := logEntry{Stage: "Execute stage: " + name, Stdout: strings.Join(lines, "\n"), Success: len(failed) == 0, StartTS: start, EndTS: time.Now().UnixMilli()}
			u.Logs = append(u.Logs, entry)
			s.emit(u)
			if len(failed) > 0 {
				r.State = "Failed"
				s.finish(u, r, false, []logEntry{taskError(fmt.Sprintf("Failed stage '%s': %s", name, strings.Join(failed, "; ")))})
				return
			}
			run(i + 1)
		}
		for _, e := range execs {
			ee, _ := e.(map[string]any)
			if enabled, ok := ee["enabled"].(bool); ok && !enabled {
				continue
			}
			exec, _ := ee["execution"].(map[string]any)
			typ := str(exec, "type")
			params, _ := exec["params"].(map[string]any)
			op := s.sp.byID[typ]
			if op == nil || op.Module != "execute" || op.RespType != "Update" {
				lines = append(lines, typ+": done")
				continue
			}
			target, aerr := s.w.targetOf(op, params)
			if aerr != nil {
				failed = append(failed, typ+": "+aerr.Msg)
				continue
			}
			pending++
			s.startExecution(typ, target, usr, params, func(child *update) {
				pending--
				line := fmt.Sprintf("%s: update %s", typ, child.ID)
				if !child.Success {
					failed = append(failed, line+" failed")
				}
				lines = append(lines, line)
				if pending == 0 {
					done()
				}
			})
		}
		if pending == 0 {
			done()
		}
	}
	run(0)
}
