// Package terminal runs one command through Komodo Core's terminal API
// (POST /terminal/execute) and turns the streamed answer into an output, an exit
// code and notes on anything that went short of a normal finish.
//
// # The wire protocol (Komodo Core v2.3)
//
// Core resolves the target, checks the user's terminal permission, opens (or
// creates, with init) a terminal on the Periphery agent and answers 200 with a
// chunked text stream. Periphery writes this line into the terminal's shell:
//
//	printf '\n__KOMODO_START_OF_OUTPUT__\n\n'; <command>; rc=$?; printf '\n__KOMODO_EXIT_CODE:%d\n__KOMODO_END_OF_OUTPUT__\n' "$rc"
//
// and forwards, line by line with "\n" endings, everything after the start
// sentinel; Core drops the end sentinel and closes the stream. So a finished
// command's stream is: one empty line, the command's output, a "\n" of the
// printf, the line "__KOMODO_EXIT_CODE:<rc>", then a clean end of stream. When
// the shell itself ends mid-command (the command ran `exit`, or the terminal was
// killed) Periphery reports "pty exited" as a stream error and Core aborts the
// response body, so no marker arrives and the body read fails.
//
// # Reading the exit code
//
// The official TypeScript client (komodo_client terminal.ts) takes the FIRST line
// that starts with "__KOMODO_EXIT_CODE", so a command that prints such a line
// fools it. Here a marker line counts only when all of this holds:
//
//   - the whole line is the marker and an integer ("__KOMODO_EXIT_CODE:3",
//     trailing "\r" or spaces allowed; the "__KOMODO_EXIT_CODE__:" spelling of
//     the client's doc comment is accepted too). The shell's echo of the wrapper,
//     "__KOMODO_EXIT_CODE:%d", is not a marker.
//   - it is the last line of the stream: any byte after it makes it ordinary
//     output (a command that runs `echo __KOMODO_EXIT_CODE:7` and goes on).
//   - the stream ended cleanly. An aborted stream (the shell exited) never has
//     an exit code, even when its last line looks like one.
//
// Otherwise Result.ExitCode is nil and Result.Note says why.
//
// # Limits
//
// The output kept is the last Request.MaxOutput bytes (the tail holds the
// outcome and the errors); what was dropped is counted in
// Result.TruncatedBytes and said in Result.Note. Request.Timeout bounds the
// whole call: at the deadline the call returns what was read with TimedOut
// set, not an error. Komodo does not stop a command when its reader goes away,
// so the note says the command may still be running.
//
// A terminal command is not idempotent: it is sent once. The rpc client's retry
// transport treats /terminal/* as unsafe and repeats it only when the request
// provably never left (a failed dial); this package adds no retry of its own.
package terminal

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Marker starts the line that carries the command's exit code: Komodo's
// KOMODO_EXIT_CODE constant (komodo_client::entities).
const Marker = "__KOMODO_EXIT_CODE:"

// markerAlt is the spelling of the official client's doc comment
// ("__KOMODO_EXIT_CODE__:0"); Core does not send it, but accepting it costs
// nothing under the last-line rule.
const markerAlt = "__KOMODO_EXIT_CODE__:"

// Path is the Core endpoint, under KOMODO_URL, that executes a terminal command.
const Path = "/terminal/execute"

// Defaults for a Request.
const (
	DefaultMaxOutput = 64 << 10
	DefaultTimeout   = 30 * time.Second
)

// maxErrorBody bounds how much of a non-200 answer is read for the error.
const maxErrorBody = 64 << 10

// TargetType is the kind of resource a command runs on.
type TargetType string

// The target types of Komodo's TerminalTarget.
const (
	Server     TargetType = "Server"     // the server's own shell
	Container  TargetType = "Container"  // a container on a server
	Stack      TargetType = "Stack"      // a service container of a stack
	Deployment TargetType = "Deployment" // a deployment's container
)

// Target names where a command runs: Komodo's TerminalTarget
// {"type": ..., "params": {...}}. Each type uses its own fields; ids or names
// are accepted wherever Komodo takes them.
type Target struct {
	Type       TargetType
	Server     string // Server, Container
	Container  string // Container
	Stack      string // Stack
	Service    string // Stack: the compose service
	Deployment string // Deployment
}

