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
)

var printer = message.NewPrinter(language.English)

// textBudget caps the text rendering of a result; structuredContent carries all of it.
const textBudget = 64 << 10

// sensitiveKeys are fields whose string values are credentials in Komodo's answers.
var sensitiveKeys = map[string]bool{
	"webhook_secret": true, "password": true, "secret": true, "private_key": true,
	"passkey": true, "jwt": true, "api_secret": true,
}

// redactor hides secrets in results: configured credentials wherever they appear,
// credential fields, and the value of Komodo variables marked is_secret.
type redactor struct {
	replacer *strings.Replacer // nil when there are no configured secrets
}

func newRedactor(secrets []string) redactor {
	return redactor{replacer: errcode.NewReplacer(secrets...)}
}

// value redacts v in place and returns it.
func (r redactor) value(v any) any {
	switch t := v.(type) {
	case map[string]any:
		if secret, _ := t["is_secret"].(bool); secret {
			if _, ok := t["value"].(string); ok {
				t["value"] = errcode.Redaction
			}
		}
		for k, vv := range t {
			if s, ok := vv.(string); ok && s != "" && sensitiveKeys[k] {
				t[k] = errcode.Redaction
				continue
			}
			t[k] = r.value(vv)
		}
		return t
	case []any:
		for i := range t {
			t[i] = r.value(t[i])
		}
		return t
	case string:
		if r.replacer != nil {
			return r.replacer.Replace(t)
		}
	}
	return v
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
		return failure(&errcode.Error{Code: errcode.ServerError, Message: "cannot render Komodo's answer: " + err.Error()}, nil)
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

// failure renders a classified error as the {"error", "code"} tool result (README "Errors").
func failure(e *errcode.Error, secrets []string) *mcp.CallToolResult {
	return &mcp.CallToolResult{
		IsError: true,
		Content: []mcp.Content{&mcp.TextContent{Text: string(e.ToolJSON(secrets...))}},
	}
}

// validationFailure is a VALIDATION_ERROR result for arguments we refuse ourselves.
func validationFailure(msg, hint string) *mcp.CallToolResult {
	return failure(&errcode.Error{Code: errcode.ValidationError, Message: msg, Hint: hint}, nil)
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
