package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
)

// errToolFailed marks a tool call that returned an error result (exit status 1).
var errToolFailed = errors.New("tool failed")

// callTool runs one tool through a real MCP session in-process and prints its result:
// the structured content as indented JSON, or the text content; a failed tool prints the
// {"error", "code"} JSON and exits with status 1.
func callTool(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, cf := newFlagSet("call", stderr)
	yes := fs.Bool("yes", false, "answer yes to the confirmation question (KOMODO_CONFIRM) instead of asking")
	// Accept flags before and after the tool name: komodo-mcp call TOOL '{}' --demo.
	var positional []string
	for {
		if err := parseFlags(fs, args); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	cfg, err := cf.Load(getenv)
	if err != nil {
		return err
	}
	if len(positional) == 0 || len(positional) > 2 {
		return usageError("call takes a tool name and optionally its JSON arguments: komodo-mcp call [flags] TOOL [JSON] (komodo-mcp call --help)")
	}
	name, rawArgs := positional[0], "{}"
	if len(positional) == 2 {
		rawArgs = positional[1]
	}
	if !json.Valid([]byte(rawArgs)) {
		return usageError("the arguments %q are not valid JSON", rawArgs)
	}
	if err := checkToolName(name); err != nil {
		return err
	}
	// The tool named on the command line is offered whatever the toolsets say. One that
	// some Komodo versions lack is offered by offering every tool instead (the permit still
	// refuses what --read-only and --exclude-tools remove): named in --tools, it would keep
	// the server from serving an older Core's own tools (that version's selection cannot
	// name it), and the call would reach a Core that lacks it.
	if inEveryVersion(name) {
		cfg.Tools = append(cfg.Tools, name)
	} else {
		cfg.Toolsets = []string{"all"}
	}

	logger := newLogger(stderr, cfg.LogLevel)
	// Tokens that a second `call` against the same Komodo accepts (once): the key is
	// derived from the Komodo and the credentials, spent tokens are kept in a journal.
	key := callConfirmKey(cfg)
	tokens := confirm.NewJournalTokens(key, 0, confirmJournal(key))
	srv, cleanup, err := buildWith(ctx, cfg, logger, stderr, tokens)
	if err != nil {
		return err
	}
	defer cleanup()
	detectKomodo(ctx, cfg, srv, logger)

	serverT, clientT := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, serverT, nil)
	if err != nil {
		return err
	}
	defer func() { _ = ss.Close() }()
	var opts mcp.ClientOptions
	asked := false
	switch {
	case *yes:
		opts.ElicitationHandler = func(context.Context, *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}
	case isTerminal(stdin):
		opts.ElicitationHandler = func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			asked = true
			return askPerson(stdin, stderr, req.Params.Message), nil
		}
	}
	client := mcp.NewClient(&mcp.Implementation{Name: "komodo-mcp-cli", Version: "1"}, &opts)
	cs, err := client.Connect(ctx, clientT, nil)
	if err != nil {
		return err
	}
	defer func() { _ = cs.Close() }()

	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(rawArgs)})
	if err != nil {
		return err
	}
	printResult(stdout, res)
	if res.IsError {
		if tok := previewToken(res); tok != "" && !asked {
			fmt.Fprintf(stderr, `komodo-mcp: nothing was done: %s needs a person's confirmation (KOMODO_CONFIRM=%s). To confirm:
  - run it on a terminal, which asks yes or no, or add --yes;
  - or run it again within %d minutes with "%s": %q added to the arguments;
  - or use --confirm none (KOMODO_CONFIRM=none) to never ask.
`, name, cfg.Confirm, int(confirm.DefaultTTL.Minutes()), server.ConfirmationArg, tok)
		}
		return errToolFailed
	}
	return nil
}

// askPerson asks the elicitation's question on the terminal and reads y or N (the default).
func askPerson(stdin io.Reader, stderr io.Writer, question string) *mcp.ElicitResult {
	fmt.Fprintf(stderr, "%s [y/N] ", question)
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && line == "" {
		fmt.Fprintln(stderr)
		return &mcp.ElicitResult{Action: "cancel"}
	}
	switch strings.ToLower(strings.TrimSpace(line)) {
	case "y", "yes":
		return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}
	}
	return &mcp.ElicitResult{Action: "decline"}
}

