package terminal

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/komodo-mcp/komodo-mcp/api"
	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// basePath mounts the fake under a path prefix, as a KOMODO_URL behind a
// reverse proxy would be, to catch absolute-path bugs.
const basePath = "/komodo"

// step is one thing the fake terminal does while answering.
type step struct {
	write string // bytes to write, then flush
	abort bool   // abort the response body (Periphery's "pty exited")
	block bool   // wait until the client goes away
}

func writes(s ...string) []step {
	out := make([]step, len(s))
	for i, w := range s {
		out[i] = step{write: w}
	}
	return out
}

// fakeCore serves POST {basePath}/terminal/execute with a scripted stream,
// recording the request bodies it received.
type fakeCore struct {
	t        *testing.T
	steps    []step
	status   int    // non-200: answer this with errBody
	errBody  string // Komodo's {"error","trace"} body
	requests atomic.Int32
	bodies   chan []byte
}

func (f *fakeCore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost || r.URL.Path != basePath+Path {
		http.NotFound(w, r)
		return
	}
	f.requests.Add(1)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		w.WriteHeader(http.StatusUnsupportedMediaType)
		return
	}
	data, _ := io.ReadAll(r.Body)
	select {
	case f.bodies <- data:
	default:
	}
	if f.status != 0 {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.errBody)
		return
	}
	flusher := w.(http.Flusher)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	flusher.Flush()
	for _, s := range f.steps {
		switch {
		case s.abort:
			panic(http.ErrAbortHandler) // no terminating chunk: the client sees a cut body
		case s.block:
			<-r.Context().Done()
			return
		default:
			_, _ = io.WriteString(w, s.write)
			flusher.Flush()
		}
	}
}

func newFake(t *testing.T, steps []step) (*fakeCore, *httptest.Server) {
	t.Helper()
	f := &fakeCore{t: t, steps: steps, bodies: make(chan []byte, 16)}
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return f, srv
}

func intp(n int) *int { return &n }

func TestExecute_Stream(t *testing.T) {
	tests := []struct {
		name     string
		steps    []step
		output   string
		code     *int
		noteHas  string // "" means the note must be empty
		outputOK func(string) bool
	}{
		{
			name:   "exit 0",
			steps:  writes("\n", "hello\n", "world\n", "\n", "__KOMODO_EXIT_CODE:0\n"),
			output: "hello\nworld\n",
			code:   intp(0),
		},
		{
			name:   "exit 3",
			steps:  writes("\nboom: no such file\n\n__KOMODO_EXIT_CODE:3\n"),
			output: "boom: no such file\n",
			code:   intp(3),
		},
		{
			name:   "no output",
			steps:  writes("\n\n__KOMODO_EXIT_CODE:0\n"),
			output: "",
			code:   intp(0),
		},
		{
			name:   "output without final newline",
			steps:  writes("\nno-newline\n__KOMODO_EXIT_CODE:0\n"),
			output: "no-newline",
			code:   intp(0),
		},
		{
			name:   "command prints a marker line mid-output",
			steps:  writes("\nbefore\n__KOMODO_EXIT_CODE:7\nafter\n\n__KOMODO_EXIT_CODE:0\n"),
			output: "before\n__KOMODO_EXIT_CODE:7\nafter\n",
			code:   intp(0),
		},
		{
			name:   "command's last line is a marker, then the real one",
			steps:  writes("\n__KOMODO_EXIT_CODE:7\n", "\n__KOMODO_EXIT_CODE:1\n"),
			output: "__KOMODO_EXIT_CODE:7\n",
			code:   intp(1),
		},
		{
			name: "echoed wrapper lines are output",
			steps: writes("\n> printf '\\n__KOMODO_EXIT_CODE:%d\\n__KOMODO_END_OF_OUTPUT__\\n' \"$rc\"\n",
				"__KOMODO_EXIT_CODE:%d\n", "ok\n", "\n__KOMODO_EXIT_CODE:0\n"),
			output: "> printf '\\n__KOMODO_EXIT_CODE:%d\\n__KOMODO_END_OF_OUTPUT__\\n' \"$rc\"\n__KOMODO_EXIT_CODE:%d\nok\n",
			code:   intp(0),
		},
		{
			name:   "marker split across writes",
			steps:  writes("\nx\n\n__KOMODO_EXI", "T_CODE:5", "\n"),
			output: "x\n",
			code:   intp(5),
		},
		{
			name:   "negative code and CRLF",
			steps:  writes("\r\nhi\r\n\r\n__KOMODO_EXIT_CODE:-1\r\n"),
			output: "hi\r\n",
			code:   intp(-1),
		},
		{
			name:   "doc-comment spelling",
			steps:  writes("\nhi\n\n__KOMODO_EXIT_CODE__:4\n"),
			output: "hi\n",
			code:   intp(4),
		},
		{
			name:   "marker without newline at a clean end",
			steps:  writes("\nhi\n\n__KOMODO_EXIT_CODE:0"),
			output: "hi\n",
			code:   intp(0),
		},
		{
			name:    "exit: the shell ends, the stream is cut",
			steps:   append(writes("\nbye\n"), step{abort: true}),
			output:  "bye\n",
			noteHas: "shell exited",
		},
		{
			name:    "fake marker, then exit",
			steps:   append(writes("\n__KOMODO_EXIT_CODE:7\n"), step{abort: true}),
			output:  "__KOMODO_EXIT_CODE:7\n",
			noteHas: "shell exited",
		},
		{
			name:    "clean end without marker",
			steps:   writes("\nhello\n"),
			output:  "hello\n",
			noteHas: "without Komodo's exit-code line",
		},
		{
			name:    "marker followed by more output is not the end",
			steps:   writes("\n__KOMODO_EXIT_CODE:0\ntrailing"),
			output:  "__KOMODO_EXIT_CODE:0\ntrailing",
			noteHas: "without Komodo's exit-code line",
		},
		{
			name:    "not a marker: junk after the code",
			steps:   writes("\n__KOMODO_EXIT_CODE:0 extra\n"),
			output:  "__KOMODO_EXIT_CODE:0 extra\n",
			noteHas: "without Komodo's exit-code line",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, srv := newFake(t, tt.steps)
			res, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, Request{Target: ServerTarget("prod-1"), Command: "true"})
			if err != nil {
				t.Fatalf("Execute: %v", err)
			}
			if res.Output != tt.output {
				t.Errorf("Output = %q, want %q", res.Output, tt.output)
			}
			switch {
			case tt.code == nil && res.ExitCode != nil:
				t.Errorf("ExitCode = %d, want nil", *res.ExitCode)
			case tt.code != nil && (res.ExitCode == nil || *res.ExitCode != *tt.code):
				t.Errorf("ExitCode = %v, want %d", res.ExitCode, *tt.code)
			}
			if tt.noteHas == "" && res.Note != "" {
				t.Errorf("Note = %q, want none", res.Note)
			}
			if tt.noteHas != "" && !strings.Contains(res.Note, tt.noteHas) {
				t.Errorf("Note = %q, want it to mention %q", res.Note, tt.noteHas)
			}
			if res.TimedOut || res.Truncated {
				t.Errorf("TimedOut=%v Truncated=%v, want neither", res.TimedOut, res.Truncated)
			}
		})
	}
}

