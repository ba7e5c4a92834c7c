package compact

import (
	"regexp"
	"strings"
)

// markupTag matches the HTML tags Komodo writes into log text for its web UI: its formatting
// helpers wrap words in <span style="..."> (lib/formatting/src/lib.rs:3-20 at v2.3.2), so a
// "Task Error" stage reads `<span style="color: var(--mantine-color-red-6)">ERROR</span>: ...`.
// Only such presentational tags are matched: other text in angle brackets, which a command
// may print (`<none>`, `<string>`, `a<b`), is output and stays.
var markupTag = regexp.MustCompile(`(?i)</?(?:span|b|strong|i|em|u|code|pre|div|p|br)(?:\s+[a-z-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+))?)*\s*/?>`)

// StripMarkup removes Komodo's HTML markup from log text shown to an assistant. Terminal
// output is not log text and is never passed here.
func StripMarkup(s string) string {
	if !strings.Contains(s, "<") {
		return s
	}
	return markupTag.ReplaceAllString(s, "")
}

// logText are the fields of a Komodo Log (entities/update.rs `Log`: stage, command,
// stdout, stderr, success, start_ts, end_ts) that carry its text.
var logText = map[string]bool{"stage": true, "stdout": true, "stderr": true}

// isLog reports whether m is a Komodo Log: a stage with its output.
func isLog(m map[string]any) bool {
	_, stage := m["stage"].(string)
	_, out := m["stdout"]
	_, errOut := m["stderr"]
	return stage && (out || errOut)
}
