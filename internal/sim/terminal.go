package sim

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// POST /terminal/execute, streamed as Komodo Core v2.3 streams it.
//
// Core resolves the target and checks the user's Terminal permission (errors are 500s
// in Komodo's {"error","trace"} shape), then Periphery types this line into the
// terminal's shell:
//
//	printf '\n__KOMODO_START_OF_OUTPUT__\n\n'; <command>; rc=$?; printf '\n__KOMODO_EXIT_CODE:%d\n__KOMODO_END_OF_OUTPUT__\n' "$rc"
//
// and forwards every line after the start sentinel with a "\n" ending (Periphery's
// LinesCodec, which also drops a trailing "\r"); Core drops the end sentinel and ends
// the body. So a 200 body is: an empty line, the command's output lines, the printf's
// "\n" (an empty line when the output ended with a newline), the line
// "__KOMODO_EXIT_CODE:<rc>", and a clean end of the chunked stream. When the shell
// itself exits (the command ran `exit`), the rest of a partial line is forwarded and the
// body is aborted: no marker, no final chunk, and the client reads an unexpected EOF.
//
// Each target has named terminals (default: "term" for a server, the container's name
// for container targets, or init.command). A terminal runs one command at a time: a
// second command waits for the first, and the first's stream shows the second's wrapper
// line, as the pty echoes typed input. A command whose client went away keeps its
// terminal busy until it ends, as in Komodo; only its output is dropped (a command that
// prints ends at its next line, as a write to a closed pipe would end it).

// The sentinels of Periphery's wrapper (komodo_client's KOMODO_EXIT_CODE, periphery's
// START_OF_OUTPUT and END_OF_OUTPUT).
const (
	exitCodeMarker = "__KOMODO_EXIT_CODE:"
	startOfOutput  = "__KOMODO_START_OF_OUTPUT__"
	endOfOutput    = "__KOMODO_END_OF_OUTPUT__"
)

// wrapperLine is what Periphery types into the terminal for cmd, and so what the pty
// echoes.
func wrapperLine(cmd string) string {
	return fmt.Sprintf(`printf '\n%s\n\n'; %s; rc=$?; printf '\n%s%%d\n%s\n' "$rc"`, startOfOutput, cmd, exitCodeMarker, endOfOutput)
}

var (
	// errTerminalReaderGone ends a command's output when its client went away.
	errTerminalReaderGone = errors.New("terminal reader went away")
	// errSimClosed ends everything when the simulator closes.
	errSimClosed = errors.New("simulator closed")
)

// streamers answer operations whose 200 is a stream rather than one value.
var streamers = map[string]func(s *Server, w http.ResponseWriter, c *call){
	"ExecuteTerminal": (*Server).serveTerminal,
}

// term is one named terminal of a target.
type term struct {
	key   string
	shell *shell
	busy  chan struct{} // holds a token while a command runs

	mu  sync.Mutex
	out *termStream // the running command's stream, nil when idle
}

// termStream carries one command's lines from its shell to its HTTP response.
type termStream struct {
	lines chan string   // closed after the last line
	gone  chan struct{} // closed when the HTTP response ended early
	done  <-chan struct{}
}

func (ts *termStream) send(line string) error {
	select {
	case ts.lines <- line:
		return nil
	case <-ts.gone:
		return errTerminalReaderGone
	case <-ts.done:
		return errSimClosed
	}
}

// lineWriter is the terminal's output as Periphery reads it: bytes cut into lines.
type lineWriter struct {
	mu      sync.Mutex
	partial []byte
	emit    func(line string) error
}

func (lw *lineWriter) Write(p []byte) (int, error) {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	n := len(p)
	for {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			lw.partial = append(lw.partial, p...)
			return n, nil
		}
		line := string(lw.partial) + string(p[:i])
		lw.partial = lw.partial[:0]
		p = p[i+1:]
		if err := lw.emit(strings.TrimSuffix(line, "\r")); err != nil {
			return 0, err
		}
	}
}

