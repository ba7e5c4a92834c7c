package protocol

import (
	"context"
	"fmt"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// logLevels are the levels logging/setLevel accepts (RFC 5424's, as the MCP spec lists them).
// The logging feature is deprecated from protocol 2026-07-28 (SEP-2577), hence the
// nolint below, but clients of the earlier versions still use it.
var logLevels = []mcp.LoggingLevel{"debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"} //nolint:staticcheck // see above

// CheckLogLevel is receiving middleware refusing logging/setLevel with a level the spec
// does not define as invalid params (-32602). The SDK stores any string, and then
// compares against it as if it were the lowest level.
func CheckLogLevel(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if method == "logging/setLevel" {
			p, _ := req.GetParams().(*mcp.SetLoggingLevelParams) //nolint:staticcheck // see logLevels
			if p == nil || !slices.Contains(logLevels, p.Level) {
				level := mcp.LoggingLevel("") //nolint:staticcheck // see logLevels
				if p != nil {
					level = p.Level
				}
				return nil, &jsonrpc.Error{Code: jsonrpc.CodeInvalidParams,
					Message: fmt.Sprintf("invalid log level %q: use one of %v", level, logLevels)}
			}
		}
		return next(ctx, method, req)
	}
}
