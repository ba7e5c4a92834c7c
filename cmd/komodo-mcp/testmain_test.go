package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"testing"
)

// The end-to-end tests run komodo-mcp as a process. Rather than `go build` a separate
// binary (which neither -race nor -cover reach), they start this test binary under the
// name komodo-mcp - a link e2e_test.go makes - and TestMain turns it into the server:
// the go-sdk's own pattern. So the server code the tests exercise is instrumented exactly
// as the tests are.

// serverName is the name under which the test binary acts as komodo-mcp.
const serverName = "komodo-mcp"

// coverDirFile, beside the link, holds the parent's -test.gocoverdir for the children.
const coverDirFile = "gocoverdir"

func TestMain(m *testing.M) {
	if filepath.Base(os.Args[0]) == serverName {
		os.Exit(serveAsKomodoMCP())
	}
	flag.Parse()
	linkDir := os.Getenv("KOMODO_MCP_TEST_LINK_DIR") // made by e2e_test.go's binary link
	if f := flag.Lookup("test.gocoverdir"); f != nil && f.Value.String() != "" && linkDir != "" {
		_ = os.WriteFile(filepath.Join(linkDir, coverDirFile), []byte(f.Value.String()), 0o600)
	}
	code := m.Run()
	if linkDir != "" {
		_ = os.RemoveAll(linkDir)
	}
	os.Exit(code)
}

// serveAsKomodoMCP is main. Under -cover it first makes sure the process writes its
// coverage where `go test` collects it (the parent's -test.gocoverdir), so that the
// children count in the report: the runtime writes it at exit only to a GOCOVERDIR set
// when the process started, so the process starts again with it.
func serveAsKomodoMCP() int {
	if dir, err := os.ReadFile(filepath.Join(filepath.Dir(os.Args[0]), coverDirFile)); err == nil && os.Getenv("GOCOVERDIR") == "" {
		env := append(os.Environ(), "GOCOVERDIR="+string(dir))
		err := syscall.Exec(os.Args[0], os.Args, env)
		fmt.Fprintln(os.Stderr, "komodo-mcp test binary: re-exec with GOCOVERDIR:", err)
		return 1
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
}
