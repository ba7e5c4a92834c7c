// Package audit writes one JSON line for every tool call that changes something in Komodo
// (writes, executes, the terminal): when, who, which tool and Komodo operation, on what, the
// update id and the outcome. Lines go to stderr and, when configured, to a file. Arguments
// other than the target's name are never recorded: they may carry secrets. Every field is
// cut to MaxField bytes, so a line is at most MaxLine bytes whatever a client sends.
package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Outcomes of a Record.
const (
	OutcomeOK        = "ok"      // Komodo accepted it (and, for a finished execution, it succeeded)
	OutcomeStarted   = "started" // an execution Komodo accepted and was still running when answered
	OutcomeFailed    = "failed"  // an execution that finished unsuccessfully
	OutcomeError     = "error"   // the call failed (Error holds the code)
	OutcomeConfirm   = "confirmation_required"
	OutcomeDeclined  = "declined"  // the person said no
	OutcomeCancelled = "cancelled" // the client went away before an answer
	OutcomeRefused   = "refused"   // the arguments did not validate: nothing was sent (no target recorded)
)

// MaxField is the most bytes a field of a line keeps; a longer value is cut on a rune
// boundary and ends with "...". Names and ids of Komodo resources are far shorter.
const MaxField = 256

// MaxLine bounds the length of one line (the newline included): seven text fields at
// MaxField bytes, each byte counted at its longest JSON escape (`\"` and `\\`, 2 bytes:
// control characters are replaced and `<` is not escaped).
const MaxLine = len(`{"time":"2006-01-02T15:04:05.999999999Z","caller":"","tool":"","operation":"","target":"","update_id":"","outcome":"","error":"","may_have_been_applied":true}`) + 7*2*MaxField + 1

// Record is one audit line.
type Record struct {
	Time      time.Time `json:"time"`
	Caller    string    `json:"caller"`
	Tool      string    `json:"tool"`
	Operation string    `json:"operation"`
	Target    string    `json:"target,omitempty"`
	UpdateID  string    `json:"update_id,omitempty"`
	Outcome   string    `json:"outcome"`
	Error     string    `json:"error,omitempty"` // error code: AUTH_ERROR, NOT_FOUND, ...
	// MayHaveBeenApplied is set when the call failed in a way that leaves open whether
	// Komodo carried it out (a timeout, a dropped connection, a proxy error after sending).
	MayHaveBeenApplied bool `json:"may_have_been_applied,omitempty"`
}

// Redacted is r with replace applied to every text field (the configured secrets and
// the caller's, as in results).
func (r Record) Redacted(replace func(string) string) Record {
	if replace == nil {
		return r
	}
	for _, f := range r.fields() {
		*f = replace(*f)
	}
	return r
}

func (r *Record) fields() []*string {
	return []*string{&r.Caller, &r.Tool, &r.Operation, &r.Target, &r.UpdateID, &r.Outcome, &r.Error}
}

// bounded is r with every text field valid UTF-8 without control characters (either
// becomes "?": a line stays one line) and cut to MaxField bytes.
func (r Record) bounded() Record {
	for _, f := range r.fields() {
		*f = cut(strings.Map(func(c rune) rune {
			if c < 0x20 || c == 0x7f {
				return '?'
			}
			return c
		}, strings.ToValidUTF8(*f, "?")), MaxField)
	}
	return r
}

// cut shortens s to at most n bytes on a rune boundary, ending with "..." when cut.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := n - len("...")
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end] + "..."
}

// Log writes records as JSON lines to every destination, one line each, never interleaved.
type Log struct {
	mu   sync.Mutex
	dst  []io.Writer
	file *os.File
}

// New logs to stderr and, when path is not empty, appends to that file (created with mode
// 0600 if missing).
func New(stderr io.Writer, path string) (*Log, error) {
	l := &Log{dst: []io.Writer{stderr}}
	if path != "" {
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
		if err != nil {
			return nil, fmt.Errorf("KOMODO_AUDIT_LOG %s cannot be opened: %w", path, err)
		}
		l.file = f
		l.dst = append(l.dst, f)
	}
	return l, nil
}

// Write records r, every field cut to MaxField bytes; a zero Time is set to now. The
// log knows no secrets: the caller redacts first (Record.Redacted).
func (l *Log) Write(r Record) {
	if l == nil {
		return
	}
	r = r.bounded()
	if r.Time.IsZero() {
		r.Time = time.Now().UTC()
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // a log, not a web page: `<` stays one byte
	if err := enc.Encode(r); err != nil {
		return
	}
	line := buf.Bytes() // Encode ends it with the newline
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, w := range l.dst {
		_, _ = w.Write(line) // an audit destination failing must not fail the call it records
	}
}

// Close closes the file, if any.
func (l *Log) Close() error {
	if l == nil || l.file == nil {
		return nil
	}
	return l.file.Close()
}

// targetKeys are the argument names that name what a call acts on, most specific first.
var targetKeys = []string{"deployment", "stack", "build", "repo", "procedure", "action", "server", "builder",
	"alerter", "sync", "swarm", "container", "service", "id", "name", "target"}

// TargetOf names the resource a call's arguments designate: the value of the first target
// argument (a name or id), or "type:id" for a {"type","id"} target. Nothing else of the
// arguments is read.
func TargetOf(args map[string]any) string {
	for _, k := range targetKeys {
		switch v := args[k].(type) {
		case string:
			if v != "" {
				return v
			}
		case map[string]any:
			if s := objectTarget(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// objectTarget renders {"type":"Server","id":"prod-1"} (ResourceTarget) or a terminal target
// {"type":"Deployment","params":{"deployment":"api"}} as type:id.
func objectTarget(v map[string]any) string {
	typ, _ := v["type"].(string)
	id, _ := v["id"].(string)
	if id == "" {
		if p, ok := v["params"].(map[string]any); ok {
			keys := make([]string, 0, len(p))
			for k := range p {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				if s, ok := p[k].(string); ok && s != "" {
					id = s
					break
				}
			}
		}
	}
	if typ == "" || id == "" {
		return ""
	}
	return typ + ":" + id
}

// Outcome reads how a call ended: its handler's result, or its error - an
// *errcode.Error value for a failure Komodo or the client caused (its code and its
// may-have-been-applied flag are read from the value, never from rendered text), any other
// error a fault of the server. It returns the outcome, the error code of a failed call,
// the id of the Update an execution (or a write that answers one) produced, and whether a
// failed call may have been carried out anyway.
func Outcome(res *mcp.CallToolResult, err error) (outcome, code, updateID string, mayHaveBeenApplied bool) {
	if e, ok := errors.AsType[*errcode.Error](err); ok {
		return OutcomeError, string(e.Code), "", e.MayHaveBeenApplied
	}
	if err != nil || res == nil {
		return OutcomeError, string(errcode.ServerError), "", true
	}
	if res.IsError { // a result that could not be rendered (handlers return failures as errors)
		return OutcomeError, string(errcode.ServerError), "", false
	}
	m, _ := res.StructuredContent.(map[string]any)
	updateID, _ = m["job_id"].(string)
	if updateID == "" {
		if id, ok := m["_id"].(map[string]any); ok && m["operation"] != nil { // a write answering an Update
			updateID, _ = id["$oid"].(string)
		}
	}
	switch {
	case m["success"] == false:
		return OutcomeFailed, "", updateID, false
	case updateID != "" && m["success"] == nil && m["status"] != nil && m["status"] != "Complete" && m["status"] != "succeeded":
		return OutcomeStarted, "", updateID, false
	}
	return OutcomeOK, "", updateID, false
}
