package sim

import "sort"

// genericOperations lists the operations answered with the schema-built minimal
// instance rather than from the world's state (listed in README.md, checked by a test).
func genericOperations() []string {
	sp, err := loadSpec()
	if err != nil {
		return nil
	}
	handlers := newHandlers()
	var out []string
	for id, op := range sp.byID {
		if _, ok := handlers[id]; ok {
			continue
		}
		if _, ok := streamers[id]; ok {
			continue
		}
		if op.Module == "execute" && (op.RespType == "Update" || op.RespType == "BatchExecutionResponse") {
			continue
		}
		out = append(out, id)
	}
	sort.Strings(out)
	return out
}
