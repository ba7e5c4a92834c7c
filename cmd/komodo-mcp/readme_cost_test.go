package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/prompts"
)

// bytesPerToken is the rough size of a token in JSON schemas and English text, for
// estimates only: a client's tokenizer gives the exact figure.
const bytesPerToken = 4

// toolsListBytes is the size of the tools/list answer a client receives for toolsets.
func toolsListBytes(t *testing.T, toolsets []string) (tools, size int) {
	t.Helper()
	ctx := context.Background()
	cfg := &config.Config{Demo: true, Toolsets: toolsets, RetryCount: 0, Timeout: config.DefaultTimeout, WaitCap: config.DefaultWaitCap}
	srv, cleanup, err := build(ctx, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	defer cleanup()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ss.Close()
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "readme", Version: "1"}, nil).Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer cs.Close()
	res, err := cs.ListTools(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Tools), len(raw)
}

// TestReadme_ToolsetCost keeps the README's figures of what a selection costs a client
// (the tools/list answer, read into every conversation) in step with the code. Refresh with
// `go test ./cmd/komodo-mcp -run TestReadme -update-readme`.
func TestReadme_ToolsetCost(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Selection | Tools | tools/list | About |\n|---|---|---|---|\n")
	for _, sel := range []struct {
		name     string
		toolsets []string
	}{
		{"default", nil},
		{"`--toolsets default,stacks,deployments`", []string{"default", "stacks", "deployments"}},
		{"`--toolsets all`", []string{"all"}},
	} {
		n, size := toolsListBytes(t, sel.toolsets)
		fmt.Fprintf(&b, "| %s | %d | %d KB | %dk tokens |\n", sel.name, n, (size+512)/1024, (size/bytesPerToken+500)/1000)
	}
	replaceReadmeSection(t, "toolset-cost", b.String())
}

// replaceReadmeSection checks (or with -update-readme rewrites) the README between
// <!-- name:start --> and <!-- name:end -->.
func replaceReadmeSection(t *testing.T, name, want string) {
	t.Helper()
	const path = "../../README.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	start, end := "<!-- "+name+":start -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(readme, start), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %s markers", name)
	}
	if readme[i+len(start):j] == want {
		return
	}
	update := flag.Lookup("update-readme")
	if update == nil || update.Value.String() != "true" {
		t.Errorf("README.md section %s is out of date: run `go test ./cmd/komodo-mcp -run TestReadme -update-readme`", name)
		return
	}
	if err := os.WriteFile(path, []byte(readme[:i+len(start)]+want+readme[j:]), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReadme_Prompts keeps the README's list of prompts in step with the server's.
func TestReadme_Prompts(t *testing.T) {
	var b strings.Builder
	b.WriteString("| Prompt | What it does | Arguments |\n|---|---|---|\n")
	for _, p := range prompts.Prompts() {
		var args []string
		for _, a := range p.Def.Arguments {
			s := "`" + a.Name + "`"
			if a.Required {
				s += " (required)"
			}
			args = append(args, s)
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", p.Def.Name, strings.ReplaceAll(p.Def.Description, "|", "\\|"), strings.Join(args, ", "))
	}
	replaceReadmeSection(t, "prompts", b.String())
}
