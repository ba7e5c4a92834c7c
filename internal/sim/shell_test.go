package sim

import (
	"strings"
	"testing"
	"time"
)

func testShell() *shell {
	return &shell{name: "sh", hostname: "prod-1", home: "/root", files: map[string]string{"/etc/hostname": "prod-1\n"},
		sleep: func(time.Duration) error { return nil }}
}

func TestShell_Run(t *testing.T) {
	for _, tc := range []struct {
		script string
		out    string
		status int
		exited int // -1: the shell did not exit
	}{
		{`echo "a  b" 'c  d' e\ f`, "a  b c  d e f\n", 0, -1},
		{`echo -n x; echo y`, "xy\n", 0, -1},
		{`echo '$?' "$?" $?x`, "$? 0 0x\n", 0, -1},
		{`printf 'a\tb\n%%\n'`, "a\tb\n%\n", 0, -1},
		{`false; echo $?; true; echo $?`, "1\n0\n", 0, -1},
		{`false && echo no || echo yes`, "yes\n", 0, -1},
		{`echo a; exit 4; echo b`, "a\n", 0, 4},
		{`false; exit`, "", 1, 1},
		{`exit 300`, "", 0, 44},
		{`sh -c 'echo in; exit 5'; echo $?`, "in\n5\n", 0, -1},
		{`seq 3 5; seq 2`, "3\n4\n5\n1\n2\n", 0, -1},
		{`cat /nope`, "cat: /nope: No such file or directory\n", 1, -1},
		{`nope; echo $?`, "sh: 1: nope: not found\n127\n", 0, -1},
		{`echo # a comment`, "\n", 0, -1},
		{`echo 'open`, "sh: 1: Syntax error: Unterminated quoted string\n", 2, -1},
		{`&& echo`, "sh: 1: Syntax error: \"&&\" unexpected\n", 2, -1},
		{`sleep 0.1 && echo slept`, "slept\n", 0, -1},
		{`sleep x`, "sleep: invalid time interval 'x'\n", 1, -1},
		{`seq a`, "seq: invalid floating point argument: 'a'\n", 1, -1},
		{`cat /etc/hostname; hostname; whoami; pwd; id`, "prod-1\nprod-1\nroot\n/root\nuid=0(root) gid=0(root) groups=0(root)\n", 0, -1},
	} {
		sh := testShell()
		var out strings.Builder
		w := &lineWriter{emit: func(line string) error { out.WriteString(line + "\n"); return nil }}
		err := sh.run(tc.script, w, w)
		w.flush()
		exited := -1
		if ex, ok := err.(exitShell); ok {
			exited = ex.code
		} else if err != nil {
			t.Errorf("%s: %v", tc.script, err)
		}
		if out.String() != tc.out || exited != tc.exited || exited < 0 && sh.status != tc.status {
			t.Errorf("%s:\n got %q status %d exited %d\nwant %q status %d exited %d", tc.script, out.String(), sh.status, exited, tc.out, tc.status, tc.exited)
		}
	}
}

func TestShell_OutputErrorStopsTheScript(t *testing.T) {
	sh := testShell()
	lines := 0
	w := &lineWriter{emit: func(string) error {
		lines++
		if lines == 3 {
			return errTerminalReaderGone
		}
		return nil
	}}
	if err := sh.run("seq 1000000; echo never", w, w); err != errTerminalReaderGone {
		t.Errorf("run: %v", err)
	}
	if lines != 3 {
		t.Errorf("%d lines written after the reader went away", lines)
	}
}
