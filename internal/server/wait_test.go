package server_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
	"github.com/komodo-mcp/komodo-mcp/internal/memnet"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// progressNotes records the progress notifications a client receives, and lets a test
// wait for them: the client delivers notifications on its own goroutine, and the last
// ones may trail the call's result.
type progressNotes struct {
	mu      sync.Mutex
	got     []*mcp.ProgressNotificationParams
	at      []time.Time   // when each arrived
	arrived chan struct{} // a token after each arrival (capacity 1: coalesced)
}

func newProgressNotes() *progressNotes { return &progressNotes{arrived: make(chan struct{}, 1)} }

// handle is the client's ProgressNotificationHandler.
func (n *progressNotes) handle(_ context.Context, req *mcp.ProgressNotificationClientRequest) {
	n.mu.Lock()
	n.got = append(n.got, req.Params)
	n.at = append(n.at, time.Now())
	n.mu.Unlock()
	select {
	case n.arrived <- struct{}{}:
	default:
	}
}

// all is every notification so far, in order of arrival.
func (n *progressNotes) all() []*mcp.ProgressNotificationParams {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.got)
}

// times is when each notification so far arrived.
func (n *progressNotes) times() []time.Time {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Clone(n.at)
}

// reset forgets the notifications so far.
func (n *progressNotes) reset() {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got, n.at = nil, nil
}

// await waits for the count-th notification to arrive, woken by each arrival; it fails the
// test when none comes for eventually.Bound.
func (n *progressNotes) await(tb testing.TB, count int) {
	tb.Helper()
	idle := time.NewTimer(eventually.Bound)
	defer idle.Stop()
	for len(n.all()) < count {
		select {
		case <-n.arrived:
			idle.Reset(eventually.Bound)
		case <-idle.C:
			tb.Fatalf("received %d progress notifications, want at least %d; none came for %s", len(n.all()), count, eventually.Bound)
		}
	}
}

// progressSession connects a client to srv that records the progress notifications it
// receives.
func progressSession(t *testing.T, srv *server.Server) (*mcp.ClientSession, *progressNotes) {
	t.Helper()
	notes := newProgressNotes()
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	mc := mcp.NewClient(&mcp.Implementation{Name: "progress-test", Version: "1"}, &mcp.ClientOptions{ProgressNotificationHandler: notes.handle})
	cs, err := mc.Connect(ctx, ct, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })
	return cs, notes
}

func callWithProgress(t *testing.T, ctx context.Context, cs *mcp.ClientSession, name, args string) (*mcp.CallToolResult, error) {
	t.Helper()
	params := &mcp.CallToolParams{Name: name, Arguments: json.RawMessage(args)}
	params.SetProgressToken("tok-" + name)
	return cs.CallTool(ctx, params)
}

// TestWait_DeployWithProgress waits for a deploy to complete and receives a progress
// notification per stage.
func TestWait_DeployWithProgress(t *testing.T) {
	synctest.Test(t, testWaitDeployWithProgress)
}

func testWaitDeployWithProgress(t *testing.T) {
	_, mn := memSim(t, sim.Options{ExecDuration: 150 * time.Millisecond})
	cs, progress := progressSession(t, memServer(t, mn, server.Selection{Toolsets: []string{"all"}}, server.Options{PollInterval: 5 * time.Millisecond}))
	res, err := callWithProgress(t, context.Background(), cs, "komodo_execute_Deploy", `{"id":"web-frontend","wait":true}`)
	if err != nil {
		t.Fatal(err)
	}
	m := structured(t, res)
	if m["status"] != "succeeded" || m["success"] != true || m["duration_ms"] == nil {
		t.Fatalf("waited deploy: status %v success %v", m["status"], m["success"])
	}
	// Notifications are delivered asynchronously: the last ones may trail the result.
	progress.await(t, 2) // one per stage
	got := progress.all()
	for i, p := range got {
		if p.ProgressToken != "tok-komodo_execute_Deploy" || p.Message == "" {
			t.Errorf("notification %d: token %v message %q", i, p.ProgressToken, p.Message)
		}
		if i > 0 && p.Progress <= got[i-1].Progress {
			t.Errorf("progress does not increase: %v then %v", got[i-1].Progress, p.Progress)
		}
	}
}