func TestExecute_OutputCap(t *testing.T) {
	var all strings.Builder
	steps := writes("\n")
	for i := range 5000 {
		line := fmt.Sprintf("line %04d ääh\n", i)
		all.WriteString(line)
		steps = append(steps, step{write: line})
	}
	steps = append(steps, writes("\n__KOMODO_EXIT_CODE:0\n")...)
	_, srv := newFake(t, steps)

	const limit = 1000
	res, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, Request{Target: ServerTarget("prod-1"), Command: "seq", MaxOutput: limit})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Truncated || res.TruncatedBytes == 0 {
		t.Fatalf("Truncated=%v TruncatedBytes=%d, want a truncation", res.Truncated, res.TruncatedBytes)
	}
	if len(res.Output) > limit {
		t.Errorf("len(Output) = %d, want <= %d", len(res.Output), limit)
	}
	if got := res.TruncatedBytes + len(res.Output); got != all.Len() {
		t.Errorf("TruncatedBytes + len(Output) = %d, want the whole output %d", got, all.Len())
	}
	if !strings.HasSuffix(res.Output, "line 4999 ääh\n") || !strings.HasPrefix(res.Output, "line ") {
		t.Errorf("Output should be whole lines ending with the last one; got %q...%q", res.Output[:20], res.Output[len(res.Output)-20:])
	}
	if !strings.HasSuffix(all.String(), res.Output) {
		t.Error("Output is not the tail of the command's output")
	}
	if res.ExitCode == nil || *res.ExitCode != 0 {
		t.Errorf("ExitCode = %v, want 0", res.ExitCode)
	}
	if !strings.Contains(res.Note, "output truncated") {
		t.Errorf("Note = %q, want a truncation note", res.Note)
	}
}