// ServerTarget runs on the shell of server (id or name).
func ServerTarget(server string) Target { return Target{Type: Server, Server: server} }

// ContainerTarget runs inside container on server.
func ContainerTarget(server, container string) Target {
	return Target{Type: Container, Server: server, Container: container}
}

// StackTarget runs inside the container of service in stack.
func StackTarget(stack, service string) Target {
	return Target{Type: Stack, Stack: stack, Service: service}
}

// DeploymentTarget runs inside the container of deployment.
func DeploymentTarget(deployment string) Target {
	return Target{Type: Deployment, Deployment: deployment}
}

// Validate reports a missing field as a VALIDATION_ERROR before Komodo is asked.
// Komodo types Server's server and Stack's service as optional but refuses the
// request without them ("Missing 'target.params.service'").
func (t Target) Validate() error {
	need := func(field, value string) error {
		if strings.TrimSpace(value) == "" {
			return validation(fmt.Sprintf("a %s terminal target needs %s", t.Type, field))
		}
		return nil
	}
	switch t.Type {
	case Server:
		return need("server", t.Server)
	case Container:
		return errors.Join(need("server", t.Server), need("container", t.Container))
	case Stack:
		return errors.Join(need("stack", t.Stack), need("service", t.Service))
	case Deployment:
		return need("deployment", t.Deployment)
	}
	return validation(fmt.Sprintf("unknown terminal target type %q (Server, Container, Stack or Deployment)", t.Type))
}

// MarshalJSON writes Komodo's TerminalTarget.
func (t Target) MarshalJSON() ([]byte, error) {
	params := map[string]string{}
	set := func(k, v string) {
		if v != "" {
			params[k] = v
		}
	}
	switch t.Type {
	case Server:
		set("server", t.Server)
	case Container:
		set("server", t.Server)
		set("container", t.Container)
	case Stack:
		set("stack", t.Stack)
		set("service", t.Service)
	case Deployment:
		set("deployment", t.Deployment)
	}
	return json.Marshal(struct {
		Type   TargetType        `json:"type"`
		Params map[string]string `json:"params"`
	}{t.Type, params})
}

// Init creates the terminal when it does not exist yet: Komodo's InitTerminal.
// Empty fields are left to Komodo's defaults.
type Init struct {
	// Command is the shell that starts the terminal, e.g. "bash". Komodo's
	// default: the Periphery setting for servers, "sh" for containers.
	Command string `json:"command,omitempty"`
	// Recreate is "Never" (Komodo's default), "Always" or "DifferentCommand".
	Recreate string `json:"recreate,omitempty"`
	// Mode is "exec" (default) or "attach", for container terminals only.
	Mode string `json:"mode,omitempty"`
}

// Request is one command to execute.
type Request struct {
	// Target is where the command runs.
	Target Target
	// Terminal names the terminal to use; empty lets Komodo choose its default
	// for the target (the init command's name, "term", or the container).
	Terminal string
	// Command is the shell command line.
	Command string
	// Init creates the terminal if needed.
	Init *Init
	// MaxOutput is the number of output bytes kept (the tail); 0 means
	// DefaultMaxOutput.
	MaxOutput int
	// Timeout bounds the whole call; 0 means DefaultTimeout, negative means
	// only ctx bounds it.
	Timeout time.Duration
}

// body is Komodo's ExecuteTerminalBody.
type body struct {
	Target   Target `json:"target"`
	Terminal string `json:"terminal,omitempty"`
	Command  string `json:"command"`
	Init     *Init  `json:"init,omitempty"`
}

// Result is what a command produced.
type Result struct {
	// Output is the command's output as the terminal wrote it (stdout and
	// stderr mixed, as in a terminal), without Komodo's sentinels: at most
	// MaxOutput bytes, the tail when longer.
	Output string `json:"output"`
	// ExitCode is the command's exit status; nil when the stream ended without
	// a valid final marker (the shell exited, a timeout, a cut stream).
	ExitCode *int `json:"exit_code"`
	// Truncated reports that the start of the output was dropped.
	Truncated bool `json:"truncated,omitempty"`
	// TruncatedBytes is how many bytes were dropped.
	TruncatedBytes int `json:"truncated_bytes,omitempty"`
	// TimedOut reports that Request.Timeout (or ctx's deadline) ended the read.
	TimedOut bool `json:"timed_out,omitempty"`
	// Note explains, for a person, every way this result falls short of a
	// finished command with its whole output; empty when it does not.
	Note string `json:"note,omitempty"`
}