// memSim serves a fresh simulator over an in-memory network (internal/memnet), for a test
// that runs in a testing/synctest bubble: the simulator's executions and the server's
// waits, polls and caps all run on the bubble's clock, so minutes pass at once and "nothing
// more happens" can be asserted exactly. It is closed when the test ends, inside the bubble.
func memSim(t *testing.T, opts sim.Options) (*sim.Server, *memnet.Server) {
	t.Helper()
	s := sim.New(opts)
	mn := memnet.NewServer(s.Handler())
	t.Cleanup(func() { mn.Close(); s.Close() })
	return s, mn
}

// memServer is the server on a simulator of memSim.
func memServer(t *testing.T, mn *memnet.Server, sel server.Selection, opts server.Options) *server.Server {
	t.Helper()
	client, err := rpc.NewWithTransport(testConfig(mn.URL), mn.Transport(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	opts.WebsocketClient = mn.Client()
	srv, err := server.New(client, sel, quiet, opts)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// memSession is a client of a server on a fresh simulator of memSim.
func memSession(t *testing.T, simOpts sim.Options, sel server.Selection, opts server.Options) (*mcp.ClientSession, *sim.Server) {
	t.Helper()
	s, mn := memSim(t, simOpts)
	return session(t, memServer(t, mn, sel, opts)), s
}

// TestWait_CapAndResume stops at the wait cap with the job still running, then resumes
// until it ends.
func TestWait_CapAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := memSession(t, sim.Options{ExecDuration: 2 * time.Second}, server.Selection{}, server.Options{PollInterval: 5 * time.Millisecond, WaitCap: 50 * time.Millisecond})
		start := time.Now()
		m := structured(t, call(t, cs, "komodo_execute_Deploy", `{"id":"api-gateway","wait":true}`))
		if m["status"] == "succeeded" || m["status"] == "failed" {
			t.Fatalf("a 2 s deploy finished inside a 50 ms cap: %v", m["status"])
		}
		if waited := time.Since(start); waited < 50*time.Millisecond || waited > time.Second {
			t.Errorf("the capped wait took %s on the bubble's clock, want the 50 ms cap", waited)
		}
		note, _ := m["note"].(string)
		if !strings.Contains(note, "komodo_read_WaitForUpdate") {
			t.Errorf("capped result does not say how to resume: %q", note)
		}
		id := m["job_id"].(string)
		resumes := 0
		for m["status"] != "succeeded" && m["status"] != "failed" && resumes < 100 { // 2 s / 50 ms: about 40
			m = structured(t, call(t, cs, "komodo_read_WaitForUpdate", `{"id":"`+id+`"}`))
			resumes++
		}
		if m["status"] != "succeeded" {
			t.Errorf("after %d resumes: %v", resumes, m["status"])
		}
	})
}

// TestWait_ClientCancel stops waiting when the client cancels the request, without
// cancelling the work in Komodo.
func TestWait_ClientCancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		returned := make(chan error, 1) // the context of the Build handler, once it returned
		onReturn := func(tool *server.Tool, next server.Handler) server.Handler {
			return func(ctx context.Context, c *server.Call) (*mcp.CallToolResult, error) {
				res, err := next(ctx, c)
				if tool.Def.Name == "komodo_execute_Build" {
					returned <- ctx.Err()
				}
				return res, err
			}
		}
		// The build lasts an hour: only the cancel can end the wait.
		cs, s := memSession(t, sim.Options{ExecDuration: time.Hour}, server.Selection{}, server.Options{PollInterval: 5 * time.Millisecond, WaitCap: 2 * time.Hour,
			Middleware: []server.Middleware{onReturn}})
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := callWithProgress(t, ctx, cs, "komodo_execute_Build", `{"id":"web-frontend","wait":true}`)
			done <- err
		}()
		synctest.Wait() // the server follows the build: websocket logged in, polls on their timer
		if s.Count("GetUpdate") == 0 || s.UpdateSockets() != 1 {
			t.Fatalf("not following the build: %d GetUpdate, %d update websocket(s)", s.Count("GetUpdate"), s.UpdateSockets())
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled call returned %v", err)
		}
		if err := <-returned; !errors.Is(err, context.Canceled) {
			t.Errorf("the handler returned with its context %v, want it cancelled", err)
		}
		synctest.Wait()
		polled := s.Count("GetUpdate")
		time.Sleep(10 * time.Minute) // on the bubble's clock: 120,000 poll intervals
		synctest.Wait()
		if n := s.Count("GetUpdate"); n != polled || s.UpdateSockets() != 0 {
			t.Errorf("still following the build after the cancel: %d GetUpdate then %d, %d update websocket(s)", polled, n, s.UpdateSockets())
		}
		if n := s.Count("CancelBuild"); n != 0 {
			t.Errorf("komodo-mcp cancelled the build on its own (%d CancelBuild)", n)
		}
	})
}

