// Command komodo-mcp is an MCP server for Komodo, the build-and-deploy system, with CLI
// verbs for people and scripts.
//
//	komodo-mcp [serve] [flags]      serve MCP over stdio (default) or streamable HTTP (--http)
//	komodo-mcp tools [flags]        list the tools a configuration exposes, with schema sizes
//	komodo-mcp call TOOL [JSON]     run one tool and print its result
//	komodo-mcp doctor [flags]       check a configuration against its Komodo
//	komodo-mcp sim [--addr A]       run the Komodo simulator for demos and tests
//	komodo-mcp version              print the version
//
// Configuration comes from flags, the environment and a .env file (see --help). A
// configuration mistake prints one line naming the setting and exits with status 2.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1 // the work failed (a tool returned an error, Komodo unreachable...)
	exitUsage   = 2 // a configuration or usage mistake
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

// run dispatches a verb. Stdout carries only the verb's output (the MCP protocol for
// serve); logs and errors go to stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		server.Version = bi.Main.Version
	}
	verb := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		verb, args = args[0], args[1:]
	}
	var err error
	switch verb {
	case "serve":
		err = serve(ctx, args, stdin, stdout, stderr, getenv)
	case "tools":
		err = listTools(args, stdout, stderr, getenv)
	case "call":
		err = callTool(ctx, args, stdout, stderr, getenv)
	case "sim":
		err = runSim(ctx, args, stdout, stderr)
	case "doctor":
		err = doctor(ctx, args, stdout, stderr, getenv)
	case "version":
		fmt.Fprintln(stdout, "komodo-mcp", server.Version)
	case "help":
		usage(stdout)
	default:
		fmt.Fprintf(stderr, "komodo-mcp: unknown command %q\n", verb)
		usage(stderr)
		return exitUsage
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errToolFailed):
		return exitFailure
	case config.IsConfigError(err) || errors.As(err, new(*usageErr)):
		fmt.Fprintln(stderr, "komodo-mcp:", err)
		return exitUsage
	default:
		fmt.Fprintln(stderr, "komodo-mcp:", err)
		return exitFailure
	}
}

// usageErr is a command-line mistake (exit status 2).
type usageErr struct{ msg string }

func (e *usageErr) Error() string { return e.msg }

// usageError is a command-line mistake with its message.
func usageError(format string, a ...any) error {
	return &usageErr{msg: fmt.Sprintf(format, a...)}
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage:
  komodo-mcp [serve] [flags]        serve MCP over stdio, or streamable HTTP with --http ADDR
  komodo-mcp tools [flags]          list the tools a configuration exposes, with schema sizes
  komodo-mcp call TOOL [JSON] [flags]  run one tool and print its result (exit 1 if it failed)
  komodo-mcp doctor [flags]         check the configuration against Komodo (reachable, version, credentials)
  komodo-mcp sim [--addr ADDR]      run the Komodo simulator (prints its URL and credentials)
  komodo-mcp version

Try it without a Komodo:  komodo-mcp call --demo komodo_read_ListServers
Flags of a verb:          komodo-mcp VERB --help
`)
}

// newFlagSet is a verb's flag set with the configuration flags registered.
func newFlagSet(verb string, stderr io.Writer) (*flag.FlagSet, *config.Flags) {
	fs := flag.NewFlagSet("komodo-mcp "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs, config.NewFlags(fs)
}

// parseConfig parses a verb's flags and loads the configuration.
func parseConfig(fs *flag.FlagSet, cf *config.Flags, args []string, getenv func(string) string) (*config.Config, error) {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, err
		}
		return nil, usageError("%v", err)
	}
	return cf.Load(getenv)
}

// newLogger logs to stderr: stdout is the MCP channel in stdio mode.
func newLogger(stderr io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}