// flush emits a partial last line, as LinesCodec does at the end of its input.
func (lw *lineWriter) flush() {
	lw.mu.Lock()
	defer lw.mu.Unlock()
	if len(lw.partial) > 0 {
		_ = lw.emit(string(lw.partial))
		lw.partial = nil
	}
}

// serveTerminal answers ExecuteTerminal with the command's streamed output.
func (s *Server) serveTerminal(w http.ResponseWriter, c *call) {
	s.mu.Lock()
	t, aerr := s.terminalFor(c)
	s.mu.Unlock()
	if aerr != nil {
		s.log.Debug("komodo error", "op", c.op.ID, "status", aerr.Status, "error", aerr.Msg)
		writeError(w, aerr)
		return
	}
	cmd := str(c.body, "command")
	ctx := c.r.Context()

	// The line is typed at once; a command still running there sees its echo.
	t.mu.Lock()
	if t.out != nil {
		_ = t.out.send(wrapperLine(cmd))
	}
	t.mu.Unlock()
	select {
	case t.busy <- struct{}{}:
	case <-ctx.Done():
		return
	case <-s.done:
		panic(http.ErrAbortHandler)
	}

	ts := &termStream{lines: make(chan string), gone: make(chan struct{}), done: s.done}
	exited := make(chan bool, 1)
	t.mu.Lock()
	t.out = ts
	t.mu.Unlock()
	go s.runCommand(t, ts, cmd, exited)

	flusher, _ := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	if flusher != nil {
		flusher.Flush()
	}
	for {
		select {
		case line, ok := <-ts.lines:
			if !ok {
				if <-exited {
					panic(http.ErrAbortHandler) // the shell exited: Core aborts the body
				}
				return
			}
			if d := s.opts.TerminalLineDelay; d > 0 {
				timer := time.NewTimer(d)
				select {
				case <-timer.C:
				case <-ctx.Done():
					timer.Stop()
					close(ts.gone)
					return
				case <-s.done:
					timer.Stop()
					close(ts.gone)
					panic(http.ErrAbortHandler)
				}
			}
			if _, err := io.WriteString(w, line+"\n"); err != nil {
				close(ts.gone)
				return
			}
			if flusher != nil {
				flusher.Flush()
			}
		case <-ctx.Done():
			close(ts.gone)
			return
		case <-s.done:
			close(ts.gone)
			panic(http.ErrAbortHandler)
		}
	}
}

// runCommand runs cmd in t's shell, sending its lines to ts, then frees the terminal.
// exited receives whether the shell itself ended (the stream must then be cut).
func (s *Server) runCommand(t *term, ts *termStream, cmd string, exited chan<- bool) {
	lw := &lineWriter{emit: ts.send}
	_, err := lw.Write([]byte("\n")) // the empty line after the start sentinel
	if err == nil {
		err = t.shell.run(cmd, lw, lw)
	}
	var ex exitShell
	if errors.As(err, &ex) {
		lw.flush()
	}
	t.mu.Lock()
	if err == nil {
		// Under t.mu, so that no echo falls between the marker and the end sentinel.
		_, _ = fmt.Fprintf(lw, "\n%s%d\n", exitCodeMarker, t.shell.status)
	}
	t.out = nil
	t.mu.Unlock()
	if errors.As(err, &ex) {
		s.mu.Lock()
		if s.terms[t.key] == t {
			delete(s.terms, t.key) // the shell is gone; the next command gets a new one
		}
		s.mu.Unlock()
	}
	exited <- errors.As(err, &ex)
	close(ts.lines)
	<-t.busy
}