// TestWait_FailingExecution reports the failing stage and the tail of its output.
func TestWait_FailingExecution(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := memSession(t, sim.Options{ExecDuration: 30 * time.Millisecond}, server.Selection{Toolsets: []string{"all"}}, server.Options{PollInterval: 5 * time.Millisecond})
		// edge-1 is unreachable: Komodo accepts the work (HTTP 200) and the Update fails.
		m := structured(t, call(t, cs, "komodo_execute_StopAllContainers", `{"id":"edge-1","wait":true}`))
		if m["status"] != "failed" || m["success"] != false {
			t.Fatalf("execution on an unreachable server: %v", m["status"])
		}
		if m["failed_stage"] == "" || m["failed_stage"] == nil || m["stderr_tail"] == nil {
			t.Errorf("failed result lacks the failing stage and its output: %v", m)
		}
		// Komodo's Task Error carries <span style=...> markup for its web UI; the tail is text.
		if tail, _ := m["stderr_tail"].(string); !strings.HasPrefix(tail, "ERROR: Failed to get Periphery client") || strings.Contains(tail, "<span") {
			t.Errorf("stderr_tail = %q, want Komodo's error without HTML markup", tail)
		}
	})
}

// TestWait_BatchWaitsForEach follows every update of a Batch execution.
func TestWait_BatchWaitsForEach(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := memSession(t, sim.Options{ExecDuration: 30 * time.Millisecond}, server.Selection{Toolsets: []string{"all"}}, server.Options{PollInterval: 5 * time.Millisecond})
		m := structured(t, call(t, cs, "komodo_execute_BatchRunBuild", `{"pattern":"*","wait":true}`))
		items, _ := m["items"].([]any)
		if len(items) < 2 {
			t.Fatalf("batch answered %d items", len(items))
		}
		for _, it := range items {
			item := it.(map[string]any)
			data, _ := item["data"].(map[string]any)
			if item["status"] != "Ok" || (data["status"] != "succeeded" && data["status"] != "failed") {
				t.Errorf("batch item not waited: %v", it)
			}
		}
	})
}

// TestWait_CancelHint says how to cancel what Komodo can cancel, without doing it.
func TestWait_CancelHint(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, s := memSession(t, sim.Options{ExecDuration: 2 * time.Second}, server.Selection{}, server.Options{})
		m := structured(t, call(t, cs, "komodo_execute_Build", `{"id":"web-frontend"}`))
		if hint, _ := m["cancel"].(string); !strings.Contains(hint, "komodo_execute_CancelBuild") {
			t.Errorf("running build without a cancel hint: %v", m)
		}
		if s.Count("CancelBuild") != 0 {
			t.Error("cancelled on its own")
		}
	})
}

// TestWait_WebsocketAndPolling follows an update over Komodo's /ws/update websocket, and
// falls back to polling GetUpdate when the websocket is unavailable.
func TestWait_WebsocketAndPolling(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fault   bool
		wantVia string
	}{
		{"websocket", false, "websocket"},
		{"polling fallback", true, "polling"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				// Over the websocket, polling (but for the first GetUpdate) is made useless, so
				// the end can only be seen through the websocket; the 1 s deploy only has to
				// outlast that first GetUpdate.
				exec, poll := time.Second, time.Hour
				if tc.fault {
					exec, poll = 200*time.Millisecond, 20*time.Millisecond
				}
				s, mn := memSim(t, sim.Options{ExecDuration: exec})
				if tc.fault {
					s.InjectFault(sim.Fault{Op: "ws/update", Kind: sim.FaultProxy, Status: 502})
				}
				cs, progress := progressSession(t, memServer(t, mn, server.Selection{Toolsets: []string{"all"}}, server.Options{PollInterval: poll}))
				res, err := callWithProgress(t, context.Background(), cs, "komodo_execute_DeployStack", `{"id":"monitoring","wait":true}`)
				if err != nil {
					t.Fatal(err)
				}
				m := structured(t, res)
				if m["status"] != "succeeded" {
					t.Fatalf("deploy stack: %v", m["status"])
				}
				if m["followed_via"] != tc.wantVia {
					t.Errorf("followed via %v, want %s", m["followed_via"], tc.wantVia)
				}
				if s.Count("ws/update") == 0 {
					t.Error("the websocket was never tried")
				}
				progress.await(t, 2) // one per stage
			})
		})
	}
}

