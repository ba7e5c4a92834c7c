// Package taskbench measures how many calls and how many bytes an assistant spends to
// answer everyday operator questions through komodo-mcp. Each task is scripted as an
// assistant acts: it reads the tool list it was given, calls the tool it would pick (or,
// when that tool is not offered, finds it with komodo_search_tools and calls it through
// komodo_call_tool), and reads the answers. `make bench-tasks` runs every task against the
// simulator and prints a table, so that every change to the tool surface shows its effect.
package taskbench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Gateway tools: an assistant reaches a tool outside its list through them.
const (
	searchTool = "komodo_search_tools"
	callTool   = "komodo_call_tool"
)

// Session is an assistant's view of one MCP session: the tools it was offered, and a
// count of the calls it made and the bytes of results it read.
type Session struct {
	cs    *mcp.ClientSession
	tools map[string]bool
	// ListBytes is the size of tools/list, read once when the session starts.
	ListBytes int
	Calls     int
	Bytes     int
	// Trace is one line per call: tool, arguments, bytes read.
	Trace []string
	// Requests, when set, counts the requests Komodo received (the simulator's counts);
	// Reset starts it again.
	Requests interface {
		Counts() map[string]int
		ResetCounts()
	}
}

// NewSession lists the tools of a connected session.
func NewSession(ctx context.Context, cs *mcp.ClientSession) (*Session, error) {
	s := &Session{cs: cs, tools: map[string]bool{}}
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, err
	}
	s.ListBytes = len(raw)
	for _, t := range res.Tools {
		s.tools[t.Name] = true
	}
	return s, nil
}

// Offered reports whether a tool is in the session's list.
func (s *Session) Offered(name string) bool { return s.tools[name] }

// Reset starts counting a new task.
func (s *Session) Reset() {
	s.Calls, s.Bytes, s.Trace = 0, 0, nil
	if s.Requests != nil {
		s.Requests.ResetCounts()
	}
}

// requests is the number of Komodo requests since Reset (-1 when not counted).
func (s *Session) requests() int {
	if s.Requests == nil {
		return -1
	}
	n := 0
	for _, c := range s.Requests.Counts() {
		n += c
	}
	return n
}

// ToolError is a tool result with isError: the assistant reads its text.
type ToolError struct{ Tool, Text string }

func (e *ToolError) Error() string { return e.Tool + ": " + e.Text }

// errNotReachable: the tool is neither offered nor reachable through a gateway.
var errNotReachable = errors.New("not reachable")

// call makes one MCP call and reads its text content, as a client hands it to the model.
func (s *Session) call(ctx context.Context, name string, args any) (string, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return "", err
	}
	s.Calls++
	res, err := s.cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(raw)})
	if err != nil {
		s.Trace = append(s.Trace, fmt.Sprintf("%s %s -> protocol error", name, raw))
		return "", fmt.Errorf("%s: %w", name, err)
	}
	var text strings.Builder
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			text.WriteString(t.Text)
		}
	}
	s.Bytes += text.Len()
	s.Trace = append(s.Trace, fmt.Sprintf("%s %s -> %d B", name, raw, text.Len()))
	if res.IsError {
		return text.String(), &ToolError{Tool: name, Text: text.String()}
	}
	return text.String(), nil
}

// Use calls the tool an assistant picked for a step. When the session does not offer
// it, the assistant searches the catalog with query (its own words for the step) and, if
// the tool is among the results, calls it through the gateway.
func (s *Session) Use(ctx context.Context, tool string, args map[string]any, query string) (map[string]any, error) {
	if args == nil {
		args = map[string]any{}
	}
	var text string
	var err error
	switch {
	case s.Offered(tool):
		text, err = s.call(ctx, tool, args)
	case s.Offered(searchTool) && s.Offered(callTool):
		found, serr := s.call(ctx, searchTool, map[string]any{"query": query})
		if serr != nil {
			return nil, serr
		}
		if !strings.Contains(found, `"`+tool+`"`) {
			return nil, fmt.Errorf("%w: searching %q did not find %s", errNotReachable, query, tool)
		}
		text, err = s.call(ctx, callTool, map[string]any{"name": tool, "arguments": args})
	default:
		return nil, fmt.Errorf("%w: %s is not offered and there is no %s", errNotReachable, tool, searchTool)
	}
	if err != nil {
		return nil, err
	}
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return nil, fmt.Errorf("%s answered text that is not a JSON object: %.80q", tool, text)
	}
	return out, nil
}

// items reads a list answer's items.
func items(v map[string]any) []map[string]any {
	list, _ := v["items"].([]any)
	out := make([]map[string]any, 0, len(list))
	for _, it := range list {
		if m, ok := it.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

// str reads a string at a dotted path ("info.state"), "" when absent.
func str(v map[string]any, path string) string {
	var cur any = v
	for _, seg := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return ""
		}
		cur = m[seg]
	}
	switch t := cur.(type) {
	case string:
		return t
	case nil:
		return ""
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// first returns the first non-empty string among paths.
func first(v map[string]any, paths ...string) string {
	for _, p := range paths {
		if s := str(v, p); s != "" {
			return s
		}
	}
	return ""
}

// sortedJoin joins names sorted, for stable answers.
func sortedJoin(names []string) string {
	slices.Sort(names)
	return strings.Join(names, ", ")
}
