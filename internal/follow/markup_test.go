package follow

import (
	"encoding/json"
	"testing"
)

func TestStripMarkup(t *testing.T) {
	tests := []struct{ in, want string }{
		// lib/formatting/src/lib.rs format_serror, as a "Task Error" stage carries it.
		{"<span style=\"color: var(--mantine-color-red-6)\">ERROR</span>: Failed to get Periphery client for Server prod-3\n\n" +
			"<span style=\"color: var(--mantine-color-dimmed)\">TRACE</span>:\n\t<span style=\"color: var(--mantine-color-dimmed)\">1</span>: connection refused",
			"ERROR: Failed to get Periphery client for Server prod-3\n\nTRACE:\n\t1: connection refused"},
		{`<span style="font-weight: bolder">web</span> deployed`, "web deployed"},
		// Angle brackets that are output, not markup, stay.
		{"REPOSITORY   TAG\nnginx        <none>", "REPOSITORY   TAG\nnginx        <none>"},
		{"expected <string>, got 5; a<b && b>c", "expected <string>, got 5; a<b && b>c"},
		{"no markup", "no markup"},
	}
	for _, tt := range tests {
		if got := StripMarkup(tt.in); got != tt.want {
			t.Errorf("StripMarkup(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestOutcomeOf_StripsMarkup: the failed stage and its tail reach the assistant as text.
func TestOutcomeOf_StripsMarkup(t *testing.T) {
	u := map[string]any{"status": "Complete", "success": false, "start_ts": 1, "end_ts": 2, "logs": []any{
		map[string]any{"stage": "Task Error", "success": false,
			"stderr": "<span style=\"color: var(--mantine-color-red-6)\">ERROR</span>: Stack busy"},
	}}
	raw, _ := json.Marshal(u)
	o, err := OutcomeOf(raw)
	if err != nil || o.FailedStage != "Task Error" || o.StderrTail != "ERROR: Stack busy" {
		t.Errorf("OutcomeOf = %+v, %v", o, err)
	}
}
