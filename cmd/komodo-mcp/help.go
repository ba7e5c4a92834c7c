package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
)

// verb is one command of the CLI and what its help says.
type verb struct {
	name     string
	synopsis string       // arguments after the verb
	summary  string       // one line for the verb list
	about    string       // the paragraph of `komodo-mcp VERB --help`
	groups   config.Group // the configuration flags it offers; 0 for none
}

// verbs are the CLI's commands, in the order the help lists them.
var verbs = []verb{
	{"serve", "[flags]", "serve MCP on stdio (the default verb), or on streamable HTTP with --http",
		"Serve MCP on stdio for an MCP client (Claude Desktop, Claude Code, Cursor, VS Code), which starts\n" +
			"komodo-mcp itself; or on streamable HTTP with --http. \"serve\" may be left out.",
		config.AllGroups},
	{"tools", "[flags]", "list the tools a configuration offers, with their schema sizes",
		"List the tools a configuration offers, with their schema sizes. Contacts no Komodo.",
		config.Selection},
	{"call", "[flags] TOOL [JSON]", "run one tool and print its result (exit status 1 if it failed)",
		"Run one tool through a real MCP session and print its result: the JSON answer, or the error\n" +
			"with its code (exit status 1). The tool is offered whatever --toolsets says.\n" +
			"Example: komodo-mcp call --demo komodo_read_GetServer '{\"id\": \"prod-1\"}'",
		config.Komodo | config.Selection | config.Execution},
	{"doctor", "[flags]", "check a configuration against its Komodo: reachable, version, credentials",
		"Check a configuration against its Komodo: whether it answers, its version against the one the\n" +
			"tools were generated for, whether the credentials are accepted and may read, and whether\n" +
			"Core's own operation list (GET /docs) matches the tools' document (--docs requires it).",
		config.Komodo},
	{"sim", "[flags]", "run the Komodo simulator and print its URL and demo credentials",
		"Run the Komodo simulator (Komodo's wire protocol, demo data) until interrupted, and print\n" +
			"its URL and demo credentials. It listens on 127.0.0.1:9120, or on a free port when that one\n" +
			"is taken (unless --addr is given).",
		0},
	{"version", "", "print the version, the source revision and the Komodo version the tools are for",
		"Print komodo-mcp's version, the source revision it was built from and the Komodo Core version\n" +
			"its tools were generated for.",
		0},
	{"help", "[VERB]", "print this help, or a verb's",
		"Print the overall help, or the help of VERB.",
		0},
}

func findVerb(name string) (verb, bool) {
	for _, v := range verbs {
		if v.name == name {
			return v, true
		}
	}
	return verb{}, false
}

// unknownVerb is the usage error for a verb that does not exist.
func unknownVerb(name string) error {
	names := make([]string, len(verbs))
	for i, v := range verbs {
		names[i] = v.name
	}
	return usageError("unknown command %q%s: the commands are %s (komodo-mcp --help)",
		name, suggest.DidYouMean(name, names), strings.Join(names, ", "))
}

// usage prints the overall help: the verbs and every setting, including those read only from
// the environment. The settings come from internal/config, so a new one shows up here.
func usage(w io.Writer) {
	fmt.Fprint(w, "komodo-mcp: an MCP server for Komodo (https://komo.do), and a command line to try it.\n\nUsage:\n")
	for _, v := range verbs {
		fmt.Fprintf(w, "  %-37s %s\n", strings.TrimSpace("komodo-mcp "+v.name+" "+v.synopsis), v.summary)
	}
	fmt.Fprint(w, `
Try it without a Komodo:  komodo-mcp call --demo komodo_read_ListServers
Help of one command:      komodo-mcp VERB --help

Settings: a flag wins over the environment variable, which wins over the .env file.
Credentials are read only from the environment or the .env file (a command line is visible to
every user of the machine); each can also be read from the file named by its *_FILE variable.

`)
	for _, s := range config.Settings() {
		fmt.Fprintf(w, "  %s\n      %s\n", settingName(s), s.Usage)
	}
}

// settingName is how help texts name a setting: its flag (with placeholder) and variables.
func settingName(s config.Setting) string {
	names := []string{s.Env}
	if s.File != "" {
		names = append(names, s.File+" (a file holding it)")
	}
	if s.Flag == "" {
		return strings.Join(names, ", ")
	}
	flagName := "--" + s.Flag
	if s.Placeholder != "" {
		flagName += " " + s.Placeholder
	}
	return flagName + ", " + strings.Join(names, ", ")
}

// setVerbUsage makes fs's --help print, on w, the verb's synopsis, its paragraph, its own
// flags with named placeholders and, when it talks to Komodo, the credentials read from the
// environment. The flag package itself prints nothing: parseFlags reports mistakes.
func setVerbUsage(fs *flag.FlagSet, v verb, w io.Writer) {
	fs.SetOutput(io.Discard)
	fs.Usage = func() { verbUsage(w, fs, v) }
}

// parseFlags parses a verb's flags: --help prints the verb's help and returns flag.ErrHelp; a
// mistake is one usage error (exit status 2), with "did you mean" for a misspelt flag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	help := fs.Usage
	fs.Usage = func() {} // the flag package calls it on mistakes too
	err := fs.Parse(args)
	fs.Usage = help
	switch {
	case err == nil:
		return nil
	case errors.Is(err, flag.ErrHelp):
		help()
		return err
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = "unknown flag --" + name
		if s := suggest.Closest(name, names, 1); len(s) == 1 {
			msg += " (did you mean --" + s[0] + "?)"
		}
	}
	return usageError("%s: %s --help lists its flags", msg, fs.Name())
}

func verbUsage(w io.Writer, fs *flag.FlagSet, v verb) {
	fmt.Fprintf(w, "Usage: %s\n\n%s\n", strings.TrimSpace("komodo-mcp "+v.name+" "+v.synopsis), v.about)
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if first {
			fmt.Fprint(w, "\nFlags:\n")
			first = false
		}
		name, text := flag.UnquoteUsage(f)
		if name != "" {
			name = " " + name
		}
		fmt.Fprintf(w, "  --%s%s\n      %s\n", f.Name, name, text)
	})
	if v.groups&config.Komodo == 0 {
		return
	}
	fmt.Fprint(w, "\nCredentials, from the environment or the .env file only:\n")
	for _, s := range config.Settings() {
		if s.Flag == "" && s.Group&v.groups != 0 {
			fmt.Fprintf(w, "  %s\n      %s\n", settingName(s), s.Usage)
		}
	}
}
