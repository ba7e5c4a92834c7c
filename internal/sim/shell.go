package sim

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// A small shell behind the simulated terminals: as much as the demo and a terminal
// client's tests need - output, exit codes (`$?`, `&&`, `||`), a shell that exits, slow
// output (sleep), large output (seq), errors - and no more. Commands are separated by
// `;`, `&&` and `||`; words by blanks, with '...' and "..." quoting. The commands are the
// cases of shell.command; anything else is "not found" (127). There are no pipes,
// redirections or variables other than `$?`.

// shell is one simulated terminal's shell. It runs one script at a time.
type shell struct {
	name     string            // "sh", "bash": how errors are worded
	hostname string            // the server's name, or the container's short id
	home     string            // pwd
	files    map[string]string // what cat prints
	ps       string            // `docker ps` output; "" inside containers (no docker there)
	// sleep waits d; it fails when the simulator closes.
	sleep func(d time.Duration) error

	status int // $?
}

// exitShell is returned when the script runs `exit`: the shell itself ends, and with
// it the terminal.
type exitShell struct{ code int }

func (e exitShell) Error() string { return fmt.Sprintf("shell exited with %d", e.code) }

// statusWord stands for `$?` in a parsed word until the command runs.
const statusWord = "\x00?"

// step is one command of a script and the operator before it ("" for the first, ";",
// "&&" or "||").
type step struct {
	op    string
	words []string
}

// run executes a script. It returns nil when the script ran to its end (the exit status
// is sh.status), exitShell when it ran `exit`, or the error of the output stream (the
// terminal is gone), which ends the script at once.
func (sh *shell) run(script string, stdout, stderr io.Writer) error {
	steps, err := parse(script)
	if err != nil {
		sh.status = 2
		_, werr := fmt.Fprintf(stderr, "%s: 1: Syntax error: %s\n", sh.name, err)
		return werr
	}
	for _, st := range steps {
		if st.op == "&&" && sh.status != 0 || st.op == "||" && sh.status == 0 || len(st.words) == 0 {
			continue
		}
		args := make([]string, len(st.words))
		for i, w := range st.words {
			args[i] = strings.ReplaceAll(w, statusWord, strconv.Itoa(sh.status))
		}
		code, err := sh.command(args, stdout, stderr)
		if err != nil {
			return err
		}
		sh.status = code
	}
	return nil
}

// parse splits a script into steps of words; quotes group words, `$?` outside single
// quotes becomes statusWord and `#` starts a comment.
func parse(script string) ([]step, error) {
	steps := []step{{}}
	var word strings.Builder
	inWord := false
	end := func() {
		if inWord {
			cur := &steps[len(steps)-1]
			cur.words = append(cur.words, word.String())
			word.Reset()
			inWord = false
		}
	}
	operator := func(op string) error {
		end()
		if len(steps[len(steps)-1].words) == 0 && op != ";" {
			return fmt.Errorf("%q unexpected", op)
		}
		steps = append(steps, step{op: op})
		return nil
	}
	for i := 0; i < len(script); i++ {
		c := script[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			end()
		case c == '#' && !inWord:
			i = len(script)
		case c == ';':
			if err := operator(";"); err != nil {
				return nil, err
			}
		case strings.HasPrefix(script[i:], "&&"), strings.HasPrefix(script[i:], "||"):
			if err := operator(script[i : i+2]); err != nil {
				return nil, err
			}
			i++
		case c == '\'' || c == '"':
			j := strings.IndexByte(script[i+1:], c)
			if j < 0 {
				return nil, errors.New("Unterminated quoted string") //nolint:staticcheck // dash's exact words, which tests compare
			}
			text := script[i+1 : i+1+j]
			if c == '"' {
				text = strings.ReplaceAll(text, "$?", statusWord)
			}
			word.WriteString(text)
			inWord = true
			i += j + 1
		case c == '\\' && i+1 < len(script):
			i++
			word.WriteByte(script[i])
			inWord = true
		case strings.HasPrefix(script[i:], "$?"):
			word.WriteString(statusWord)
			inWord = true
			i++
		default:
			word.WriteByte(c)
			inWord = true
		}
	}
	end()
	if last := steps[len(steps)-1]; last.op == "&&" || last.op == "||" {
		if len(last.words) == 0 {
			return nil, errors.New("end of file unexpected")
		}
	}
	return steps, nil
}

