package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// Out-of-range integers are refused by the schema's bounds with a VALIDATION_ERROR naming
// them; the session goes on (such a page used to overflow the offset and panic).
func TestServer_HugeIntegers(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"default", "deployments"}})
	for _, c := range []struct{ tool, args, arg string }{
		{"komodo_read_ListServers", `{"page": 9223372036854775807}`, "page"},
		{"komodo_read_ListDeployments", `{"page": 2, "page_size": 9223372036854775807}`, "page_size"},
		{"komodo_read_ListServers", `{"page": 1e400}`, "page"},
		{"komodo_read_ListServers", `{"page": -9223372036854775808}`, "page"},
		{"komodo_read_GetDeploymentLog", `{"id": "web-api", "tail": 18446744073709551616}`, "tail"},
		{"komodo_read_GetDeploymentLog", `{"id": "web-api", "tail": -1}`, "tail"},
		{"komodo_read_WaitForUpdate", `{"id": "x", "timeout": 1e308}`, "timeout"},
		{"komodo_execute_RunProcedure", `{"id": "x", "options": {"timeout": 1e308}}`, "timeout"},
	} {
		code, msg := toolError(t, call(t, cs, c.tool, c.args))
		if code != "VALIDATION_ERROR" || !strings.Contains(msg, c.arg) {
			t.Errorf("%s %s: %s %s", c.tool, c.args, code, msg)
		}
	}
	env := structured(t, call(t, cs, "komodo_read_ListServers", `{"page": 1000000, "page_size": 1000}`))
	if items, _ := env["items"].([]any); len(items) != 0 || env["page"] != float64(1000000) {
		t.Errorf("last allowed page = %v", env)
	}
}

// logging/setLevel accepts the spec's levels and refuses anything else as -32602.
//
//nolint:staticcheck // logging is deprecated from protocol 2026-07-28, still served before
func TestServer_SetLogLevel(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})
	ctx := context.Background()
	if err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: "warning"}); err != nil {
		t.Fatalf("warning: %v", err)
	}
	for _, level := range []mcp.LoggingLevel{"loud", "", "WARNING"} {
		err := cs.SetLoggingLevel(ctx, &mcp.SetLoggingLevelParams{Level: level})
		var we *jsonrpc.Error
		if !errors.As(err, &we) || we.Code != jsonrpc.CodeInvalidParams {
			t.Errorf("level %q: err = %v, want -32602", level, err)
		}
	}
}