// terminalFor resolves the request's target as Core's setup_target_for_user does and
// returns its terminal, created on first use. Call with mu held.
func (s *Server) terminalFor(c *call) (*term, *apiError) {
	tgt, _ := c.body["target"].(map[string]any)
	params, _ := tgt["params"].(map[string]any)
	init, _ := c.body["init"].(map[string]any)
	name := str(c.body, "terminal")
	shellName := str(init, "command")
	if shellName == "" {
		shellName = "sh"
	}
	var (
		srv       *resource
		container *simContainer
		key       string
	)
	switch kind := str(tgt, "type"); kind {
	case "Server":
		ref := str(params, "server")
		if ref == "" {
			return nil, errf("Missing 'target.params.server'")
		}
		r, aerr := s.terminalResource("Server", ref, c.user)
		if aerr != nil {
			return nil, aerr
		}
		srv = r
		if aerr := s.periphery(srv); aerr != nil {
			return nil, aerr
		}
		if srv.TerminalsDisabled {
			return nil, executeErr("Terminals are disabled in the Periphery config")
		}
		if name == "" {
			name = firstOf(str(init, "command"), "term")
		}
	case "Container":
		r, aerr := s.terminalResource("Server", str(params, "server"), c.user)
		if aerr != nil {
			return nil, aerr
		}
		srv = r
		if aerr := s.periphery(srv); aerr != nil {
			return nil, aerr
		}
		if container, aerr = s.containerOn(srv, str(params, "container")); aerr != nil {
			return nil, aerr
		}
	case "Stack":
		stack, aerr := s.terminalResource("Stack", str(params, "stack"), c.user)
		if aerr != nil {
			return nil, aerr
		}
		service := str(params, "service")
		if service == "" {
			return nil, errf("Missing 'target.params.service'")
		}
		if srv, aerr = s.w.mustFind("Server", str(stack.Config, "server_id")); aerr != nil {
			return nil, aerr
		}
		found := false
		for _, sv := range stack.Services {
			found = found || sv.Service == service
		}
		if !found {
			return nil, errf("Did not find Stack service matching %s", service)
		}
		if !contains([]string{"running", "stopped", "paused", "restarting"}, stack.State) {
			return nil, errf("Did not find container for Stack service %s", service)
		}
		if aerr := s.periphery(srv); aerr != nil {
			return nil, aerr
		}
		if container, aerr = s.containerOn(srv, stack.Name+"-"+service+"-1"); aerr != nil {
			return nil, aerr
		}
	case "Deployment":
		dep, aerr := s.terminalResource("Deployment", str(params, "deployment"), c.user)
		if aerr != nil {
			return nil, aerr
		}
		if srv, aerr = s.w.mustFind("Server", str(dep.Config, "server_id")); aerr != nil {
			return nil, aerr
		}
		if aerr := s.periphery(srv); aerr != nil {
			return nil, aerr
		}
		if container, aerr = s.containerOn(srv, dep.Name); aerr != nil {
			return nil, aerr
		}
	default:
		return nil, deserializeErr(fmt.Sprintf("unknown variant `%s`, expected one of `Server`, `Container`, `Stack`, `Deployment`", kind))
	}
	if container != nil {
		if name == "" {
			name = firstOf(str(init, "command"), str(init, "mode"), container.name)
		}
		key = "container:" + srv.ID + ":" + container.name + ":" + name
	} else {
		key = "server:" + srv.ID + ":" + name
	}
	if t := s.terms[key]; t != nil {
		return t, nil
	}
	t := &term{key: key, busy: make(chan struct{}, 1), shell: s.newShell(srv, container, shellName)}
	s.terms[key] = t
	return t, nil
}

// terminalResource finds the target and checks the Terminal permission on it: admins
// have it; the seeded non-admins have only Read. Call with mu held.
func (s *Server) terminalResource(kind, key string, u *user) (*resource, *apiError) {
	r, aerr := s.w.mustFind(kind, key)
	if aerr != nil {
		return nil, aerr
	}
	if u != nil && !u.Admin {
		return nil, errf("User does not have required permissions on this %s. Must have at least Read permission with the Terminal specific permission", kind)
	}
	return r, nil
}

// periphery is Core reaching the server's Periphery. Call with mu held.
func (s *Server) periphery(srv *resource) *apiError {
	switch srv.State {
	case "Disabled":
		return errf("server not enabled")
	case "NotOk":
		return executeErr(srv.Err)
	}
	return nil
}