// Execute sends req to the Komodo Core at baseURL through httpClient (which
// must authenticate, e.g. rpc.Client.HTTPClient()) and reads the streamed
// answer. A non-200 answer is an *errcode.Error; a missing terminal permission
// is AUTH_ERROR. A deadline is not an error: the result says TimedOut. A
// cancelled ctx returns ctx.Err().
func Execute(ctx context.Context, httpClient *http.Client, baseURL string, req Request) (*Result, error) {
	if err := req.Target.Validate(); err != nil {
		return nil, err
	}
	if strings.TrimSpace(req.Command) == "" {
		return nil, validation("command is empty")
	}
	if req.Init != nil {
		if err := req.Init.validate(); err != nil {
			return nil, err
		}
	}
	if httpClient == nil {
		httpClient = errcode.NoRedirectClient
	}
	maxOut := req.MaxOutput
	if maxOut <= 0 {
		maxOut = DefaultMaxOutput
	}
	timeout := req.Timeout
	if timeout == 0 {
		timeout = DefaultTimeout
	}
	if timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}

	payload, err := json.Marshal(body{Target: req.Target, Terminal: req.Terminal, Command: req.Command, Init: req.Init})
	if err != nil {
		return nil, validation(err.Error())
	}
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(baseURL, "/")+Path, bytes.NewReader(payload))
	if err != nil {
		return nil, validation(err.Error())
	}
	hreq.Header.Set("Content-Type", "application/json")

	resp, err := httpClient.Do(hreq)
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return interrupted(ctxErr, &reader{out: newTail(maxOut)})
		}
		return nil, errcode.FromTransport(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, errcode.Redirected(resp.StatusCode, hreq.Method, hreq.URL.String(), resp.Header.Get("Location"))
	}
	if resp.StatusCode != http.StatusOK {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		return nil, classify(resp.StatusCode, data)
	}

	r := &reader{out: newTail(maxOut)}
	readErr := r.consume(resp.Body)
	if ctxErr := ctx.Err(); readErr != nil && ctxErr != nil {
		return interrupted(ctxErr, r)
	}
	return r.result(readErr), nil
}

// interrupted ends a call whose context is done: a deadline gives the partial
// result, a cancellation the cancellation.
func interrupted(ctxErr error, r *reader) (*Result, error) {
	if !errors.Is(ctxErr, context.DeadlineExceeded) {
		return nil, ctxErr
	}
	res := r.result(ctxErr)
	res.TimedOut = true
	return res, nil
}

// classify turns Komodo's refusal into an *errcode.Error, with terminal words
// where they help. Komodo answers a missing terminal permission with a 500
// "user does not have required permissions on this Server" (errcode's
// permission words) or a 403; both are AUTH_ERROR.
func classify(status int, data []byte) *errcode.Error {
	e := errcode.FromResponse(status, data)
	lower := strings.ToLower(e.Message + " " + strings.Join(e.Trace, " "))
	switch {
	case e.Code == errcode.AuthError && status != http.StatusUnauthorized:
		e.Hint = "Running terminal commands needs the Terminal permission on the target (in Komodo: Read level with the Terminal specific permission), or an admin user; a Komodo admin can grant it."
	case strings.Contains(lower, "terminals are disabled") || strings.Contains(lower, "container terminals are disabled"):
		e.Hint = "Terminals are disabled on this server's Periphery agent (disable_terminals / disable_container_terminals in its config)."
	}
	return e
}

func (in *Init) validate() error {
	switch in.Recreate {
	case "", "Never", "Always", "DifferentCommand":
	default:
		return validation(fmt.Sprintf("init recreate %q: use Never, Always or DifferentCommand", in.Recreate))
	}
	switch in.Mode {
	case "", "exec", "attach":
	default:
		return validation(fmt.Sprintf("init mode %q: use exec or attach", in.Mode))
	}
	return nil
}