// TestWait_FailingBuild reports the stage a build failed at and the tail of its output.
func TestWait_FailingBuild(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := memSession(t, sim.Options{ExecDuration: 60 * time.Millisecond}, server.Selection{}, server.Options{PollInterval: 5 * time.Millisecond})
		// api-gateway's latest commit does not build.
		m := structured(t, call(t, cs, "komodo_execute_Build", `{"id":"api-gateway","wait":true}`))
		if m["status"] != "failed" || m["success"] != false {
			t.Fatalf("broken build: status %v", m["status"])
		}
		if m["failed_stage"] != "Build Image" {
			t.Errorf("failed_stage = %v, want Build Image", m["failed_stage"])
		}
		if tail, _ := m["stderr_tail"].(string); !strings.Contains(tail, "failed to solve") {
			t.Errorf("stderr_tail = %q, want the end of docker's error", tail)
		}
		// web-frontend builds fine.
		if m := structured(t, call(t, cs, "komodo_execute_Build", `{"id":"web-frontend","wait":true}`)); m["status"] != "succeeded" {
			t.Errorf("good build: %v", m["status"])
		}
	})
}

// TestDeployStackIfChanged: Komodo answers DeployStackIfChanged with an Update it never
// stores (no _id) and decides in the background. Without waiting the result says so; with
// wait an unchanged stack is "unchanged" (not a "no update id" failure), and a changed one
// is followed through the DeployStack update Komodo started for it.
//
// It runs on loopback, not in a synctest bubble: the server finds the deploy Komodo started
// by looking for updates newer than the request, and the simulator's seeded history is dated
// 2026 while a bubble's clock starts in 2000, so a seeded deploy would look new.
func TestDeployStackIfChanged(t *testing.T) {
	s := simtest.Start(t, simtest.WithExecDuration(30*time.Millisecond))
	// "unchanged" is concluded when the look-out window (the wait cap, when shorter) has
	// passed with no deploy started: a short cap keeps that quick. Nothing else in this test
	// may depend on the short cap, or a loaded machine makes it fail.
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}},
		server.Options{PollInterval: 5 * time.Millisecond, WaitCap: 1500 * time.Millisecond})
	// Following a deploy to its end gets a generous cap: it returns as soon as the deploy completes.
	patient := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}},
		server.Options{PollInterval: 5 * time.Millisecond, WaitCap: 2 * time.Minute})

	m := structured(t, call(t, cs, "komodo_execute_DeployStackIfChanged", `{"stack":"monitoring"}`))
	if m["status"] != "accepted" || m["job_id"] != nil || !strings.Contains(fmt.Sprint(m["note"]), "no update id") {
		t.Errorf("without wait: %v", m)
	}

	m = structured(t, call(t, cs, "komodo_execute_DeployStackIfChanged", `{"stack":"monitoring","wait":true}`))
	if m["status"] != "unchanged" || !strings.Contains(fmt.Sprint(m["note"]), "did not change") {
		t.Errorf("unchanged stack with wait: %v", m)
	}

	// wiki was never deployed: Komodo deploys it.
	m = structured(t, call(t, patient, "komodo_execute_DeployStackIfChanged", `{"stack":"wiki","wait":true}`))
	if m["status"] != "succeeded" || m["job_id"] == "" || m["job_id"] == nil || m["operation"] != "DeployStack" {
		t.Errorf("changed stack with wait: %v", m)
	}
}

// TestWaitForUpdate_UnknownID: Komodo's "no update exists with given id" (and mungos' "id is
// not ObjectId") is NOT_FOUND at once, not a wait until the cap.
func TestWaitForUpdate_UnknownID(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		cs, _ := memSession(t, sim.Options{ExecDuration: 30 * time.Millisecond}, server.Selection{Toolsets: []string{"all"}},
			server.Options{PollInterval: 5 * time.Millisecond, WaitCap: time.Minute})
		for _, id := range []string{"66ffffffffffffffffffffff", "job-123"} {
			if code, msg := toolError(t, call(t, cs, "komodo_read_WaitForUpdate", `{"id":"`+id+`"}`)); code != "NOT_FOUND" {
				t.Errorf("WaitForUpdate %s: %s %q, want NOT_FOUND", id, code, msg)
			}
		}
	})
}
