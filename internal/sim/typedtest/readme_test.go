package typedtest

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// readmeProgram is the README's typed-client program, between
// <!-- go-client-example:start --> and <!-- go-client-example:end -->.
func readmeProgram(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(data), "<!-- go-client-example:start -->\n```go\n")
	prog, _, ok2 := strings.Cut(rest, "```\n<!-- go-client-example:end -->")
	if !ok || !ok2 {
		t.Fatal("README.md has no go-client-example section")
	}
	return prog
}

// TestReadme_ClientProgram builds the README's program in a module of its own, as a user
// would (requiring only gen/komodo), and runs it against the simulator and against each
// way a call can fail: it must answer or end with a message, never a panic.
func TestReadme_ClientProgram(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a program")
	}
	dir := t.TempDir()
	client, err := filepath.Abs("../../../gen/komodo")
	if err != nil {
		t.Fatal(err)
	}
	gomod := "module example.com/readme\n\ngo 1.24.0\n\nrequire github.com/komodo-mcp/komodo-mcp/gen/komodo v0.0.0-00010101000000-000000000000\n\n" +
		"replace github.com/komodo-mcp/komodo-mcp/gen/komodo => " + client + "\n"
	sum, err := os.ReadFile(filepath.Join(client, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string]string{"go.mod": gomod, "go.sum": string(sum), "main.go": readmeProgram(t)} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "prog")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Dir = dir
	build.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("the README's program does not build: %v\n%s", err, out)
	}

	run := func(t *testing.T, url string, args ...string) (string, int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "KOMODO_URL="+url, "KOMODO_API_KEY="+sim.DemoAPIKey, "KOMODO_API_SECRET="+sim.DemoAPISecret)
		out, _ := cmd.CombinedOutput()
		if strings.Contains(string(out), "panic") || strings.Contains(string(out), "nil pointer") {
			t.Fatalf("the program panicked:\n%s", out)
		}
		return string(out), cmd.ProcessState.ExitCode()
	}
	answer := func(status int, contentType, body string) string {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", contentType)
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}))
		t.Cleanup(srv.Close)
		return srv.URL
	}

	t.Run("simulator", func(t *testing.T) {
		s := simtest.Start(t)
		out, code := run(t, s.URL(), "web-frontend")
		if code != 0 || !strings.Contains(out, "prod-1 Ok") || !strings.Contains(out, "Deploy Queued") {
			t.Errorf("exit %d:\n%s", code, out)
		}
	})
	refused := func() string {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		l.Close()
		return "http://" + addr
	}()
	for _, tc := range []struct {
		name, url, want string
	}{
		{"connection refused", refused, "connection refused"},
		{"Komodo's error", answer(500, "application/json", `{"error":"Did not find any Server matching x","trace":["a"]}`), "komodo: Did not find any Server matching x (HTTP 500)"},
		{"HTML 404", answer(404, "text/html", "<html>Not Found</html>"), "HTTP 404 text/html"},
		{"HTML sign-in page with 200", answer(200, "text/html", "<html>Sign in</html>"), "HTTP 200 text/html"},
		{"200 that is not JSON", answer(200, "application/json", "<html>"), "list servers: invalid character"},
		{"error that is not JSON", answer(502, "application/json", "Bad Gateway"), "list servers: invalid character"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, code := run(t, tc.url)
			if code != 1 || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d, want 1 and %q:\n%s", code, tc.want, out)
			}
		})
	}
}
