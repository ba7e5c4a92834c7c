package main

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// The repository's top level holds only what the project promises (Top level: api gen cmd tools internal, go.mod, go.sum, Makefile, README.md, LICENSE, .ci and dotfiles): a stray
// build output such as a generator binary committed by accident fails here, not in review.
func TestRepository_TopLevel(t *testing.T) {
	out, err := exec.Command("git", "-C", "../..", "ls-files").Output()
	if err != nil {
		t.Skipf("not a git checkout: %v", err)
	}
	allowed := []string{"api", "gen", "cmd", "tools", "internal", "go.mod", "go.sum", "Makefile", "README.md", "LICENSE", ".ci"}
	seen := map[string]bool{}
	for _, path := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		top, _, _ := strings.Cut(path, "/")
		if seen[top] {
			continue
		}
		seen[top] = true
		if !slices.Contains(allowed, top) && !strings.HasPrefix(top, ".") {
			t.Errorf("%s at the top level of the repository: only %v and dotfiles belong there", top, allowed)
		}
	}
}
