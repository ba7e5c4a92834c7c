package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

func TestTargetOf(t *testing.T) {
	tests := []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"deployment": "api", "stop_signal": "SIGTERM"}, "api"},
		{map[string]any{"stack": "immich", "services": []any{"db"}}, "immich"},
		{map[string]any{"name": "DB_PASSWORD", "value": "hunter2"}, "DB_PASSWORD"},
		{map[string]any{"id": "66f0c1a2b3c4d5e6f7a8b9c0"}, "66f0c1a2b3c4d5e6f7a8b9c0"},
		{map[string]any{"target": map[string]any{"type": "Server", "id": "prod-1"}}, "Server:prod-1"},
		{map[string]any{"target": map[string]any{"type": "Deployment", "params": map[string]any{"deployment": "api"}}}, "Deployment:api"},
		{map[string]any{"value": "secret-only"}, ""},
	}
	for _, tt := range tests {
		if got := TargetOf(tt.args); got != tt.want {
			t.Errorf("TargetOf(%v) = %q, want %q", tt.args, got, tt.want)
		}
	}
}

func TestOutcome(t *testing.T) {
	tests := []struct {
		name                  string
		res                   *mcp.CallToolResult
		err                   error
		outcome, code, update string
		applied               bool
	}{
		{"tool error", nil, &errcode.Error{Code: errcode.NotFound, Message: "nope"}, OutcomeError, "NOT_FOUND", "", false},
		{"timeout", nil, &errcode.Error{Code: errcode.Timeout, MayHaveBeenApplied: true}, OutcomeError, "TIMEOUT", "", true},
		{"go error", nil, errors.New("boom"), OutcomeError, "SERVER_ERROR", "", true},
		{"execute done", &mcp.CallToolResult{StructuredContent: map[string]any{"job_id": "u1", "status": "succeeded", "success": true}}, nil, OutcomeOK, "", "u1", false},
		{"execute failed", &mcp.CallToolResult{StructuredContent: map[string]any{"job_id": "u2", "status": "failed", "success": false}}, nil, OutcomeFailed, "", "u2", false},
		{"execute running", &mcp.CallToolResult{StructuredContent: map[string]any{"job_id": "u3", "status": "running"}}, nil, OutcomeStarted, "", "u3", false},
		{"write", &mcp.CallToolResult{StructuredContent: map[string]any{"name": "x"}}, nil, OutcomeOK, "", "", false},
	}
	for _, tt := range tests {
		o, c, u, a := Outcome(tt.res, tt.err)
		if o != tt.outcome || c != tt.code || u != tt.update || a != tt.applied {
			t.Errorf("%s: Outcome = %q %q %q %v, want %q %q %q %v", tt.name, o, c, u, a, tt.outcome, tt.code, tt.update, tt.applied)
		}
	}
}

func TestLog_StderrAndFile(t *testing.T) {
	var stderr bytes.Buffer
	path := filepath.Join(t.TempDir(), "audit.log")
	l, err := New(&stderr, path)
	if err != nil {
		t.Fatal(err)
	}
	l.Write(Record{Time: time.Unix(0, 0).UTC(), Caller: "alice", Tool: "komodo_execute_Deploy", Operation: "Deploy", Target: "api", UpdateID: "u1", Outcome: OutcomeOK})
	l.Write(Record{Caller: "bob", Tool: "komodo_write_DeleteStack", Operation: "DeleteStack", Outcome: OutcomeDeclined})
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	file, _ := os.ReadFile(path)
	if string(file) != stderr.String() {
		t.Errorf("file and stderr differ:\n%s\n%s", file, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
	if len(lines) != 2 || lines[0] != `{"time":"1970-01-01T00:00:00Z","caller":"alice","tool":"komodo_execute_Deploy","operation":"Deploy","target":"api","update_id":"u1","outcome":"ok"}` {
		t.Errorf("lines: %q", lines)
	}
	var r Record
	if err := json.Unmarshal([]byte(lines[1]), &r); err != nil || r.Time.IsZero() {
		t.Errorf("second line %q: %v", lines[1], err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("audit file mode %v, want 0600", fi.Mode().Perm())
	}
	if _, err := New(&stderr, filepath.Join(t.TempDir(), "missing", "audit.log")); err == nil || !strings.Contains(err.Error(), "KOMODO_AUDIT_LOG") {
		t.Errorf("unwritable path: %v", err)
	}
}

// TestLog_Bounded: a megabyte target (ASCII, markup that JSON escapes, invalid UTF-8) makes
// a line of at most MaxLine bytes, each field cut to MaxField.
func TestLog_Bounded(t *testing.T) {
	for _, unit := range []string{"a", "<", "\xff", "é", "\x01", `"`, "\n"} {
		var out bytes.Buffer
		l, _ := New(&out, "")
		huge := strings.Repeat(unit, 1<<20)
		l.Write(Record{Caller: huge, Tool: huge, Operation: huge, Target: huge, UpdateID: huge, Outcome: huge, Error: huge, MayHaveBeenApplied: true})
		if out.Len() > MaxLine {
			t.Fatalf("%q: line of %d bytes, limit %d", unit, out.Len(), MaxLine)
		}
		t.Logf("every field a megabyte of %q: a line of %d bytes", unit, out.Len())
		var r Record
		if err := json.Unmarshal(out.Bytes(), &r); err != nil {
			t.Fatalf("%q: %v", unit, err)
		}
		if len(r.Target) > MaxField || (unit != "\xff" && !strings.HasSuffix(r.Target, "...")) || strings.ContainsAny(r.Target, "\n\x01") {
			t.Errorf("%q: target of %d bytes: %.20q", unit, len(r.Target), r.Target)
		}
	}
	t.Logf("MaxField %d bytes, MaxLine %d bytes", MaxField, MaxLine)
}

func TestRecord_Redacted(t *testing.T) {
	r := Record{Caller: "alice", Target: "S-secret-1", Error: "x S-secret-1 y"}.Redacted(func(s string) string {
		return strings.ReplaceAll(s, "S-secret-1", "[redacted]")
	})
	if r.Target != "[redacted]" || r.Error != "x [redacted] y" || r.Caller != "alice" {
		t.Fatalf("%+v", r)
	}
}
