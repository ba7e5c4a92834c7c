package follow

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

const (
	id1 = "66f1d2a3b4c5d6e7f8a9b0c1"
	id2 = "66f1d2a3b4c5d6e7f8a9b0c2"
	id3 = "66f1d2a3b4c5d6e7f8a9b0c3"
)

// never is an interval long enough that only the path under test can
// deliver anything.
const never = time.Hour

func wantStage(t *testing.T, p Progress, id, stage string, index, total int) {
	t.Helper()
	if p.Heartbeat || p.UpdateID != id || p.Stage != stage || p.Index != index || p.Total != total || p.Message == "" {
		t.Errorf("progress = %+v, want %s stage %d/%d %q", p, id, index, total, stage)
	}
}

func TestWait_Websocket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.create(id1)
		log := newProgressLog()
		// Polling is made useless, so every stage must come through the websocket.
		w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret),
			PollInterval: never, SafetyPoll: never, Heartbeat: never, OnProgress: log.on})
		recv(t, f.loggedIn, "websocket login")

		f.stage(id1, "Pull", true, "pulled", "")
		wantStage(t, log.next(t), id1, "Pull", 1, 0)
		f.stage(id1, "Compose Up", true, "started", "")
		wantStage(t, log.next(t), id1, "Compose Up", 2, 0)
		f.stage(id1, "Health", true, "healthy", "")
		f.complete(id1, true)

		res, err := w.result(t)
		if err != nil {
			t.Fatal(err)
		}
		if !res.Complete || !res.Success || res.Via != ViaWebsocket || res.Status != "Complete" || res.Stages != 3 || res.UpdateID != id1 {
			t.Errorf("result = %+v", res)
		}
		if res.Duration != 5*time.Second { // 3 stages of 1.5s + 0.5s, in Komodo's timestamps
			t.Errorf("Duration = %v, want 5s", res.Duration)
		}
		if res.FailedStage != "" || res.StderrTail != "" || len(res.Update) == 0 {
			t.Errorf("FailedStage=%q StderrTail=%q len(Update)=%d", res.FailedStage, res.StderrTail, len(res.Update))
		}
		// The last stage came with the completion: its total is known.
		stages, _ := log.drain()
		if len(stages) != 1 {
			t.Fatalf("after completion got %d more notifications, want 1: %+v", len(stages), stages)
		}
		wantStage(t, stages[0], id1, "Health", 3, 3)
		if other := f.otherPaths(); len(other) != 0 {
			t.Errorf("unexpected calls: %v", other)
		}
	})
}

func TestWait_JWTLogin(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.create(id1)
		w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(),
			Login:        JWTLogin(&tokens{current: testJWT}),
			PollInterval: never, SafetyPoll: never, Heartbeat: never})
		recv(t, f.loggedIn, "websocket login")
		f.complete(id1, true)
		res, err := w.result(t)
		if err != nil || !res.Complete || res.Via != ViaWebsocket {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
	})
}

// tokens is a TokenSource whose first token Komodo may have stopped accepting.
type tokens struct {
	mu       sync.Mutex
	current  string
	renewals []string // the rejected tokens Renew was given
}

func (s *tokens) Token(context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.current, nil
}

func (s *tokens) Renew(_ context.Context, rejected string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renewals = append(s.renewals, rejected)
	s.current = testJWT
	return s.current, nil
}

// TestWait_JWTRenewedForWebsocket: Komodo refuses an expired JWT on /ws/update with
// "[401 Unauthorized]: Invalid user credentials"; the feed renews it once and logs in again.
func TestWait_JWTRenewedForWebsocket(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.create(id1)
		src := &tokens{current: "expired.jwt.token"}
		w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(),
			Login: JWTLogin(src), PollInterval: never, SafetyPoll: never, Heartbeat: never})
		recv(t, f.loggedIn, "websocket login with the renewed token")
		f.complete(id1, true)
		res, err := w.result(t)
		if err != nil || !res.Complete || res.Via != ViaWebsocket {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		f.mu.Lock()
		logins := append([]string(nil), f.wsLogins...)
		f.mu.Unlock()
		if want := []string{"Jwt:expired.jwt.token", "Jwt:" + testJWT}; strings.Join(logins, ",") != strings.Join(want, ",") {
			t.Errorf("websocket logins %v, want %v", logins, want)
		}
		if len(src.renewals) != 1 || src.renewals[0] != "expired.jwt.token" {
			t.Errorf("renewals %v, want one of the expired token", src.renewals)
		}
	})
}

