package sim

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// A tiny POSIX-ish shell behind the simulated terminals: enough to exercise a terminal
// client (output, exit codes, a shell that exits, slow and large output, errors), not a
// real shell. It knows `;`, `&&`, `||`, `|`, quotes, `$?`/`$NAME`, the redirections
// `>`, `>>`, `2>`, `2>&1`, `>&2`, `<` and the commands of runCommand. Anything else is
// "not found" (127). Pipelines run their stages concurrently through pipes, so that
// `yes | head -n 3` ends.

// shell is one simulated terminal's shell. It runs one script at a time.
type shell struct {
	name     string   // "sh", "bash": how errors are worded
	hostname string   // the server's name, or the container's short id
	home     string   // $HOME and pwd
	files    *fileSet // cat-able files (redirections write here too)
	env      map[string]string
	ps       string // `docker ps` output; "" inside containers (no docker there)
	// sleep waits d; it fails when the simulator closes.
	sleep func(d time.Duration) error

	status int // $?
}

// fileSet is the shell's files, shared with `sh -c` children and written by concurrent
// pipeline stages.
type fileSet struct {
	mu sync.Mutex
	m  map[string]string
}

// exitShell is returned when the script runs `exit`: the shell itself ends, and with
// it the terminal.
type exitShell struct{ code int }

func (e exitShell) Error() string { return fmt.Sprintf("shell exited with %d", e.code) }

// errSyntax is a script the tokenizer refuses (exit status 2, like sh).
type errSyntax string

func (e errSyntax) Error() string { return string(e) }

// run executes a script. It returns nil when the script ran to its end (the exit status
// is sh.status), exitShell when it ran `exit`, or the error of the output stream (the
// terminal is gone), which ends the script at once.
func (sh *shell) run(script string, stdout, stderr io.Writer) error {
	toks, err := tokenize(script)
	if err != nil {
		fmt.Fprintf(stderr, "%s: 1: %s\n", sh.name, err)
		sh.status = 2
		return nil
	}
	lists, err := parseList(toks)
	if err != nil {
		fmt.Fprintf(stderr, "%s: 1: %s\n", sh.name, err)
		sh.status = 2
		return nil
	}
	for _, item := range lists {
		switch {
		case item.op == "&&" && sh.status != 0, item.op == "||" && sh.status == 0:
			continue
		}
		code, err := sh.pipeline(item.cmds, stdout, stderr)
		if err != nil {
			return err
		}
		sh.status = code
	}
	return nil
}

// token is an operator (op != "") or a word made of parts.
type token struct {
	op   string
	fd   int // redirections: the fd before the operator (-1 for the default)
	word []part
}

// part is a piece of a word; literal parts (single-quoted or escaped) are not expanded.
type part struct {
	text    string
	literal bool
}

func tokenize(s string) ([]token, error) {
	var (
		toks []token
		cur  []part
		inW  bool
	)
	add := func(text string, literal bool) {
		inW = true
		if n := len(cur); n > 0 && cur[n-1].literal == literal {
			cur[n-1].text += text
			return
		}
		cur = append(cur, part{text, literal})
	}
	end := func() {
		if inW {
			toks = append(toks, token{word: cur})
		}
		cur, inW = nil, false
	}
	op := func(o string, fd int) { end(); toks = append(toks, token{op: o, fd: fd}) }
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			end()
		case c == '#' && !inW:
			for i < len(s) && s[i] != '\n' {
				i++
			}
			i--
		case c == ';' || c == '\n':
			op(";", -1)
		case c == '&' && i+1 < len(s) && s[i+1] == '&':
			op("&&", -1)
			i++
		case c == '&':
			op(";", -1) // no job control: a background command runs in the foreground
		case c == '|' && i+1 < len(s) && s[i+1] == '|':
			op("||", -1)
			i++
		case c == '|':
			op("|", -1)
		case c == '>' || c == '<':
			fd := -1
			if len(cur) == 1 && !cur[0].literal && (cur[0].text == "1" || cur[0].text == "2") {
				fd = int(cur[0].text[0] - '0')
				cur, inW = nil, false
			}
			o := string(c)
			if c == '>' && i+1 < len(s) && (s[i+1] == '>' || s[i+1] == '&') {
				o += string(s[i+1])
				i++
			}
			op(o, fd)
		case c == '\'':
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, errSyntax("Syntax error: Unterminated quoted string")
			}
			add(s[i+1:i+1+j], true)
			i += j + 1
		case c == '"':
			var b strings.Builder
			closed := false
			for i++; i < len(s); i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("\"\\$`", s[i+1]) >= 0 {
					// An escaped $ must not expand: flush and add it literally.
					if s[i+1] == '$' {
						add(b.String(), false)
						b.Reset()
						add("$", true)
					} else {
						b.WriteByte(s[i+1])
					}
					i++
					continue
				}
				if s[i] == '"' {
					closed = true
					break
				}
				b.WriteByte(s[i])
			}
			if !closed {
				return nil, errSyntax("Syntax error: Unterminated quoted string")
			}
			add(b.String(), false)
			if b.Len() == 0 {
				add("", true) // "" is an empty argument, not nothing
			}
		case c == '\\' && i+1 < len(s):
			add(string(s[i+1]), true)
			i++
		default:
			add(string(c), false)
		}
	}
	end()
	return toks, nil
}

