package enrich

import (
	"context"
	"encoding/json"

	"github.com/komodo-mcp/komodo-mcp/internal/follow"
)

// maxFailedStages bounds the GetUpdate calls one page of updates makes.
const maxFailedStages = 10

// FailedStages adds failed_stage and stderr_tail to the failed updates of a ListUpdates
// page, so that "what failed?" takes one call: list items carry no logs.
func (s *Enricher) FailedStages(ctx context.Context, items []any) {
	n := 0
	for _, it := range items {
		u, _ := it.(map[string]any)
		if u == nil || u["success"] != false || u["status"] != "Complete" {
			continue
		}
		if n++; n > maxFailedStages {
			return
		}
		id, _ := u["id"].(string)
		body, _ := json.Marshal(map[string]string{"id": id})
		data, err := s.Komodo.Call(ctx, "POST", "/read/GetUpdate", body)
		if err != nil {
			continue
		}
		if o, err := follow.OutcomeOf(data); err == nil && o.FailedStage != "" {
			u["failed_stage"], u["stderr_tail"] = o.FailedStage, s.Redact.Value(o.StderrTail)
		}
	}
}