func TestWait_PollingFallback(t *testing.T) {
	tests := []struct {
		name  string
		setup func(f *fakeKomodo)
		login Login
		// wsDrops: the websocket logs in, then closes; the stages must come
		// only after the wait has seen it close, or the wait could rightly
		// end on the websocket while the close is still on its way.
		wsDrops bool
	}{
		{"no websocket route", func(f *fakeKomodo) { f.ws = false }, APIKeyLogin(testKey, testSecret), false},
		{"login refused", func(f *fakeKomodo) {}, APIKeyLogin(testKey, "wrong"), false},
		{"websocket closes after login", func(f *fakeKomodo) { f.closeAfterLogin = true }, APIKeyLogin(testKey, testSecret), true},
		{"no credentials for the websocket", func(f *fakeKomodo) {}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f, srv := newFakeKomodo(t, true)
				tt.setup(f)
				f.create(id1)
				log := newProgressLog()
				// The wait logs this when it falls back to polling after the websocket ended.
				fellBack := newLogSignal("following by polling")
				w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), Login: tt.login,
					SafetyPoll: never, Heartbeat: never, OnProgress: log.on,
					Logger: fellBack.logger()})
				if tt.wsDrops {
					recv(t, f.loggedIn, "websocket login")
					recv(t, fellBack.ch, "falling back to polling after the websocket closed")
				}
				f.stage(id1, "Clone", true, "", "")
				wantStage(t, log.next(t), id1, "Clone", 1, 0)
				f.stage(id1, "Build", true, "", "")
				wantStage(t, log.next(t), id1, "Build", 2, 0)
				f.complete(id1, true)
				res, err := w.result(t)
				if err != nil {
					t.Fatal(err)
				}
				if !res.Complete || !res.Success || res.Via != ViaPolling {
					t.Errorf("result = %+v, want complete via polling", res)
				}
				if stages, _ := log.drain(); len(stages) != 0 {
					t.Errorf("stages reported twice: %+v", stages)
				}
			})
		})
	}
}

// TestWait_SafetyPoll: with the websocket up but its event lost, the slow
// poll still sees the completion.
func TestWait_SafetyPoll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.create(id1)
		f.dropEvents.Store(true)
		w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret),
			PollInterval: never, Heartbeat: never})
		recv(t, f.loggedIn, "websocket login")
		synctest.Wait() // the read right after the login has been answered
		f.complete(id1, true)
		res, err := w.result(t)
		if err != nil || !res.Complete || res.Via != ViaWebsocket {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		if res.Waited != DefaultSafetyPoll {
			t.Errorf("Waited = %v, want %v: the completion is seen by the safety poll", res.Waited, DefaultSafetyPoll)
		}
	})
}

func TestWait_AlreadyComplete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.stage(id1, "Build", true, "", "")
		f.stage(id1, "Push", true, "", "")
		f.complete(id1, true)
		log := newProgressLog()
		res, err := Wait(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret),
			PollInterval: never, SafetyPoll: never, Heartbeat: never, OnProgress: log.on})
		if err != nil || !res.Complete || !res.Success {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		stages, _ := log.drain()
		if len(stages) != 2 {
			t.Fatalf("got %d notifications, want 2", len(stages))
		}
		wantStage(t, stages[0], id1, "Build", 1, 2)
		wantStage(t, stages[1], id1, "Push", 2, 2)
	})
}

