package fleetview

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/follow"
)

// Progress is an Update as the view shows it while it runs: its stages so far, and once
// it is over, its verdict with the failed stage and the tail of its error.
type Progress struct {
	ID        string  `json:"id"`
	Operation string  `json:"operation,omitempty"`
	Target    string  `json:"target,omitempty"` // "Stack web"
	Status    string  `json:"status"`           // Queued, InProgress, Complete
	Done      bool    `json:"done"`
	Success   *bool   `json:"success,omitempty"` // set once done
	Stages    []Stage `json:"stages"`
	// FailedStage and ErrorTail say what failed, when it failed.
	FailedStage string `json:"failed_stage,omitempty"`
	ErrorTail   string `json:"error_tail,omitempty"`
	DurationMS  int64  `json:"duration_ms,omitempty"`
	// Via says how the server followed it: websocket or polling.
	Via string `json:"followed_via,omitempty"`
}

// Stage is one log stage of an Update.
type Stage struct {
	Name    string `json:"name"`
	Success bool   `json:"success"`
	// Tail is the end of the stage's output (stderr when there is any, else stdout),
	// without Komodo's HTML markup.
	Tail string `json:"tail,omitempty"`
}

// stageTail bounds a stage's output in the view.
const stageTail = 1200

// ProgressOf shapes an Update (Komodo's JSON, as GetUpdate answers it).
func ProgressOf(raw []byte, id string) (*Progress, error) {
	var u struct {
		Operation string `json:"operation"`
		Status    string `json:"status"`
		Success   bool   `json:"success"`
		Target    struct {
			Type string `json:"type"`
			ID   string `json:"id"`
		} `json:"target"`
		Logs []struct {
			Stage   string `json:"stage"`
			Success bool   `json:"success"`
			Stdout  string `json:"stdout"`
			Stderr  string `json:"stderr"`
		} `json:"logs"`
	}
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	p := &Progress{ID: id, Operation: u.Operation, Status: u.Status, Done: u.Status == "Complete", Stages: []Stage{}}
	if u.Target.Type != "" {
		p.Target = u.Target.Type + " " + u.Target.ID
	}
	for _, l := range u.Logs {
		out := strings.TrimSpace(follow.StripMarkup(l.Stderr))
		if out == "" {
			out = strings.TrimSpace(follow.StripMarkup(l.Stdout))
		}
		p.Stages = append(p.Stages, Stage{Name: follow.StripMarkup(l.Stage), Success: l.Success, Tail: tail(out, stageTail)})
	}
	if p.Done {
		ok := u.Success
		p.Success = &ok
		if o, err := follow.OutcomeOf(raw); err == nil {
			p.DurationMS = o.Duration.Round(time.Millisecond).Milliseconds()
			if !ok {
				p.FailedStage, p.ErrorTail = o.FailedStage, o.StderrTail
			}
		}
	}
	return p, nil
}

// tail is the last n bytes of s, cut at a line start when one is near.
func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[len(s)-n:]
	if i := strings.IndexByte(s, '\n'); i >= 0 && i < 200 {
		s = s[i+1:]
	}
	return "…" + s
}
