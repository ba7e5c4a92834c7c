package main

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// TestCall_ConfirmsLikeAPerson: `call` of a tool that needs confirmation asks y/N on a
// terminal (the question the elicitation asks), takes --yes, and off a terminal prints a
// token that the next `call` accepts once, saying how to confirm.
func TestCall_ConfirmsLikeAPerson(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir()) // the journal of spent tokens
	t.Setenv("HOME", t.TempDir())
	defer func(f func(io.Reader) bool) { isTerminal = f }(isTerminal)
	const tool, args = "komodo_write_DeleteStack", `{"id":"wiki"}`

	isTerminal = func(io.Reader) bool { return false }
	code, out, errOut := runCLI(t, nil, "call", "--demo", tool, args)
	if code != exitFailure || !strings.Contains(out, `"confirmation_required"`) {
		t.Fatalf("off a terminal: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"nothing was done", "--yes", "--confirm none", `"confirmation_token"`} {
		if !strings.Contains(errOut, want) {
			t.Errorf("off a terminal, stderr lacks %q:\n%s", want, errOut)
		}
	}
	var preview struct {
		Token string `json:"confirmation_token"`
	}
	if err := json.Unmarshal([]byte(out), &preview); err != nil || preview.Token == "" {
		t.Fatalf("preview %q: %v", out, err)
	}
	confirmed := `{"id":"wiki","confirmation_token":"` + preview.Token + `"}`
	// Another process (each --demo call starts its own simulator) accepts the token, once.
	if code, out, errOut := runCLI(t, nil, "call", "--demo", tool, confirmed); code != exitOK || !strings.Contains(out, `"name": "wiki"`) {
		t.Fatalf("second call with the token: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, out, _ := runCLI(t, nil, "call", "--demo", tool, confirmed); code != exitFailure || !strings.Contains(out, "already used") {
		t.Errorf("third call with the same token: exit %d\n%s", code, out)
	}

	if code, out, errOut := runCLI(t, nil, "call", "--demo", "--yes", tool, args); code != exitOK || !strings.Contains(out, `"name": "wiki"`) {
		t.Errorf("--yes: exit %d\n%s\n%s", code, out, errOut)
	}

	isTerminal = func(io.Reader) bool { return true }
	code, out, errOut = runCLI(t, strings.NewReader("y\n"), "call", "--demo", tool, args)
	if code != exitOK || !strings.Contains(errOut, "Delete stack: wiki") || !strings.Contains(errOut, "Proceed? [y/N]") {
		t.Errorf("terminal, y: exit %d\n%s\n%s", code, out, errOut)
	}
	for _, answer := range []string{"n\n", "\n", ""} {
		code, out, errOut = runCLI(t, strings.NewReader(answer), "call", "--demo", tool, args)
		if code != exitFailure || !strings.Contains(out, "nothing was done") || strings.Contains(errOut, "--yes") {
			t.Errorf("terminal, %q: exit %d\n%s\n%s", answer, code, out, errOut)
		}
	}
	// A call that needs no confirmation asks nothing.
	if code, _, errOut := runCLI(t, strings.NewReader(""), "call", "--demo", "komodo_read_ListServers"); code != exitOK || strings.Contains(errOut, "[y/N]") {
		t.Errorf("read: exit %d\n%s", code, errOut)
	}
}
