// Package stdio is komodo-mcp's MCP stdio transport: newline-delimited JSON-RPC over a
// reader and a writer, like the go-sdk's IOTransport, except that a line which is not a
// valid JSON-RPC message is answered with a JSON-RPC error and skipped. The SDK's
// transport ends the session on such a line (go-sdk issue 1209), so a single stray
// `hello`, byte order mark, `[]` or deeply nested value would end the process.
package stdio

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Defaults of a Transport.
const (
	// DefaultMaxLineBytes bounds one message, as the SDK's own DefaultMaxLineLength.
	DefaultMaxLineBytes = 16 << 20
	// DefaultMaxDepth bounds the nesting of objects and arrays in one message. MCP
	// messages nest a handful of levels (Komodo's deepest request, a procedure config,
	// about ten); the bound keeps hostile input from costing deep recursion anywhere later.
	DefaultMaxDepth = 128
)

// Transport is an mcp.Transport over a reader and a writer, one JSON-RPC message a line.
type Transport struct {
	// Reader delivers the client's messages (stdin). It is closed with the connection
	// when it is an io.Closer.
	Reader io.Reader
	// Writer receives the server's messages (stdout); each is one Write call.
	Writer io.Writer
	// MaxLineBytes bounds one line (default DefaultMaxLineBytes); a longer line is
	// refused and skipped.
	MaxLineBytes int
	// MaxDepth bounds nesting (default DefaultMaxDepth).
	MaxDepth int
	// Logger receives a warning for each refused line (never its content); nil discards.
	Logger *slog.Logger
}

var _ mcp.Transport = (*Transport)(nil)

// Connect starts reading and returns the connection.
func (t *Transport) Connect(context.Context) (mcp.Connection, error) {
	c := &conn{
		w:        t.Writer,
		incoming: make(chan readResult),
		closed:   make(chan struct{}),
		limits:   limits{maxLine: t.MaxLineBytes, maxDepth: t.MaxDepth},
		logger:   t.Logger,
	}
	if c.limits.maxLine <= 0 {
		c.limits.maxLine = DefaultMaxLineBytes
	}
	if c.limits.maxDepth <= 0 {
		c.limits.maxDepth = DefaultMaxDepth
	}
	if c.logger == nil {
		c.logger = slog.New(slog.DiscardHandler)
	}
	if cl, ok := t.Reader.(io.Closer); ok {
		c.closeReader = cl.Close
	}
	go c.readLoop(t.Reader)
	return c, nil
}

type readResult struct {
	msg jsonrpc.Message
	err error
}

// conn is one session's connection. Reads happen on their own goroutine so that Close
// can unblock a Read waiting on stdin.
type conn struct {
	w           io.Writer
	writeMu     sync.Mutex
	incoming    chan readResult
	closed      chan struct{}
	closeOnce   sync.Once
	closeReader func() error
	limits      limits
	logger      *slog.Logger
	refused     int // lines refused so far (read goroutine only)
}

var _ mcp.Connection = (*conn)(nil)

// readLoop reads lines until the reader fails, answering bad ones itself.
func (c *conn) readLoop(r io.Reader) {
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, tooLong, err := readLine(br, c.limits.maxLine)
		if len(line) > 0 || tooLong {
			var msg jsonrpc.Message
			var refusal *Refusal
			if tooLong {
				refusal = &Refusal{Code: jsonrpc.CodeInvalidRequest, Message: fmt.Sprintf("Invalid Request: a message longer than %d bytes", c.limits.maxLine), ID: ScanID(line)}
			} else {
				msg, refusal = c.limits.decode(line)
			}
			if refusal != nil {
				c.refuse(refusal, len(line))
			} else if msg != nil && !c.deliver(readResult{msg: msg}) {
				return
			}
		}
		if err != nil {
			c.deliver(readResult{err: err})
			return
		}
	}
}

// deliver hands a message or the final error to Read; false once the connection closed.
func (c *conn) deliver(r readResult) bool {
	select {
	case c.incoming <- r:
		return true
	case <-c.closed:
		return false
	}
}