// TestWait_Heartbeat: with the default intervals, nothing new for 10 s sends a heartbeat
// saying how long the wait has lasted, on the bubble's clock to the second.
func TestWait_Heartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, false)
		f.stage(id1, "Build", true, "", "")
		log := newProgressLog()
		start := time.Now()
		w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), OnProgress: log.on})
		wantStage(t, log.next(t), id1, "Build", 1, 0)
		for i := 1; i <= 3; i++ {
			p := <-log.ch
			want := fmt.Sprintf("DeployStack still InProgress after %ds, 1 stage(s) so far", 10*i)
			if !p.Heartbeat || p.UpdateID != id1 || p.Stage != "Build" || p.Index != 1 || p.Message != want {
				t.Errorf("notification %d = %+v, want a heartbeat %q", i, p, want)
			}
			if d := time.Since(start); d != time.Duration(i)*DefaultHeartbeat {
				t.Errorf("heartbeat %d came after %v, want %v", i, d, time.Duration(i)*DefaultHeartbeat)
			}
		}
		synctest.Wait() // the poll due with the third heartbeat has been answered
		f.complete(id1, true)
		res, err := w.result(t)
		if err != nil || !res.Complete {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		// The completion is seen by the next poll, at most one poll interval later.
		if res.Waited != 3*DefaultHeartbeat+DefaultPollInterval {
			t.Errorf("Waited = %v, want %v", res.Waited, 3*DefaultHeartbeat+DefaultPollInterval)
		}
	})
}

// TestWait_KomodoDownForAWhile: while GetUpdate fails (a proxy answering 502 while Core
// restarts) the wait keeps polling, says in its heartbeats that it is waiting for Komodo,
// and completes at the first poll after Core is back; if the cap comes first, the result
// is incomplete and says what failed.
func TestWait_KomodoDownForAWhile(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.stage(id1, "Build", true, "", "")
		f.complete(id1, true)
		f.downFor(45 * time.Second)
		log := newProgressLog()
		res, err := Wait(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(),
			Login: APIKeyLogin(testKey, testSecret), OnProgress: log.on})
		if err != nil || !res.Complete || !res.Success || res.LastError != "" {
			t.Fatalf("Wait = %+v, %v; want complete, no error left", res, err)
		}
		if res.Waited != 45*time.Second {
			t.Errorf("Waited = %v, want 45s: the first poll after Komodo is back", res.Waited)
		}
		if res.Via != ViaPolling {
			t.Errorf("Via = %s, want polling (the websocket was down too)", res.Via)
		}
		stages, heartbeats := log.drain()
		if len(stages) != 1 || heartbeats != 4 {
			t.Errorf("%d stages and %d heartbeats, want 1 and 4 (at 10, 20, 30, 40 s)", len(stages), heartbeats)
		}

		f.create(id2)
		f.downFor(time.Hour)
		log = newProgressLog()
		res, err = Wait(context.Background(), client(t, srv), id2, Options{WebsocketClient: srv.Client(),
			Login: APIKeyLogin(testKey, testSecret), Cap: time.Minute, OnProgress: log.on})
		if err != nil || res.Complete || !strings.Contains(res.LastError, "502") || res.Waited != time.Minute {
			t.Fatalf("Wait = %+v, %v; want incomplete after 1m, saying what failed", res, err)
		}
		if p := <-log.ch; !p.Heartbeat || p.Message != "waiting for Komodo to answer GetUpdate (10s)" {
			t.Errorf("first heartbeat = %+v", p)
		}
	})
}

// TestWait_CapAndResume: at the cap Wait answers an incomplete result, and a
// second Wait picks up after the stages already reported.
func TestWait_CapAndResume(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		c := client(t, srv)
		f.stage(id1, "Build", true, "", "")
		log := newProgressLog()
		res, err := Wait(context.Background(), c, id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret), Cap: 30 * time.Second,
			OnProgress: log.on})
		if err != nil {
			t.Fatalf("Wait at the cap: %v, want a result", err)
		}
		if res.Waited != 30*time.Second {
			t.Errorf("Waited = %v, want the cap, 30s", res.Waited)
		}
		if res.Complete || res.UpdateID != id1 || res.Status != "InProgress" || res.Stages != 1 || len(res.Update) == 0 {
			t.Fatalf("result = %+v, want incomplete InProgress with 1 stage", res)
		}
		stages, _ := log.drain()
		if len(stages) != 1 {
			t.Fatalf("first wait: %d stage notifications, want 1", len(stages))
		}

		f.stage(id1, "Push", false, "", "denied: requested access to the resource is denied")
		f.complete(id1, false)
		res, err = Wait(context.Background(), c, id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret), Seen: res.Stages,
			PollInterval: never, SafetyPoll: never, Heartbeat: never, OnProgress: log.on})
		if err != nil || !res.Complete || res.Success || res.FailedStage != "Push" {
			t.Fatalf("resumed Wait = %+v, %v", res, err)
		}
		stages, _ = log.drain()
		if len(stages) != 1 {
			t.Fatalf("resumed wait: %d stage notifications, want 1 (Push only)", len(stages))
		}
		wantStage(t, stages[0], id1, "Push", 2, 2)
	})
}