func validation(msg string) *errcode.Error {
	return &errcode.Error{Code: errcode.ValidationError, Message: msg,
		Hint: "Check the terminal target (type and its fields), the command and the init options."}
}

// reader turns the byte stream into output and a final marker. It holds back a
// complete marker-looking line until the stream proves it was the last one.
type reader struct {
	out      *tail
	held     []byte // a marker-looking line not yet known to be the last
	heldCode int
	started  bool // the first line has been seen
	midLine  bool // the last chunk ended inside a line
}

// readBuffer bounds one line fragment; a longer line is output in pieces (and
// cannot be a marker).
const readBuffer = 32 << 10

// consume reads body to its end and returns the read error: nil for a clean
// end of stream.
func (r *reader) consume(body io.Reader) error {
	br := bufio.NewReaderSize(body, readBuffer)
	for {
		chunk, err := br.ReadSlice('\n')
		switch {
		case err == nil:
			r.feed(chunk, true)
			continue
		case errors.Is(err, bufio.ErrBufferFull):
			r.feed(chunk, false)
			continue
		}
		if len(chunk) > 0 {
			// The final line without "\n": complete if the stream ended
			// cleanly (the official client counts it), a fragment otherwise.
			r.feed(chunk, err == io.EOF)
		}
		if err == io.EOF {
			return nil
		}
		return err
	}
}

// feed takes one line (complete, with its "\n") or a fragment of one.
func (r *reader) feed(chunk []byte, complete bool) {
	if r.held != nil { // more bytes came: the held line was output
		r.out.Write(r.held)
		r.held = nil
	}
	lineStart := !r.midLine
	r.midLine = !complete
	if lineStart && !r.started {
		r.started = true
		if complete && len(bytes.TrimRight(chunk, "\r\n")) == 0 {
			return // the empty line Komodo's printf puts after the start sentinel
		}
	}
	if lineStart && complete {
		if code, ok := parseMarker(chunk); ok {
			r.held = append([]byte(nil), chunk...)
			r.heldCode = code
			return
		}
	}
	r.out.Write(chunk)
}

// result finishes the read; readErr is nil for a clean end of stream.
func (r *reader) result(readErr error) *Result {
	res := &Result{}
	var notes []string
	switch {
	case readErr == nil && r.held != nil:
		code := r.heldCode
		res.ExitCode = &code
		r.held = nil
		r.out.TrimFinalNewline() // the "\n" Komodo's printf writes before the marker
	case errors.Is(readErr, context.DeadlineExceeded):
		notes = append(notes, "timed out before the command finished: the output is what arrived until then, and the command may still be running in the terminal (Komodo does not stop it)")
	case readErr == nil:
		notes = append(notes, "the stream ended without Komodo's exit-code line, so the exit code is unknown")
	default:
		notes = append(notes, "the stream ended without an exit code: the terminal's shell exited before the command finished (for example the command ran `exit`), or the connection was cut ("+shorten(readErr.Error())+")")
	}
	if r.held != nil { // a marker-looking last line that does not count
		r.out.Write(r.held)
		r.held = nil
	}
	res.Output, res.TruncatedBytes = r.out.String()
	if res.TruncatedBytes > 0 {
		res.Truncated = true
		notes = append(notes, fmt.Sprintf("output truncated: the first %d bytes were dropped, the last %d kept", res.TruncatedBytes, len(res.Output)))
	}
	res.Note = strings.Join(notes, "; ")
	return res
}

// parseMarker reads a whole line "__KOMODO_EXIT_CODE:<int>".
func parseMarker(line []byte) (int, bool) {
	s := strings.TrimRight(string(line), " \t\r\n")
	var rest string
	switch {
	case strings.HasPrefix(s, Marker):
		rest = s[len(Marker):]
	case strings.HasPrefix(s, markerAlt):
		rest = s[len(markerAlt):]
	default:
		return 0, false
	}
	if rest == "" || len(rest) > 11 {
		return 0, false
	}
	code, err := strconv.Atoi(rest)
	if err != nil || strings.HasPrefix(rest, "+") {
		return 0, false
	}
	return code, true
}

func shorten(s string) string {
	if len(s) > 200 {
		return s[:200] + "..."
	}
	return s
}