// listItem is a pipeline and the operator before it ("" for the first, ";", "&&", "||").
type listItem struct {
	op   string
	cmds []command
}

// command is one simple command: its words and redirections.
type command struct {
	words  [][]part
	redirs []redir
}

type redir struct {
	op     string // ">", ">>", ">&", "<"
	fd     int    // 1 or 2 for output, 0 for input
	target []part
}

func parseList(toks []token) ([]listItem, error) {
	var (
		out  []listItem
		item = listItem{}
		cmd  command
	)
	endCmd := func() error {
		if len(cmd.words) == 0 && len(cmd.redirs) == 0 {
			return nil
		}
		item.cmds = append(item.cmds, cmd)
		cmd = command{}
		return nil
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.op {
		case "":
			cmd.words = append(cmd.words, t.word)
		case ">", ">>", ">&", "<":
			if i+1 >= len(toks) || toks[i+1].op != "" {
				return nil, errSyntax("Syntax error: newline unexpected")
			}
			fd := t.fd
			if fd < 0 {
				fd = 1
				if t.op == "<" {
					fd = 0
				}
			}
			cmd.redirs = append(cmd.redirs, redir{op: t.op, fd: fd, target: toks[i+1].word})
			i++
		case "|":
			if len(cmd.words) == 0 {
				return nil, errSyntax(`Syntax error: "|" unexpected`)
			}
			_ = endCmd()
		default: // ; && ||
			if len(cmd.words) == 0 && t.op != ";" {
				return nil, errSyntax(fmt.Sprintf("Syntax error: %q unexpected", t.op))
			}
			_ = endCmd()
			if len(item.cmds) > 0 {
				out = append(out, item)
			}
			item = listItem{op: t.op}
		}
	}
	_ = endCmd()
	if len(item.cmds) > 0 {
		out = append(out, item)
	}
	return out, nil
}

// expand turns a word into its text: $?, $$, $NAME and ${NAME} outside single quotes.
func (sh *shell) expand(w []part) string {
	var b strings.Builder
	for _, p := range w {
		if p.literal {
			b.WriteString(p.text)
			continue
		}
		b.WriteString(varRe.ReplaceAllStringFunc(p.text, func(v string) string {
			name := strings.Trim(v[1:], "{}")
			switch name {
			case "?":
				return strconv.Itoa(sh.status)
			case "$":
				return "4242"
			}
			return sh.env[name]
		}))
	}
	return b.String()
}

var varRe = regexp.MustCompile(`\$(\?|\$|\{[A-Za-z_][A-Za-z0-9_]*\}|[A-Za-z_][A-Za-z0-9_]*)`)