// refuse answers a refused line with its JSON-RPC error.
func (c *conn) refuse(r *Refusal, size int) {
	c.refused++
	c.logger.Warn("refused a line on stdin that is not a valid JSON-RPC message; reading on",
		"code", r.Code, "reason", r.Message, "bytes", size, "refused_so_far", c.refused)
	if err := c.writeRaw(r.frame()); err != nil {
		c.logger.Warn("cannot answer the refused line", "error", err)
	}
}

// readLine reads one line without its end (\n or \r\n), at most limit bytes of it. A
// longer line is consumed to its end and reported as tooLong, with only its first
// tooLongHead bytes (where the request id is).
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	for {
		chunk, err := br.ReadSlice('\n')
		if !tooLong {
			if len(line)+len(chunk) > limit+2 { // +2: the line end is not content
				tooLong = true
				line = append(line, chunk[:min(len(chunk), max(0, tooLongHead-len(line)))]...)
				line = line[:min(len(line), tooLongHead)]
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(err, bufio.ErrBufferFull) {
			continue
		}
		line = bytes.TrimSuffix(bytes.TrimSuffix(line, []byte("\n")), []byte("\r"))
		if !tooLong && len(line) > limit {
			tooLong, line = true, line[:min(len(line), tooLongHead)]
		}
		return line, tooLong, err
	}
}

// tooLongHead is how much of a line too long to be read readLine keeps: enough for the
// request id, which clients write first.
const tooLongHead = 4 << 10

// Read returns the next valid message.
func (c *conn) Read(ctx context.Context) (jsonrpc.Message, error) {
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case r := <-c.incoming:
		return r.msg, r.err
	case <-c.closed:
		return nil, io.EOF
	}
}

// Write sends one message as one line.
func (c *conn) Write(ctx context.Context, msg jsonrpc.Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	data, err := jsonrpc.EncodeMessage(msg)
	if err != nil {
		return err
	}
	return c.writeRaw(data)
}

// writeRaw writes data and a newline in one Write call, so that messages never interleave.
func (c *conn) writeRaw(data []byte) error {
	select {
	case <-c.closed:
		return mcp.ErrConnectionClosed
	default:
	}
	line := make([]byte, 0, len(data)+1)
	line = append(append(line, data...), '\n')
	c.writeMu.Lock()
	defer c.writeMu.Unlock()
	_, err := c.w.Write(line)
	return err
}

// Close stops reading; it is safe to call more than once and concurrently with Read.
func (c *conn) Close() error {
	var err error
	c.closeOnce.Do(func() {
		close(c.closed)
		if c.closeReader != nil {
			err = c.closeReader()
		}
	})
	return err
}

// SessionID is empty: stdio has one session.
func (c *conn) SessionID() string { return "" }

// Refusal is the JSON-RPC error answering a line that is not a valid message.
type Refusal struct {
	// Code is jsonrpc.CodeParseError (not JSON) or jsonrpc.CodeInvalidRequest (JSON,
	// but not a JSON-RPC 2.0 request, notification or response).
	Code int64
	// Message says what was wrong.
	Message string
	// ID is the id of the refused request when it could be read (a string or an
	// integer), so that the client's waiting call fails; nil answers with id null.
	ID any
}

// frame is the JSON-RPC error response of the refusal.
func (r *Refusal) frame() []byte { return r.JSON() }

// JSON is the JSON-RPC error response of the refusal, for other transports (HTTP) that
// answer the same refusals.
func (r *Refusal) JSON() []byte {
	b, err := json.Marshal(struct {
		JSONRPC string `json:"jsonrpc"`
		ID      any    `json:"id"`
		Error   struct {
			Code    int64  `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}{JSONRPC: "2.0", ID: r.ID, Error: struct {
		Code    int64  `json:"code"`
		Message string `json:"message"`
	}{r.Code, r.Message}})
	if err != nil { // a string or a json.Number id and two plain fields: cannot happen
		return []byte(`{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Invalid Request"}}`)
	}
	return b
}
