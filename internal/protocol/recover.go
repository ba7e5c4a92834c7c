// Package protocol is receiving middleware that keeps the MCP conversation sound whatever
// a handler or a client does: a panic becomes an error answer instead of the end of the
// process, and a log level the spec does not define is refused.
package protocol

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// RecoverPanics is receiving middleware that keeps a fault of ours from ending the
// process. The SDK recovers nothing: a panic in any handler would take down stdio, and
// every session of an HTTP server with it. Installed on the server itself, it covers
// every request and every tool, whichever way it was registered (generated, hand-written,
// or added later).
//
// A panicking tools/call answers a SERVER_ERROR tool result; any other method answers
// JSON-RPC -32603. The panic value and stack go to the log (stderr), with configured
// secrets redacted; the client gets a short message only.
func RecoverPanics(logger *slog.Logger, secrets func() []string) mcp.Middleware {
	return func(next mcp.MethodHandler) mcp.MethodHandler {
		return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
			defer func() {
				p := recover()
				if p == nil {
					return
				}
				tool := ""
				if call, ok := req.(*mcp.CallToolRequest); ok && call.Params != nil {
					tool = call.Params.Name
				}
				msg := fmt.Sprint(p)
				stack := string(debug.Stack())
				if redact := errcode.NewReplacer(secrets()...); redact != nil {
					msg, stack = redact.Replace(msg), redact.Replace(stack)
				}
				logger.Error("internal fault while serving a request (recovered; the session goes on)",
					"method", method, "tool", tool, "panic", msg, "stack", stack)
				if method == "tools/call" {
					res, err = panicResult(tool), nil
					return
				}
				res, err = nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error in komodo-mcp while handling " + method + " (logged on its stderr)"}
			}()
			return next(ctx, method, req)
		}
	}
}

// panicResult is the tool result of a call that hit an internal fault.
func panicResult(name string) *mcp.CallToolResult {
	return tool.Failure(&errcode.Error{
		Code:               errcode.ServerError,
		MayHaveBeenApplied: true,
		Message:            fmt.Sprintf("komodo-mcp hit an internal fault while running %s; the call stopped (it may already have reached Komodo)", name),
		Hint:               "This is a bug in komodo-mcp, logged on its stderr. Other tools keep working; for a write or execute, check komodo_read_ListUpdates before repeating it.",
	})
}