// pipeline runs the stages of a pipeline concurrently, joined by pipes, and returns the
// exit status of the last. A stage whose reader went away ends as by SIGPIPE.
func (sh *shell) pipeline(cmds []command, stdout, stderr io.Writer) (int, error) {
	if len(cmds) == 1 {
		return sh.simple(cmds[0], nil, stdout, stderr, false)
	}
	codes := make([]int, len(cmds))
	errs := make([]error, len(cmds))
	var wg sync.WaitGroup
	var in io.Reader
	for i, c := range cmds {
		out, next := stdout, (*io.PipeReader)(nil)
		var pw *io.PipeWriter
		if i < len(cmds)-1 {
			next, pw = io.Pipe()
			out = pw
		}
		wg.Add(1)
		go func(i int, c command, in io.Reader, out io.Writer, pw *io.PipeWriter) {
			defer wg.Done()
			codes[i], errs[i] = sh.simple(c, in, out, stderr, true)
			if pw != nil {
				_ = pw.Close()
			}
			if pr, ok := in.(*io.PipeReader); ok {
				_ = pr.CloseWithError(io.ErrClosedPipe) // the writer gets EPIPE
			}
		}(i, c, in, out, pw)
		in = next
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return 0, err
		}
	}
	return codes[len(codes)-1], nil
}

// simple runs one command with its redirections. In a pipeline (sub) an exit ends
// only that stage, as in a subshell.
func (sh *shell) simple(c command, stdin io.Reader, stdout, stderr io.Writer, sub bool) (int, error) {
	out, errw := stdout, stderr
	for _, r := range c.redirs {
		target := sh.expand(r.target)
		switch r.op {
		case "<":
			data, ok := sh.file(target)
			if !ok {
				fmt.Fprintf(stderr, "%s: 1: cannot open %s: No such file\n", sh.name, target)
				return 2, nil
			}
			stdin = strings.NewReader(data)
		case ">&":
			dst := out
			if target == "2" {
				dst = errw
			}
			if r.fd == 2 {
				errw = dst
			} else {
				out = dst
			}
		default:
			w := io.Writer(io.Discard)
			if target != "/dev/null" {
				w = &fileWriter{sh: sh, name: target, appendTo: r.op == ">>"}
			}
			if r.fd == 2 {
				errw = w
			} else {
				out = w
			}
		}
	}
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	args := make([]string, 0, len(c.words))
	for _, w := range c.words {
		args = append(args, sh.expand(w))
	}
	if len(args) == 0 {
		return 0, nil
	}
	code, err := sh.command(args, stdin, out, errw)
	var ex exitShell
	switch {
	case errors.As(err, &ex) && sub:
		return ex.code, nil
	case errors.Is(err, io.ErrClosedPipe):
		return 141, nil
	}
	return code, err
}

// fileWriter is a redirection into a file the shell remembers for cat.
type fileWriter struct {
	sh       *shell
	name     string
	appendTo bool
	started  bool
}

func (f *fileWriter) Write(p []byte) (int, error) {
	fs := f.sh.files
	fs.mu.Lock()
	defer fs.mu.Unlock()
	if !f.started && !f.appendTo {
		fs.m[f.name] = ""
	}
	f.started = true
	fs.m[f.name] += string(p)
	return len(p), nil
}

func (sh *shell) file(name string) (string, bool) {
	sh.files.mu.Lock()
	defer sh.files.mu.Unlock()
	data, ok := sh.files.m[name]
	return data, ok
}