// executeErr is a failure of Periphery while executing, as Core reports it.
func executeErr(cause string) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Msg: "Failed to execute command on Terminal", Trace: []string{cause}}
}

// simContainer is a container on a simulated server.
type simContainer struct {
	name, image, state string
}

// containers lists the containers of a server: its deployed deployments and the
// service containers of its stacks. Call with mu held.
func (s *Server) containers(srv *resource) []simContainer {
	var out []simContainer
	for _, d := range s.w.list("Deployment") {
		if str(d.Config, "server_id") != srv.ID || d.State == "not_deployed" || d.State == "unknown" || d.State == "" {
			continue
		}
		image, _ := deploymentImage(s.w, d)
		out = append(out, simContainer{name: d.Name, image: image, state: d.State})
	}
	states := map[string]string{"running": "running", "stopped": "exited", "paused": "paused", "restarting": "restarting"}
	for _, st := range s.w.list("Stack") {
		state := states[st.State]
		if str(st.Config, "server_id") != srv.ID || state == "" {
			continue
		}
		for _, sv := range st.Services {
			out = append(out, simContainer{name: st.Name + "-" + sv.Service + "-1", image: sv.Image, state: state})
		}
	}
	return out
}

// containerOn finds a running container for a container terminal. Call with mu held.
func (s *Server) containerOn(srv *resource, name string) (*simContainer, *apiError) {
	if srv.TerminalsDisabled || srv.ContainerTerminalsDisabled {
		return nil, executeErr("Container terminals are disabled in the Periphery config")
	}
	for _, ct := range s.containers(srv) {
		if ct.name != name {
			continue
		}
		switch ct.state {
		case "running":
		case "restarting":
			return nil, executeErr(fmt.Sprintf("Error response from daemon: Container %s is restarting, wait until the container is running", name))
		case "paused":
			return nil, executeErr(fmt.Sprintf("Error response from daemon: Container %s is paused, unpause the container before exec", name))
		default:
			return nil, executeErr(fmt.Sprintf("Error response from daemon: container %s is not running", name))
		}
		return &ct, nil
	}
	return nil, executeErr("Error response from daemon: No such container: " + name)
}

// newShell is the shell of a new terminal: on the server itself, or in a container.
// Call with mu held.
func (s *Server) newShell(srv *resource, ct *simContainer, name string) *shell {
	name = name[strings.LastIndexByte(name, '/')+1:]
	sh := &shell{name: name, files: map[string]string{}, sleep: s.sleepOrClose}
	if ct == nil {
		sh.hostname, sh.home = srv.Name, "/root"
		var b strings.Builder
		tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
		fmt.Fprintln(tw, "CONTAINER ID\tIMAGE\tSTATUS\tNAMES")
		for _, c := range s.containers(srv) {
			if c.state == "running" {
				fmt.Fprintf(tw, "%s\t%s\tUp 3 days\t%s\n", shortID(c.name), c.image, c.name)
			}
		}
		_ = tw.Flush()
		sh.ps = b.String()
		sh.files["/etc/os-release"] = "PRETTY_NAME=\"Ubuntu 24.04.1 LTS\"\nNAME=\"Ubuntu\"\nVERSION_ID=\"24.04\"\nID=ubuntu\n"
		sh.files["/proc/loadavg"] = "0.42 0.37 0.35 1/512 4242\n"
	} else {
		sh.hostname, sh.home = shortID(ct.name), "/"
		sh.files["/etc/os-release"] = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nID=debian\n"
	}
	sh.files["/etc/hostname"] = sh.hostname + "\n"
	return sh
}

// sleepOrClose waits d, or until the simulator closes.
func (s *Server) sleepOrClose(d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-s.done:
		return errSimClosed
	}
}

// shortID is a container's 12-hex id, derived from its name.
func shortID(name string) string {
	sum := sha1.Sum([]byte(name))
	return hex.EncodeToString(sum[:6])
}

func firstOf(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}
