package tool

import (
	"bytes"
	"encoding/json"
	"fmt"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// textBudget caps the text rendering of a result; structuredContent carries all of it.
const textBudget = 64 << 10

// Invalid is a VALIDATION_ERROR of komodo-mcp's own.
func Invalid(msg, hint string) *errcode.Error {
	return &errcode.Error{Code: errcode.ValidationError, Message: msg, Hint: hint}
}

// NotDone answers a call that was not carried out (a preview, a refusal by the person) as
// JSON text marked isError: the tool's output schema describes what it returns when it
// acts, and clients that check structuredContent against it (the TypeScript SDK) would
// reject this answer as structured content.
func NotDone(m map[string]any) *mcp.CallToolResult {
	text, err := compact.Marshal(m)
	if err != nil {
		text = []byte(`{"status":"not_done"}`)
	}
	return &mcp.CallToolResult{IsError: true, Content: []mcp.Content{&mcp.TextContent{Text: string(text)}}}
}

// Wrap makes Komodo's answer an object, as structuredContent must be: "items" wraps an
// array, "value" any value; otherwise an object stays itself.
func Wrap(how string, v any) map[string]any {
	switch how {
	case "items":
		if v == nil {
			v = []any{}
		}
		return map[string]any{"items": v}
	case "value":
		return map[string]any{"value": v}
	}
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{"value": v}
}

// DecodeJSON decodes Komodo's answer keeping numbers exact (int64 ids and timestamps).
func DecodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the answer from Komodo is not JSON: %v", err)
	}
	return v, nil
}

// Success builds the tool result of a successful call: structuredContent (always an
// object) and its compact JSON text, cut at textBudget with a note.
func Success(structured map[string]any) *mcp.CallToolResult {
	text, err := compact.Marshal(structured)
	if err != nil {
		return Failure(&errcode.Error{Code: errcode.ServerError, Message: "cannot render Komodo's answer: " + err.Error()})
	}
	if len(text) > textBudget {
		cut := textBudget
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = append(text[:cut:cut], fmt.Sprintf("\n[truncated: the answer is %d bytes; structuredContent has all of it, or narrow the request with a query or page_size]", len(text))...)
	}
	return &mcp.CallToolResult{
		Content:           []mcp.Content{&mcp.TextContent{Text: string(text)}},
		StructuredContent: structured,
	}
}

// Failure renders a classified error as the {"error", "code"} tool result (README
// "Errors"). Only the edge (the server's render) and faults of the server itself call it: a
// handler returns the *errcode.Error.
func Failure(e *errcode.Error) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: string(e.ToolJSON())}},
	}
}