// command runs one command. The error is exitShell, a write error of the output, or
// nil; the int is the exit status.
func (sh *shell) command(args []string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	name, argv := args[0], args[1:]
	fail := func(code int, format string, a ...any) (int, error) {
		_, err := fmt.Fprintf(stderr, format+"\n", a...)
		return code, err
	}
	switch name {
	case "true", ":", "cd", "export", "set", "unset":
		return 0, nil
	case "false":
		return 1, nil
	case "exit":
		code := sh.status
		if len(argv) > 0 {
			n, err := strconv.Atoi(argv[0])
			if err != nil {
				return fail(2, "%s: 1: exit: Illegal number: %s", sh.name, argv[0])
			}
			code = n & 0xff
		}
		return 0, exitShell{code}
	case "echo":
		newline, escapes := true, false
		for len(argv) > 0 && (argv[0] == "-n" || argv[0] == "-e" || argv[0] == "-ne" || argv[0] == "-en") {
			newline = newline && !strings.Contains(argv[0], "n")
			escapes = escapes || strings.Contains(argv[0], "e")
			argv = argv[1:]
		}
		text := strings.Join(argv, " ")
		if escapes {
			text = unescape(text)
		}
		if newline {
			text += "\n"
		}
		_, err := io.WriteString(stdout, text)
		return 0, err
	case "printf":
		if len(argv) == 0 {
			return fail(2, "printf: usage: printf format [arguments]")
		}
		_, err := io.WriteString(stdout, printf(argv[0], argv[1:]))
		return 0, err
	case "sleep":
		if len(argv) == 0 {
			return fail(1, "sleep: missing operand")
		}
		d, err := parseSleep(argv[0])
		if err != nil {
			return fail(1, "sleep: invalid time interval '%s'", argv[0])
		}
		return 0, sh.sleep(d)
	case "seq":
		nums := make([]int, 0, 3)
		for _, a := range argv {
			n, err := strconv.Atoi(a)
			if err != nil {
				return fail(1, "seq: invalid floating point argument: '%s'", a)
			}
			nums = append(nums, n)
		}
		first, inc, last := 1, 1, 0
		switch len(nums) {
		case 1:
			last = nums[0]
		case 2:
			first, last = nums[0], nums[1]
		case 3:
			first, inc, last = nums[0], nums[1], nums[2]
		default:
			return fail(1, "seq: missing operand")
		}
		if inc == 0 {
			return fail(1, "seq: invalid Zero increment value: '0'")
		}
		for n := first; inc > 0 && n <= last || inc < 0 && n >= last; n += inc {
			if _, err := fmt.Fprintf(stdout, "%d\n", n); err != nil {
				return 1, err
			}
		}
		return 0, nil
	case "yes":
		line := "y\n"
		if len(argv) > 0 {
			line = strings.Join(argv, " ") + "\n"
		}
		for {
			if _, err := io.WriteString(stdout, line); err != nil {
				return 1, err
			}
		}
	case "cat":
		if len(argv) == 0 {
			_, err := io.Copy(stdout, stdin)
			return 0, err
		}
		code := 0
		for _, f := range argv {
			data, ok := sh.file(f)
			if !ok {
				if _, err := fmt.Fprintf(stderr, "cat: %s: No such file or directory\n", f); err != nil {
					return 1, err
				}
				code = 1
				continue
			}
			if _, err := io.WriteString(stdout, data); err != nil {
				return 1, err
			}
		}
		return code, nil
	case "head", "tail":
		n := 10
		var files []string
		for i := 0; i < len(argv); i++ {
			a := argv[i]
			switch {
			case a == "-n" && i+1 < len(argv):
				v, err := strconv.Atoi(argv[i+1])
				if err != nil {
					return fail(1, "%s: invalid number of lines: '%s'", name, argv[i+1])
				}
				n = v
				i++
			case strings.HasPrefix(a, "-n"):
				v, err := strconv.Atoi(a[2:])
				if err != nil {
					return fail(1, "%s: invalid number of lines: '%s'", name, a[2:])
				}
				n = v
			case len(a) > 1 && a[0] == '-':
				v, err := strconv.Atoi(a[1:])
				if err != nil {
					return fail(1, "%s: invalid option -- '%s'", name, a[1:])
				}
				n = v
			default:
				files = append(files, a)
			}
		}
		in, code, err := sh.input(files, stdin, stderr, name)
		if in == nil {
			return code, err
		}
		if name == "head" {
			return 0, headLines(in, stdout, n)
		}
		return 0, tailLines(in, stdout, n)
	case "wc":
		var flags string
		var files []string
		for _, a := range argv {
			if strings.HasPrefix(a, "-") {
				flags += a[1:]
			} else {
				files = append(files, a)
			}
		}
		in, code, err := sh.input(files, stdin, stderr, name)
		if in == nil {
			return code, err
		}
		data, err := io.ReadAll(in)
		if err != nil {
			return 1, err
		}
		counts := map[byte]int{'l': bytes.Count(data, []byte("\n")), 'w': len(strings.Fields(string(data))), 'c': len(data)}
		var fields []string
		for _, f := range []byte("lwc") {
			if flags == "" || strings.IndexByte(flags, f) >= 0 {
				fields = append(fields, strconv.Itoa(counts[f]))
			}
		}
		_, err = fmt.Fprintln(stdout, strings.Join(fields, " "))
		return 0, err
	case "grep":
		var invert, count, fold bool
		var pattern *string
		var files []string
		for _, a := range argv {
			switch {
			case pattern == nil && strings.HasPrefix(a, "-") && len(a) > 1:
				invert = invert || strings.Contains(a, "v")
				count = count || strings.Contains(a, "c")
				fold = fold || strings.Contains(a, "i")
			case pattern == nil:
				p := a
				pattern = &p
			default:
				files = append(files, a)
			}
		}
		if pattern == nil {
			return fail(2, "Usage: grep [OPTION]... PATTERNS [FILE]...")
		}
		expr := *pattern
		if fold {
			expr = "(?i)" + expr
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			re = regexp.MustCompile(regexp.QuoteMeta(*pattern))
		}
		in, code, err := sh.input(files, stdin, stderr, name)
		if in == nil {
			return code, err
		}
		matched := 0
		sc := bufio.NewScanner(in)
		sc.Buffer(make([]byte, 64<<10), 16<<20)
		for sc.Scan() {
			if re.MatchString(sc.Text()) != invert {
				matched++
				if !count {
					if _, err := fmt.Fprintln(stdout, sc.Text()); err != nil {
						return 1, err
					}
				}
			}
		}
		if count {
			if _, err := fmt.Fprintln(stdout, matched); err != nil {
				return 1, err
			}
		}
		if matched == 0 {
			return 1, nil
		}
		return 0, nil
	case "sh", "bash":
		if len(argv) >= 2 && argv[0] == "-c" {
			sub := &shell{name: name, hostname: sh.hostname, home: sh.home, files: sh.files, env: sh.env, ps: sh.ps, sleep: sh.sleep}
			err := sub.run(argv[1], stdout, stderr)
			var ex exitShell
			if errors.As(err, &ex) {
				return ex.code, nil
			}
			return sub.status, err
		}
		return 0, nil // an interactive shell inside the shell: nothing to do
	case "hostname":
		return sh.print(stdout, sh.hostname)
	case "whoami":
		return sh.print(stdout, "root")
	case "id":
		return sh.print(stdout, "uid=0(root) gid=0(root) groups=0(root)")
	case "pwd":
		return sh.print(stdout, sh.home)
	case "uname":
		if len(argv) > 0 && argv[0] == "-a" {
			return sh.print(stdout, "Linux "+sh.hostname+" 6.8.0-52-generic #53-Ubuntu SMP PREEMPT_DYNAMIC Sat Jan 11 00:06:25 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux")
		}
		return sh.print(stdout, "Linux")
	case "uptime":
		return sh.print(stdout, " 08:00:00 up 12 days,  3:41,  0 users,  load average: 0.42, 0.37, 0.35")
	case "date":
		return sh.print(stdout, time.Now().UTC().Format("Mon Jan _2 15:04:05 UTC 2006"))
	case "env", "printenv":
		keys := make([]string, 0, len(sh.env))
		for k := range sh.env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		if name == "printenv" && len(argv) > 0 {
			v, ok := sh.env[argv[0]]
			if !ok {
				return 1, nil
			}
			return sh.print(stdout, v)
		}
		var b strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&b, "%s=%s\n", k, sh.env[k])
		}
		_, err := io.WriteString(stdout, b.String())
		return 0, err
	case "ls":
		code := 0
		for _, a := range argv {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if _, ok := sh.file(a); !ok && a != "/" && a != sh.home {
				if _, err := fmt.Fprintf(stderr, "ls: cannot access '%s': No such file or directory\n", a); err != nil {
					return 2, err
				}
				code = 2
				continue
			}
			if _, err := fmt.Fprintln(stdout, a); err != nil {
				return 2, err
			}
		}
		return code, nil
	case "docker":
		if sh.ps == "" {
			break
		}
		if len(argv) > 0 && argv[0] == "ps" {
			_, err := io.WriteString(stdout, sh.ps)
			return 0, err
		}
		if len(argv) > 0 && argv[0] == "version" {
			return sh.print(stdout, "Docker version 27.5.1, build 9f9e405")
		}
		sub := ""
		if len(argv) > 0 {
			sub = argv[0]
		}
		return fail(1, "docker: '%s' is not a docker command.\nSee 'docker --help'", sub)
	}
	if sh.name == "bash" {
		return fail(127, "bash: %s: command not found", name)
	}
	return fail(127, "%s: 1: %s: not found", sh.name, name)
}

