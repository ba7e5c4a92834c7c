package stdio

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
)

// limits bound what one line may hold.
type limits struct {
	maxLine  int
	maxDepth int
}

// bom is the UTF-8 byte order mark some Windows tools put before the first line.
var bom = []byte("\xef\xbb\xbf")

// Decode reads one line (without its line end) as a JSON-RPC message with the default
// limits. It returns the message, or the refusal to answer it with; both are nil for a
// blank line, which is skipped.
func Decode(line []byte) (jsonrpc.Message, *Refusal) {
	return limits{maxLine: DefaultMaxLineBytes, maxDepth: DefaultMaxDepth}.decode(line)
}

func (l limits) decode(line []byte) (jsonrpc.Message, *Refusal) {
	msg, r := l.decodeLine(line)
	if r != nil && r.ID == nil {
		r.ID = ScanID(line) // an id read from a message refused whole still gets its answer
	}
	return msg, r
}

func (l limits) decodeLine(line []byte) (jsonrpc.Message, *Refusal) {
	// A byte order mark before a message is tolerated: it is an encoding artefact of the
	// sender, not part of the message. Alone, it is a line that is not JSON.
	trimmed := bytes.TrimSpace(line)
	if rest, ok := bytes.CutPrefix(trimmed, bom); ok {
		if len(bytes.TrimSpace(rest)) == 0 {
			return nil, &Refusal{Code: jsonrpc.CodeParseError, Message: "Parse error: a byte order mark alone is not a JSON-RPC message"}
		}
		trimmed = bytes.TrimSpace(rest)
	}
	if len(trimmed) == 0 {
		return nil, nil
	}
	if len(trimmed) > l.maxLine {
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: fmt.Sprintf("Invalid Request: a message longer than %d bytes", l.maxLine)}
	}
	if d := depth(trimmed); d > l.maxDepth {
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: fmt.Sprintf("Invalid Request: nested deeper than %d levels", l.maxDepth)}
	}
	if !json.Valid(trimmed) {
		return nil, &Refusal{Code: jsonrpc.CodeParseError, Message: "Parse error: the line is not one JSON value (send one JSON-RPC message per line)"}
	}
	switch trimmed[0] {
	case '{':
	case '[':
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: "Invalid Request: JSON-RPC batches are not supported (MCP removed them in 2025-06-18): send one message per line"}
	default:
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: "Invalid Request: a JSON-RPC message is a JSON object"}
	}
	var head struct {
		JSONRPC *string         `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Method  json.RawMessage `json:"method"`
	}
	if err := json.Unmarshal(trimmed, &head); err != nil {
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: "Invalid Request: " + err.Error()}
	}
	id := readableID(head.ID)
	if head.JSONRPC == nil || *head.JSONRPC != "2.0" {
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: `Invalid Request: "jsonrpc" must be "2.0"`, ID: id}
	}
	msg, err := jsonrpc.DecodeMessage(trimmed)
	if err != nil {
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: "Invalid Request: " + err.Error(), ID: id}
	}
	if req, ok := msg.(*jsonrpc.Request); ok && req.Method == "" {
		return nil, &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: `Invalid Request: "method" must be a non-empty string`, ID: id}
	}
	return msg, nil
}

// readableID is a request id that an answer can carry: a string or an integer as sent.
// Anything else (absent, null, a fraction, an object) answers with id null.
func readableID(raw json.RawMessage) any {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	var s string
	if raw[0] == '"' && json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		if _, err := n.Int64(); err == nil {
			return n
		}
	}
	return nil
}

// depth is the deepest nesting of objects and arrays in data, outside strings. It is a
// single pass that stops counting at the first level past any sane limit.
func depth(data []byte) int {
	d, deepest := 0, 0
	inString, escaped := false, false
	for _, b := range data {
		if inString {
			switch {
			case escaped:
				escaped = false
			case b == '\\':
				escaped = true
			case b == '"':
				inString = false
			}
			continue
		}
		switch b {
		case '"':
			inString = true
		case '{', '[':
			d++
			deepest = max(deepest, d)
		case '}', ']':
			d--
		}
	}
	return deepest
}

// ScanID finds the request id of a JSON-RPC message that cannot be decoded whole - nested
// too deep, too long (data may be its first part only), or otherwise refused - so that
// the error answering it carries the id and the client's waiting call fails at once. It
// reads only the top level of an object: the value of its "id" member when that is a
// string or an integer; nil otherwise. One pass, no recursion, whatever the nesting.
func ScanID(data []byte) any {
	data = bytes.TrimSpace(bytes.TrimPrefix(bytes.TrimSpace(data), bom))
	if len(data) == 0 || data[0] != '{' {
		return nil
	}
	d := 0
	valueStart := -1 // of the current top-level member
	var key []byte
	expectKey := true
	for i := 0; i < len(data); i++ {
		b := data[i]
		if b == '"' { // a string: find its end, honouring escapes
			end := i + 1
			for end < len(data) && data[end] != '"' {
				if data[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(data) {
				return nil
			}
			if d == 1 && expectKey {
				key = data[i : end+1]
			}
			i = end
			continue
		}
		switch b {
		case '{', '[':
			d++
		case '}', ']':
			d--
			if d == 0 && valueStart >= 0 {
				return idValue(key, data[valueStart:i])
			}
		case ':':
			if d == 1 {
				expectKey, valueStart = false, i+1
			}
		case ',':
			if d == 1 {
				if valueStart >= 0 {
					if id := idValue(key, data[valueStart:i]); id != nil {
						return id
					}
				}
				expectKey, valueStart, key = true, -1, nil
			}
		}
	}
	return nil
}

// idValue is the id when key is "id" and raw a readable id.
func idValue(key, raw []byte) any {
	var k string
	if json.Unmarshal(key, &k) != nil || k != "id" {
		return nil
	}
	return readableID(raw)
}
