// Package terminaltool is komodo_terminal_Execute: one shell command on a server, or in a
// container, deployment or stack service, through Komodo's terminal API, answered with its
// output and exit code.
package terminaltool

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/shape"
	"github.com/komodo-mcp/komodo-mcp/internal/terminal"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Endpoint is where Komodo's terminal API is: the Core's address and the HTTP client
// that carries the server's credentials (internal/rpc's client).
type Endpoint interface {
	HTTPClient() *http.Client
	URL() string
}

// Deps are what the terminal tool's handler uses.
type Deps interface {
	Endpoint() Endpoint
	Redactor() shape.Redactor
}

// terminalSchema is the input of komodo_terminal_Execute: flat, so that an assistant need
// not build Komodo's nested TerminalTarget.
const terminalSchema = `{"type":"object","additionalProperties":false,"required":["type","id","command"],"properties":{
"type":{"type":"string","enum":["server","container","deployment","stack"],"description":"Where the command runs: on a server's host, in a container, in a deployment's container, or in a stack service's container."},
"id":{"type":"string","description":"Id or name of the server (for type server and container), deployment or stack."},
"container":{"type":"string","description":"Container name (type container)."},
"service":{"type":"string","description":"Stack service (type stack; default: the stack's first service)."},
"command":{"type":"string","description":"The shell command line."},
"terminal":{"type":"string","description":"Terminal to run it in (created when missing). Default: komodo-mcp."},
"timeout":{"type":"number","minimum":1,"maximum":300,"description":"Seconds to wait for the command (default 30). At the timeout the output so far is returned; the command may still be running."},
"max_output_bytes":{"type":"integer","minimum":1024,"maximum":1048576,"description":"Output kept, the tail when longer (default 65536)."}}}`

// Name is the terminal tool's name.
const Name = "komodo_terminal_Execute"

// defaultTerminal is the terminal komodo-mcp creates and reuses on a target.
const defaultTerminal = "komodo-mcp"

// Tool runs one command through Komodo's /terminal/execute and answers its output and
// exit code.
func Tool() *tool.Tool {
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:  Name,
			Title: "Execute a terminal command",
			Description: "Run a shell command on a server, or in a container, deployment or stack service, through Komodo's terminal API, and answer its output and exit code. " +
				"Output is capped (the tail is kept, with a note); a command still running at the timeout is left running. Needs terminal permission on the target.",
			InputSchema: json.RawMessage(terminalSchema),
			// A shell command can change or remove anything, and running it twice is not
			// running it once.
			Annotations: tool.Annotations("Execute a terminal command", catalog.EffectRunCode, false),
		},
		Effect:    catalog.EffectRunCode,
		Operation: "ExecuteTerminal",
		Module:    "terminal",
		Toolset:   "terminals",
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				// Args passed the input schema: each is of its schema's type or absent.
				str := func(k string) string { v, _ := c.Args[k].(string); return v }
				in := struct {
					Type, ID, Container, Service, Command, Terminal string
					Timeout                                         float64
					MaxOutputBytes                                  int
				}{Type: str("type"), ID: str("id"), Container: str("container"), Service: str("service"), Command: str("command"), Terminal: str("terminal")}
				if n, ok := c.Args["timeout"].(json.Number); ok {
					in.Timeout, _ = n.Float64()
				}
				if n, ok := c.Args["max_output_bytes"].(json.Number); ok {
					v, _ := n.Int64()
					in.MaxOutputBytes = int(v)
				}
				var target terminal.Target
				switch in.Type {
				case "server":
					target = terminal.ServerTarget(in.ID)
				case "container":
					if in.Container == "" {
						return nil, tool.Invalid("missing argument `container`: type container needs the server in `id` and the container name", "")
					}
					target = terminal.ContainerTarget(in.ID, in.Container)
				case "deployment":
					target = terminal.DeploymentTarget(in.ID)
				case "stack":
					target = terminal.StackTarget(in.ID, in.Service)
				}
				if in.Terminal == "" {
					in.Terminal = defaultTerminal
				}
				timeout := 30 * time.Second
				if in.Timeout > 0 {
					timeout = time.Duration(in.Timeout * float64(time.Second))
				}
				res, err := terminal.Execute(ctx, d.Endpoint().HTTPClient(), d.Endpoint().URL(), terminal.Request{
					Target: target, Terminal: in.Terminal, Command: in.Command,
					Init: &terminal.Init{}, MaxOutput: in.MaxOutputBytes, Timeout: timeout,
				})
				if err != nil {
					return nil, rpc.AsError(err)
				}
				out := map[string]any{
					"output":    d.Redactor().Value(res.Output),
					"exit_code": res.ExitCode,
					"truncated": res.Truncated,
					"timed_out": res.TimedOut,
				}
				if res.TruncatedBytes > 0 {
					out["truncated_bytes"] = res.TruncatedBytes
				}
				if res.Note != "" {
					out["note"] = res.Note
				}
				return tool.Success(out), nil
			}
		}),
	}
}
