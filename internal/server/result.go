package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"golang.org/x/text/language"
	"golang.org/x/text/message"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/secrets"
)

var printer = message.NewPrinter(language.English)

// textBudget caps the text rendering of a result; structuredContent carries all of it.
const textBudget = 64 << 10

// redactor hides secrets in results: the credentials Komodo holds, by type
// (api/secrets.yaml, internal/secrets), and the configured credentials wherever they
// appear. A credential found by type is also hidden wherever else the same answer repeats
// it (a log line, an error text).
type redactor struct {
	replacer *strings.Replacer // nil when there are no configured secrets
	record   *secrets.Record
}

func newRedactor(configured []string) redactor {
	return redactor{replacer: errcode.NewReplacer(configured...), record: secrets.Default()}
}

// value replaces the configured secrets in every string of v (in place) and returns it;
// for text and values that are no Komodo type (log lines, terminal output).
func (r redactor) value(v any) any {
	return replaceAll(v, r.replacer)
}

// result redacts the answer of a Komodo operation (decoded JSON), in place, and returns it
// with what redaction found (credentials shown only once are left, and listed).
func (r redactor) result(op string, v any) (any, secrets.Result) {
	v, found := r.record.Redact(op, v)
	return r.finish(v, found), found
}

// typed redacts a value of the named Komodo type ("Update").
func (r redactor) typed(name string, v any) any {
	v, found := r.record.RedactType(name, v)
	return r.finish(v, found)
}

// items redacts the items of a list operation's answer.
func (r redactor) items(op, listKey string, items []any) []any {
	items, found := r.record.RedactItems(op, listKey, items)
	out, _ := r.finish(items, found).([]any)
	return out
}

func (r redactor) finish(v any, found secrets.Result) any {
	v = replaceAll(v, errcode.NewReplacer(found.Values...))
	return replaceAll(v, r.replacer)
}

// replaceAll applies a replacer to every string in v, in place.
func replaceAll(v any, rep *strings.Replacer) any {
	if rep == nil {
		return v
	}
	switch t := v.(type) {
	case map[string]any:
		for k, vv := range t {
			t[k] = replaceAll(vv, rep)
		}
		return t
	case []any:
		for i := range t {
			t[i] = replaceAll(t[i], rep)
		}
		return t
	case string:
		return rep.Replace(t)
	}
	return v
}

// shownOnce marks a result that hands over a credential Komodo shows only this once
// (a new API key's secret): the value stays, with a note saying so.
func shownOnce(out map[string]any, found secrets.Result) map[string]any {
	if len(found.ShownOnce) > 0 && out != nil {
		out["shown_once"] = secrets.ShownOnceNote + " Field: " + strings.Join(found.ShownOnce, ", ") + "."
	}
	return out
}

// decodeJSON decodes Komodo's answer keeping numbers exact (int64 ids and timestamps).
func decodeJSON(data []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("the answer from Komodo is not JSON: %v", err)
	}
	return v, nil
}

// success builds the tool result of a successful call: structuredContent (always an
// object) and its compact JSON text, cut at textBudget with a note.
func success(structured map[string]any) *mcp.CallToolResult {
	text, err := marshalCompact(structured)
	if err != nil {
		return failure(&errcode.Error{Code: errcode.ServerError, Message: "cannot render Komodo's answer: " + err.Error()})
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

// failure renders a classified error as the {"error", "code"} tool result (README
// "Errors"). Only the edge (Server.render) and faults of the server itself call it: a
// handler returns the *errcode.Error.
func failure(e *errcode.Error) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: string(e.ToolJSON())}},
	}
}

func marshalCompact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}