// previewToken is the confirmation token of a confirmation_required preview, or "".
func previewToken(res *mcp.CallToolResult) string {
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			var p struct {
				Status string `json:"status"`
				Token  string `json:"confirmation_token"`
			}
			if json.Unmarshal([]byte(t.Text), &p) == nil && p.Status == "confirmation_required" {
				return p.Token
			}
		}
	}
	return ""
}

// callConfirmKey is the key of the confirmation tokens of `call`: derived from the Komodo
// (its URL; "demo" for the embedded simulator, whose URL changes with every process) and
// the credentials, so that a token printed by one `call` works in the next against the
// same Komodo as the same user, and nowhere else. It is never written anywhere.
func callConfirmKey(cfg *config.Config) []byte {
	h := sha256.New()
	komodo := cfg.URL
	if cfg.Demo {
		komodo = "demo"
	}
	for _, part := range []string{"komodo-mcp call confirmation v1", komodo, string(cfg.AuthMode), cfg.APIKey, cfg.APISecret, cfg.Username, cfg.Password, cfg.JWT} {
		h.Write(binary.BigEndian.AppendUint32(nil, uint32(len(part))))
		h.Write([]byte(part))
	}
	return h.Sum(nil)
}

// confirmJournal is where `call` keeps the spent tokens of key: the user's cache directory,
// one file per Komodo and credentials (named by a hash of the key).
func confirmJournal(key []byte) string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	sum := sha256.Sum256(key)
	return filepath.Join(dir, "komodo-mcp", "spent-confirmations-"+hex.EncodeToString(sum[:8]))
}

// checkToolName refuses a tool that does not exist, suggesting the nearest name. Whether
// an existing tool may be called (--read-only, --exclude-tools, the Core's version) is
// the server's permit's decision, the same for `call`, tools/call and komodo_call_tool:
// `call` does not decide it a second time.
func checkToolName(name string) error {
	all, err := server.List(server.Selection{Toolsets: []string{"all"}})
	if err != nil {
		return err
	}
	names := make([]string, len(all))
	for i, t := range all {
		if t.Name == name {
			return nil
		}
		names[i] = t.Name
	}
	return usageError("unknown tool %q%s: `komodo-mcp tools --toolsets all` lists every tool", name, suggestTool(name, names))
}

// inEveryVersion reports whether every Komodo version served has the tool (a tool of our
// own, not in the catalog, is in every version).
func inEveryVersion(name string) bool {
	if _, ok := catalog.Newest().ByName(name); !ok {
		return true
	}
	for _, v := range catalog.Versions() {
		c, err := catalog.Load(v)
		if err != nil {
			return false
		}
		if _, ok := c.ByName(name); !ok {
			return false
		}
	}
	return true
}

// suggestTool is the "did you mean" for a tool name: the tool of that Komodo operation when
// the prefix was left out (ListServers), else the nearest name.
func suggestTool(name string, names []string) string {
	var byOperation []string
	for _, n := range names {
		if i := strings.LastIndexByte(n, '_'); i >= 0 && strings.EqualFold(n[i+1:], name) {
			byOperation = append(byOperation, n)
		}
	}
	if len(byOperation) > 0 {
		return " (did you mean " + strings.Join(quoteEach(byOperation), " or ") + "?)"
	}
	return suggest.DidYouMean(name, names)
}

func quoteEach(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// printResult prints structured content as indented JSON, else the text content.
func printResult(w io.Writer, res *mcp.CallToolResult) {
	if res.StructuredContent != nil && !res.IsError {
		raw, err := json.Marshal(res.StructuredContent)
		if err == nil {
			var buf bytes.Buffer
			if json.Indent(&buf, raw, "", "  ") == nil {
				fmt.Fprintln(w, buf.String())
				return
			}
		}
	}
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			fmt.Fprintln(w, t.Text)
		}
	}
}