func TestExecute_LongLine(t *testing.T) {
	long := strings.Repeat("x", 3*readBuffer+17)
	_, srv := newFake(t, writes("\n", long, "\n\n__KOMODO_EXIT_CODE:0\n"))
	res, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, Request{Target: ServerTarget("prod-1"), Command: "cat big", MaxOutput: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	if res.Output != long+"\n" || res.ExitCode == nil || *res.ExitCode != 0 || res.Truncated {
		t.Errorf("len(Output)=%d ExitCode=%v Truncated=%v, want %d, 0, false", len(res.Output), res.ExitCode, res.Truncated, len(long)+1)
	}
}

func TestExecute_Timeout(t *testing.T) {
	t.Run("mid-stream", func(t *testing.T) {
		_, srv := newFake(t, append(writes("\nstarted\n", "__KOMODO_EXIT_CODE:9\n"), step{block: true}))
		res, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, Request{Target: ServerTarget("prod-1"), Command: "sleep 100", Timeout: 50 * time.Millisecond})
		if err != nil {
			t.Fatalf("Execute: %v, want a timed-out result", err)
		}
		if !res.TimedOut || res.ExitCode != nil {
			t.Errorf("TimedOut=%v ExitCode=%v, want true, nil", res.TimedOut, res.ExitCode)
		}
		if res.Output != "started\n__KOMODO_EXIT_CODE:9\n" {
			t.Errorf("Output = %q, want what arrived before the deadline", res.Output)
		}
		if !strings.Contains(res.Note, "may still be running") {
			t.Errorf("Note = %q", res.Note)
		}
	})
	t.Run("before the answer", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-release:
			}
		}))
		t.Cleanup(srv.Close)
		t.Cleanup(func() { close(release) })
		res, err := Execute(context.Background(), srv.Client(), srv.URL, Request{Target: ServerTarget("prod-1"), Command: "true", Timeout: 30 * time.Millisecond})
		if err != nil {
			t.Fatalf("Execute: %v, want a timed-out result", err)
		}
		if !res.TimedOut || res.Output != "" || res.ExitCode != nil {
			t.Errorf("got %+v, want an empty timed-out result", res)
		}
	})
}

func TestExecute_Cancel(t *testing.T) {
	_, srv := newFake(t, append(writes("\nstarted\n"), step{block: true}))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	var err error
	go func() {
		defer close(done)
		_, err = Execute(ctx, srv.Client(), srv.URL+basePath, Request{Target: ServerTarget("prod-1"), Command: "sleep 100", Timeout: -1})
	}()
	cancel()
	<-done
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestExecute_Errors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		code     errcode.Code
		hintHas  string
		msgHas   string
		fromWord bool
	}{
		{"403", 403, `{"error":"forbidden","trace":[]}`, errcode.AuthError, "Terminal permission", "forbidden", false},
		{"500 permission", 500, `{"error":"user does not have required permissions on this Server","trace":[]}`, errcode.AuthError, "Terminal permission", "permissions on this Server", true},
		{"401", 401, `{"error":"invalid api key","trace":[]}`, errcode.AuthError, "credentials", "invalid api key", false},
		{"500 not found", 500, `{"error":"Did not find any Server matching prod-9","trace":[]}`, errcode.NotFound, "", "prod-9", true},
		{"500 disabled", 500, `{"error":"Failed to execute command on Terminal","trace":["Terminals are disabled in the Periphery config"]}`, errcode.ServerError, "disabled on this server", "Failed to execute", true},
		{"500 serde", 500, `{"error":"Failed to deserialize the JSON body into the target type: target: unknown variant ` + "`Srv`" + `","trace":[]}`, errcode.ValidationError, "", "unknown variant", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, srv := newFake(t, nil)
			f.status, f.errBody = tt.status, tt.body
			res, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, Request{Target: ServerTarget("prod-1"), Command: "id"})
			var e *errcode.Error
			if !errors.As(err, &e) {
				t.Fatalf("Execute = %+v, %v; want an *errcode.Error", res, err)
			}
			if e.Code != tt.code || e.Status != tt.status || !strings.Contains(e.Message, tt.msgHas) {
				t.Errorf("got %s %d %q, want %s %d containing %q", e.Code, e.Status, e.Message, tt.code, tt.status, tt.msgHas)
			}
			if tt.hintHas != "" && !strings.Contains(e.Hint, tt.hintHas) {
				t.Errorf("Hint = %q, want it to mention %q", e.Hint, tt.hintHas)
			}
		})
	}
}

func TestExecute_Validation(t *testing.T) {
	tests := []struct {
		name string
		req  Request
	}{
		{"stack without service", Request{Target: Target{Type: Stack, Stack: "web"}, Command: "ls"}},
		{"container without server", Request{Target: Target{Type: Container, Container: "db"}, Command: "ls"}},
		{"unknown type", Request{Target: Target{Type: "Swarm"}, Command: "ls"}},
		{"empty command", Request{Target: ServerTarget("prod-1"), Command: "  "}},
		{"bad recreate", Request{Target: ServerTarget("prod-1"), Command: "ls", Init: &Init{Recreate: "Sometimes"}}},
		{"bad mode", Request{Target: ContainerTarget("prod-1", "db"), Command: "ls", Init: &Init{Mode: "ssh"}}},
	}
	f, srv := newFake(t, writes("\n\n__KOMODO_EXIT_CODE:0\n"))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, tt.req)
			var e *errcode.Error
			if !errors.As(err, &e) || e.Code != errcode.ValidationError {
				t.Errorf("err = %v, want VALIDATION_ERROR", err)
			}
		})
	}
	if n := f.requests.Load(); n != 0 {
		t.Errorf("%d requests reached Komodo, want none", n)
	}
}

