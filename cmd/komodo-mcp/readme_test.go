package main_test

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
)

var updateReadme = flag.Bool("update-readme", false, "rewrite the generated sections of README.md")

const readmePath = "../../README.md"

// readmeSections are the README parts generated from code, between
// <!-- NAME:start --> and <!-- NAME:end --> markers.
func readmeSections(t *testing.T) map[string]string {
	t.Helper()
	tools, err := server.List(server.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("| Tool | Komodo operation | What it does | Hints |\n|---|---|---|---|\n")
	for _, tool := range tools {
		op, desc := "(hand-written)", tool.Title
		if ct, ok := catalog.ByName(tool.Name); ok {
			op, desc = "`"+ct.Method+" "+ct.Path+"`", ct.Description
		}
		hints := "read-only"
		if !tool.ReadOnly {
			hints = "changes things"
			if tool.Destructive {
				hints = "destructive"
			}
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s |\n", tool.Name, op, strings.ReplaceAll(desc, "|", "\\|"), hints)
	}

	var ts strings.Builder
	ts.WriteString("| Toolset | Tools | What |\n|---|---|---|\n")
	all, _ := server.List(server.Selection{Toolsets: []string{"all"}})
	count := map[string]int{}
	for _, tool := range all {
		count[tool.Toolset]++
	}
	for _, set := range catalog.Toolsets {
		fmt.Fprintf(&ts, "| `%s` | %d | %s |\n", set.ID, count[set.ID], set.Description)
	}
	for _, extra := range []string{"auth"} {
		fmt.Fprintf(&ts, "| `%s` | %d | %s |\n", extra, count[extra], "The server's own session: login, logout, token refresh, status (no secret ever in arguments or results).")
	}
	return map[string]string{"default-tools": b.String(), "toolsets": ts.String(), "packages": packageMap(t)}
}

// TestReadme_GeneratedSections keeps the README's tool tables in step with the code.
// Refresh them with `go test ./cmd/komodo-mcp -run TestReadme -update-readme`.
func TestReadme_GeneratedSections(t *testing.T) {
	raw, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for name, want := range readmeSections(t) {
		start, end := "<!-- "+name+":start -->\n", "<!-- "+name+":end -->"
		i, j := strings.Index(readme, start), strings.Index(readme, end)
		if i < 0 || j < i {
			t.Fatalf("README.md lacks the %s markers", name)
		}
		got := readme[i+len(start) : j]
		if got == want {
			continue
		}
		if !*updateReadme {
			t.Errorf("README.md section %s is out of date: run `go test ./cmd/komodo-mcp -run TestReadme -update-readme`", name)
			continue
		}
		readme = readme[:i+len(start)] + want + readme[j:]
	}
	if *updateReadme {
		if err := os.WriteFile(readmePath, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// packageMap is README's map of the packages: every package of every module of the
// repository, with its doc comment's first sentence (a package without one fails).
func packageMap(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("| Package | What it is |\n|---|---|\n")
	for _, module := range []string{".", "gen/komodo", "internal/sim/typedtest"} {
		cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}\t{{.Doc}}", "./...")
		cmd.Dir = filepath.Join("../..", module)
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list in %s: %v", module, err)
		}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			path, doc, _ := strings.Cut(line, "\t")
			path = strings.TrimPrefix(strings.TrimPrefix(path, "github.com/komodo-mcp/komodo-mcp"), "/")
			if path == "" {
				path = "."
			}
			if doc == "" {
				t.Errorf("package %s has no doc comment", path)
			}
			fmt.Fprintf(&b, "| `%s` | %s |\n", path, strings.ReplaceAll(doc, "|", "\\|"))
		}
	}
	return b.String()
}