// command runs one command. The error is exitShell, a write error of the output, or
// nil; the int is the exit status.
func (sh *shell) command(args []string, stdout, stderr io.Writer) (int, error) {
	name, argv := args[0], args[1:]
	fail := func(code int, format string, a ...any) (int, error) {
		_, err := fmt.Fprintf(stderr, format+"\n", a...)
		return code, err
	}
	line := func(text string) (int, error) {
		_, err := io.WriteString(stdout, text+"\n")
		return 0, err
	}
	switch name {
	case "true", ":", "cd", "export":
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
		if len(argv) > 0 && argv[0] == "-n" {
			_, err := io.WriteString(stdout, strings.Join(argv[1:], " "))
			return 0, err
		}
		return line(strings.Join(argv, " "))
	case "printf": // the format only: \n \r \t \\ and %% - enough to print without a newline
		if len(argv) == 0 {
			return fail(2, "printf: usage: printf format [arguments]")
		}
		_, err := io.WriteString(stdout, strings.NewReplacer(`\n`, "\n", `\r`, "\r", `\t`, "\t", `\\`, `\`, "%%", "%").Replace(argv[0]))
		return 0, err
	case "sleep":
		if len(argv) == 0 {
			return fail(1, "sleep: missing operand")
		}
		secs, err := strconv.ParseFloat(strings.TrimSuffix(argv[0], "s"), 64)
		if err != nil || secs < 0 {
			return fail(1, "sleep: invalid time interval '%s'", argv[0])
		}
		return 0, sh.sleep(time.Duration(secs * float64(time.Second)))
	case "seq": // seq LAST or seq FIRST LAST
		first, last := 1, 0
		nums := make([]int, len(argv))
		for i, a := range argv {
			n, err := strconv.Atoi(a)
			if err != nil {
				return fail(1, "seq: invalid floating point argument: '%s'", a)
			}
			nums[i] = n
		}
		switch len(nums) {
		case 1:
			last = nums[0]
		case 2:
			first, last = nums[0], nums[1]
		default:
			return fail(1, "seq: missing operand")
		}
		for n := first; n <= last; n++ {
			if _, err := fmt.Fprintf(stdout, "%d\n", n); err != nil {
				return 1, err
			}
		}
		return 0, nil
	case "cat":
		code := 0
		for _, f := range argv {
			data, ok := sh.files[f]
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
	case "sh", "bash":
		if len(argv) >= 2 && argv[0] == "-c" {
			sub := *sh
			sub.name, sub.status = name, 0
			err := sub.run(argv[1], stdout, stderr)
			var ex exitShell
			if errors.As(err, &ex) {
				return ex.code, nil
			}
			return sub.status, err
		}
		return 0, nil // an interactive shell inside the shell: nothing to do
	case "hostname":
		return line(sh.hostname)
	case "whoami":
		return line("root")
	case "id":
		return line("uid=0(root) gid=0(root) groups=0(root)")
	case "pwd":
		return line(sh.home)
	case "uname":
		if len(argv) > 0 && argv[0] == "-a" {
			return line("Linux " + sh.hostname + " 6.8.0-52-generic #53-Ubuntu SMP PREEMPT_DYNAMIC Sat Jan 11 00:06:25 UTC 2025 x86_64 x86_64 x86_64 GNU/Linux")
		}
		return line("Linux")
	case "uptime":
		return line(" 08:00:00 up 12 days,  3:41,  0 users,  load average: 0.42, 0.37, 0.35")
	case "docker":
		if sh.ps == "" {
			break
		}
		if len(argv) > 0 && argv[0] == "ps" {
			_, err := io.WriteString(stdout, sh.ps)
			return 0, err
		}
		if len(argv) > 0 && argv[0] == "version" {
			return line("Docker version 27.5.1, build 9f9e405")
		}
		return fail(1, "docker: '%s' is not a docker command.\nSee 'docker --help'", strings.Join(argv, " "))
	}
	if sh.name == "bash" {
		return fail(127, "bash: %s: command not found", name)
	}
	return fail(127, "%s: 1: %s: not found", sh.name, name)
}