// TestExecute_Body checks the request against the document's schema of
// /terminal/execute (ExecuteTerminalBody), the wire contract of Komodo v2.3.2, and the
// values it carries.
func TestExecute_Body(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.Document)
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Paths.Find(Path).Post.RequestBody.Value.Content.Get("application/json").Schema.Value
	tests := []struct {
		target Target
		want   string
	}{
		{ServerTarget("prod-1"), `{"type":"Server","params":{"server":"prod-1"}}`},
		{ContainerTarget("prod-1", "db"), `{"type":"Container","params":{"server":"prod-1","container":"db"}}`},
		{StackTarget("web", "api"), `{"type":"Stack","params":{"stack":"web","service":"api"}}`},
		{DeploymentTarget("app"), `{"type":"Deployment","params":{"deployment":"app"}}`},
	}
	f, srv := newFake(t, writes("\n\n__KOMODO_EXIT_CODE:0\n"))
	for _, tt := range tests {
		t.Run(string(tt.target.Type), func(t *testing.T) {
			req := Request{Target: tt.target, Terminal: "mcp", Command: "uname -a", Init: &Init{Command: "bash", Recreate: "DifferentCommand"}}
			if _, err := Execute(context.Background(), srv.Client(), srv.URL+basePath, req); err != nil {
				t.Fatal(err)
			}
			raw := <-f.bodies
			var b map[string]any
			if err := json.Unmarshal(raw, &b); err != nil {
				t.Fatalf("body %s: %v", raw, err)
			}
			if err := schema.VisitJSON(b, openapi3.MultiErrors()); err != nil {
				t.Errorf("body %s does not match ExecuteTerminalBody: %v", raw, err)
			}
			init, _ := b["init"].(map[string]any)
			if b["command"] != "uname -a" || b["terminal"] != "mcp" || init["command"] != "bash" || init["recreate"] != "DifferentCommand" || init["mode"] != nil {
				t.Errorf("body = %s", raw)
			}
			if got, _ := json.Marshal(b["target"]); !jsonEqual(got, []byte(tt.want)) {
				t.Errorf("target = %s, want %s", got, tt.want)
			}
		})
	}
}

// jsonEqual reports whether a and b are the same JSON value.
func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// TestExecute_NotRetried runs through the real rpc stack (signing under
// retry): a terminal command that reached Komodo is never sent twice, whatever
// happens to the answer.
func TestExecute_NotRetried(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.Header.Get("x-api-key") != "key" || r.Header.Get("x-api-secret") != "secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = io.ReadAll(r.Body)
		switch {
		case strings.HasPrefix(r.URL.Path, "/reset/"):
			conn, _, _ := w.(http.Hijacker).Hijack()
			_ = conn.Close()
		default:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, "<html><title>503 Service Unavailable</title></html>")
		}
	}))
	t.Cleanup(srv.Close)
	c, err := rpc.New(&config.Config{URL: srv.URL, AuthMode: auth.ModeAPIKey, APIKey: "key", APISecret: "secret", RetryCount: 3, RetryDelay: time.Millisecond, Timeout: 5 * time.Second},
		slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	for _, kase := range []string{"reset", "503"} {
		n.Store(0)
		// The base path only picks the fake's behaviour.
		_, err := Execute(context.Background(), c.HTTPClient(), srv.URL+"/"+kase, Request{Target: ServerTarget("prod-1"), Command: "touch /tmp/once"})
		if err == nil {
			t.Errorf("%s: no error", kase)
		}
		if got := n.Load(); got != 1 {
			t.Errorf("%s: Komodo received the command %d times, want 1", kase, got)
		}
	}
}

// TestExecute_NoRedirect: a terminal request redirected elsewhere is a NETWORK_ERROR; the
// command and the credentials never reach the other host, through the default client or
// the rpc client.
func TestExecute_NoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	c, err := rpc.New(&config.Config{URL: front.URL, AuthMode: auth.ModeAPIKey, APIKey: "K", APISecret: "S-secret-value"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, hc := range []*http.Client{nil, c.HTTPClient()} {
		_, err := Execute(context.Background(), hc, front.URL, Request{Target: ServerTarget("prod-1"), Terminal: "t", Command: "id"})
		var e *errcode.Error
		if !errors.As(err, &e) || e.Code != errcode.NetworkError || !strings.Contains(e.Message, other.URL) {
			t.Fatalf("got %v, want NETWORK_ERROR naming %s", err, other.URL)
		}
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}