func (sh *shell) print(w io.Writer, line string) (int, error) {
	_, err := io.WriteString(w, line+"\n")
	return 0, err
}

// input is stdin, or the files named (missing ones reported on stderr).
func (sh *shell) input(files []string, stdin io.Reader, stderr io.Writer, cmd string) (io.Reader, int, error) {
	if len(files) == 0 {
		return stdin, 0, nil
	}
	var b strings.Builder
	for _, f := range files {
		data, ok := sh.file(f)
		if !ok {
			_, err := fmt.Fprintf(stderr, "%s: %s: No such file or directory\n", cmd, f)
			if cmd == "grep" {
				return nil, 2, err
			}
			return nil, 1, err
		}
		b.WriteString(data)
	}
	return strings.NewReader(b.String()), 0, nil
}

func headLines(in io.Reader, out io.Writer, n int) error {
	br := bufio.NewReader(in)
	for i := 0; i < n; i++ {
		line, err := br.ReadString('\n')
		if line != "" {
			if _, werr := io.WriteString(out, line); werr != nil {
				return werr
			}
		}
		if err != nil {
			return nil
		}
	}
	return nil
}

func tailLines(in io.Reader, out io.Writer, n int) error {
	data, err := io.ReadAll(in)
	if err != nil {
		return err
	}
	lines := strings.SplitAfter(string(data), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if n < len(lines) {
		lines = lines[len(lines)-n:]
	}
	_, err = io.WriteString(out, strings.Join(lines, ""))
	return err
}

func parseSleep(s string) (time.Duration, error) {
	unit := time.Second
	switch {
	case strings.HasSuffix(s, "s"):
		s = s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		s, unit = s[:len(s)-1], time.Minute
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, errors.New("invalid")
	}
	return time.Duration(f * float64(unit)), nil
}

// unescape interprets the backslash escapes of printf formats and echo -e.
func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\t`, "\t", `\r`, "\r", `\\`, `\`, `\e`, "\x1b", `\033`, "\x1b", `\a`, "\a")
	return r.Replace(s)
}

var printfVerb = regexp.MustCompile(`%[-+ 0#]*[0-9]*(\.[0-9]+)?[sdibxXoc%]`)

// printf is the shell's printf: escapes, %s %d %i %b %x %o %c %% with flags and width,
// the format reused while arguments remain.
func printf(format string, args []string) string {
	format = unescape(format)
	var b strings.Builder
	for {
		used := 0
		b.WriteString(printfVerb.ReplaceAllStringFunc(format, func(v string) string {
			verb := v[len(v)-1]
			if verb == '%' {
				return "%"
			}
			arg := ""
			if used < len(args) {
				arg = args[used]
			}
			used++
			spec := v[:len(v)-1]
			switch verb {
			case 'd', 'i', 'x', 'X', 'o', 'c':
				n, _ := strconv.ParseInt(arg, 0, 64)
				if verb == 'i' {
					verb = 'd'
				}
				if verb == 'c' {
					if arg == "" {
						return ""
					}
					return arg[:1]
				}
				return fmt.Sprintf(spec+string(verb), n)
			case 'b':
				return fmt.Sprintf(spec+"s", unescape(arg))
			}
			return fmt.Sprintf(spec+"s", arg)
		}))
		if used == 0 || used >= len(args) {
			return b.String()
		}
		args = args[used:]
	}
}
