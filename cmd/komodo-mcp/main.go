// Command komodo-mcp is an MCP server for Komodo, the build-and-deploy system, with CLI
// verbs for people and scripts.
//
//	komodo-mcp [serve] [flags]      serve MCP over stdio (default) or streamable HTTP (--http)
//	komodo-mcp tools [flags]        list the tools a configuration exposes, with schema sizes
//	komodo-mcp call TOOL [JSON]     run one tool and print its result
//	komodo-mcp doctor [flags]       check a configuration against its Komodo
//	komodo-mcp sim [--addr A]       run the Komodo simulator for demos and tests
//	komodo-mcp version              print the version, revision and Komodo version
//	komodo-mcp help [VERB]          print the help (every setting), or a verb's
//
// Configuration comes from flags, the environment and a .env file (see --help). A
// configuration mistake prints one line naming the setting and exits with status 2 - except
// when serving MCP on stdio to a client (stdin is not a terminal): then the server still
// completes the handshake and answers every tool call with the mistake and where to fix it,
// and exits (status 2) when stdin closes, so that the person sees why in their client.
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
	server.Version = buildVersion().Version
	verb := "serve"
	if len(args) > 0 && len(args[0]) > 0 && args[0][0] != '-' {
		verb, args = args[0], args[1:]
	} else if len(args) == 1 && isHelpFlag(args[0]) { // komodo-mcp --help: the whole picture, not serve's flags
		verb, args = "help", nil
	} else if len(args) == 1 && (args[0] == "--version" || args[0] == "-version") {
		verb, args = "version", nil
	}
	var err error
	switch verb {
	case "serve":
		err = serve(ctx, args, stdin, stdout, stderr, getenv)
	case "tools":
		err = listTools(args, stdout, stderr, getenv)
	case "call":
		err = callTool(ctx, args, stdin, stdout, stderr, getenv)
	case "sim":
		err = runSim(ctx, args, stdout, stderr)
	case "doctor":
		err = doctor(ctx, args, stdout, stderr, getenv)
	case "version":
		err = printVersion(args, stdout, stderr)
	case "help":
		err = help(ctx, args, stdin, stdout, stderr, getenv)
	default:
		err = unknownVerb(verb)
	}
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, flag.ErrHelp):
		return exitOK
	case errors.Is(err, errToolFailed):
		return exitFailure
	case errors.As(err, new(errReported)):
		return exitUsage
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

// newFlagSet is a verb's flag set with the configuration flags it reads registered, and a
// --help that shows only those.
func newFlagSet(name string, stderr io.Writer) (*flag.FlagSet, *config.Flags) {
	fs := flag.NewFlagSet("komodo-mcp "+name, flag.ContinueOnError)
	v, _ := findVerb(name)
	setVerbUsage(fs, v, stderr)
	if v.groups == 0 {
		return fs, nil
	}
	return fs, config.NewFlags(fs, v.groups)
}

func isHelpFlag(arg string) bool {
	switch arg {
	case "-h", "-help", "--help", "--h":
		return true
	}
	return false
}

// help prints the overall help to stdout, or a verb's help (komodo-mcp help call).
func help(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	switch {
	case len(args) == 0:
		usage(stdout)
		return nil
	case len(args) > 1:
		return usageError("help takes at most one command name")
	}
	if _, ok := findVerb(args[0]); !ok || args[0] == "help" {
		if ok {
			usage(stdout)
			return nil
		}
		return unknownVerb(args[0])
	}
	// A verb's --help prints to its flag set's output; here it was asked for, so stdout.
	code := run(ctx, []string{args[0], "--help"}, stdin, stdout, stdout, getenv)
	if code != exitOK {
		return fmt.Errorf("help %s: exit status %d", args[0], code)
	}
	return nil
}

// parseConfig parses a verb's flags and loads the configuration.
func parseConfig(fs *flag.FlagSet, cf *config.Flags, args []string, getenv func(string) string) (*config.Config, error) {
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	return cf.Load(getenv)
}

// newLogger logs to stderr: stdout is the MCP channel in stdio mode.
func newLogger(stderr io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
}