func TestWait_Cancel(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.stage(id1, "Build", true, "", "")
		ctx, cancel := context.WithCancel(context.Background())
		w := waitAsync(ctx, client(t, srv), id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret)})
		recv(t, f.served, "a first GetUpdate")
		cancel()
		res, err := w.result(t)
		if !errors.Is(err, context.Canceled) || res != nil {
			t.Fatalf("Wait = %+v, %v; want context.Canceled", res, err)
		}
		// Waiting never cancels the work in Komodo.
		if other := f.otherPaths(); len(other) != 0 {
			t.Errorf("unexpected calls: %v", other)
		}
		f.mu.Lock()
		status := f.updates[id1].Status
		f.mu.Unlock()
		if status != "InProgress" {
			t.Errorf("status = %s", status)
		}
	})
}

func TestWait_Failed(t *testing.T) {
	var long strings.Builder
	for i := range 300 {
		long.WriteString("error: step ")
		long.WriteString(strings.Repeat("é", i%3))
		long.WriteString(" failed\n")
	}
	tests := []struct {
		name     string
		stages   func(f *fakeKomodo)
		failed   string
		tailHas  string
		longTail bool
	}{
		{
			name: "failed stage with long stderr",
			stages: func(f *fakeKomodo) {
				f.stage(id1, "Clone", true, "cloned", "")
				f.stage(id1, "Build", false, "step 1/9", long.String())
				f.stage(id1, "Cleanup", true, "", "")
			},
			failed:   "Build",
			tailHas:  "failed",
			longTail: true,
		},
		{
			name: "task error",
			stages: func(f *fakeKomodo) {
				f.stage(id1, "Task Error", false, "", "Failed to reach Periphery: connection refused")
			},
			failed:  "Task Error",
			tailHas: "connection refused",
		},
		{
			name: "stderr empty: stdout tail",
			stages: func(f *fakeKomodo) {
				f.stage(id1, "Compose Up", false, "service api: exited with code 1", "  \n")
			},
			failed:  "Compose Up",
			tailHas: "exited with code 1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				f, srv := newFakeKomodo(t, false)
				tt.stages(f)
				f.complete(id1, false)
				res, err := Wait(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), PollInterval: time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				if !res.Complete || res.Success || res.FailedStage != tt.failed || !strings.Contains(res.StderrTail, tt.tailHas) {
					t.Fatalf("result = %+v", res)
				}
				if tt.longTail {
					want := strings.TrimSpace(long.String())
					if len(res.StderrTail) > tailBytes+3 || !strings.HasPrefix(res.StderrTail, "...") || !strings.HasSuffix(want, res.StderrTail[3:]) {
						t.Errorf("StderrTail (%d bytes) is not the last %d bytes of stderr", len(res.StderrTail), tailBytes)
					}
				}
			})
		})
	}
}

// TestWait_Errors: an update Komodo does not know ends the wait at once with NOT_FOUND (the
// cap is far away: reaching it would answer an incomplete result, not an error).
func TestWait_Errors(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		_, srv := newFakeKomodo(t, true)
		c := client(t, srv)
		for _, id := range []string{"66ffffffffffffffffffffff", "not-an-object-id"} {
			res, err := Wait(context.Background(), c, id, Options{WebsocketClient: srv.Client(), PollInterval: time.Millisecond, Cap: time.Minute})
			var e *errcode.Error
			if !errors.As(err, &e) || e.Code != errcode.NotFound {
				t.Errorf("unknown id %s: Wait = %+v, %v; want NOT_FOUND", id, res, err)
			}
		}
		var e *errcode.Error
		_, err := Wait(context.Background(), c, " ", Options{WebsocketClient: srv.Client()})
		if !errors.As(err, &e) || e.Code != errcode.ValidationError {
			t.Errorf("empty id: err = %v, want VALIDATION_ERROR", err)
		}
	})
}

// TestWait_NoSecretInLogs: Komodo's refusal may quote the login; the debug log
// must not carry the secret.
func TestWait_NoSecretInLogs(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		f.refuse = "[401 Unauthorized]: no api key matching secret " + testSecret
		f.complete(id1, true)
		var buf bytes.Buffer
		logger := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		w := waitAsync(context.Background(), client(t, srv), id1, Options{WebsocketClient: srv.Client(), Login: APIKeyLogin(testKey, testSecret),
			PollInterval: time.Millisecond, Logger: logger})
		res, err := w.result(t)
		if err != nil || !res.Complete {
			t.Fatalf("Wait = %+v, %v", res, err)
		}
		// The refusal may arrive after completion; the feed's own error says it.
		fd := startFeed(context.Background(), srv.URL+basePath, APIKeyLogin(testKey, testSecret), srv.Client(), logger)
		<-fd.done
		msg := fd.Err().Error()
		if !strings.Contains(msg, "login refused") || strings.Contains(msg, testSecret) {
			t.Errorf("feed error = %q, want a refusal without the secret", msg)
		}
		if strings.Contains(buf.String(), testSecret) {
			t.Errorf("the log carries the secret:\n%s", buf.String())
		}
	})
}

func TestWaitAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		f, srv := newFakeKomodo(t, true)
		for _, id := range []string{id1, id2} {
			f.create(id)
		}
		log := newProgressLog()
		done := make(chan struct{})
		var items []Item
		var err error
		go func() {
			defer close(done)
			items, err = WaitAll(context.Background(), client(t, srv), []string{id1, id2, id3, ""}, Options{WebsocketClient: srv.Client(),
				Login: APIKeyLogin(testKey, testSecret), PollInterval: never, SafetyPoll: never, Heartbeat: never, OnProgress: log.on})
		}()
		recv(t, f.loggedIn, "websocket login")
		f.stage(id1, "Deploy", true, "", "")
		wantStage(t, log.next(t), id1, "Deploy", 1, 0)
		f.stage(id2, "Deploy", false, "", "no such image")
		wantStage(t, log.next(t), id2, "Deploy", 1, 0)
		f.complete(id1, true)
		f.complete(id2, false)
		recv(t, done, "WaitAll")
		if err != nil {
			t.Fatal(err)
		}
		if len(items) != 4 {
			t.Fatalf("%d items", len(items))
		}
		if it := items[0]; it.UpdateID != id1 || it.Err != nil || !it.Result.Complete || !it.Result.Success || it.Result.Via != ViaWebsocket {
			t.Errorf("item 0 = %+v %+v", it, it.Result)
		}
		if it := items[1]; it.UpdateID != id2 || it.Err != nil || !it.Result.Complete || it.Result.Success || it.Result.FailedStage != "Deploy" || it.Result.StderrTail != "no such image" {
			t.Errorf("item 1 = %+v %+v", it, it.Result)
		}
		var e *errcode.Error
		if it := items[2]; it.UpdateID != id3 || !errors.As(it.Err, &e) || e.Code != errcode.NotFound {
			t.Errorf("item 2 = %+v", it)
		}
		if it := items[3]; !errors.As(it.Err, &e) || e.Code != errcode.ValidationError {
			t.Errorf("item 3 = %+v", it)
		}
		// One subscription serves the whole batch.
		if n := len(f.loggedIn); n != 0 {
			t.Errorf("%d extra websocket logins for one batch", n)
		}
	})
}

func TestWsURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"http://localhost:9120", "ws://localhost:9120/ws/update"},
		{"https://komodo.example.com/", "wss://komodo.example.com/ws/update"},
		{"https://example.com/komodo", "wss://example.com/komodo/ws/update"},
		{"https://user:pw@example.com/k?x=1", "wss://example.com/k/ws/update"},
	}
	for _, tt := range tests {
		got, err := wsURL(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("wsURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	if _, err := wsURL("ftp://x"); err == nil {
		t.Error("ftp: no error")
	}
}
