package follow

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/memnet"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

var _ Caller = (*rpc.Client)(nil)

// basePath mounts the fake under a path prefix, as a KOMODO_URL behind a
// reverse proxy would be, to catch absolute-path bugs in both the rpc and the
// websocket addresses.
const basePath = "/komodo"

const (
	testKey    = "K-abc"
	testSecret = "S-very-secret"
	testJWT    = "eyJhbGciOi.test.jwt"
)

// fakeLog and fakeUpdate serialize like Komodo's Log and Update, nulls
// included.
type fakeLog struct {
	Stage   string `json:"stage"`
	Command string `json:"command"`
	Stdout  string `json:"stdout"`
	Stderr  string `json:"stderr"`
	Success bool   `json:"success"`
	StartTs int64  `json:"start_ts"`
	EndTs   int64  `json:"end_ts"`
}

type fakeUpdate struct {
	ID struct {
		OID string `json:"$oid"`
	} `json:"_id"`
	Operation   string            `json:"operation"`
	StartTs     int64             `json:"start_ts"`
	Success     bool              `json:"success"`
	Operator    string            `json:"operator"`
	Target      map[string]string `json:"target"`
	Logs        []fakeLog         `json:"logs"`
	EndTs       *int64            `json:"end_ts"`
	Status      string            `json:"status"`
	Version     map[string]int    `json:"version"`
	CommitHash  *string           `json:"commit_hash"`
	OtherData   *string           `json:"other_data"`
	PrevToml    *string           `json:"prev_toml"`
	CurrentToml *string           `json:"current_toml"`
}

// listItem is Komodo's UpdateListItem, what /ws/update carries.
func (u *fakeUpdate) listItem() []byte {
	b, _ := json.Marshal(map[string]any{
		"id": u.ID.OID, "operation": u.Operation, "start_ts": u.StartTs, "success": u.Success,
		"username": "admin", "operator": u.Operator, "target": u.Target, "status": u.Status,
		"version": u.Version, "other_data": u.OtherData,
	})
	return b
}

// fakeKomodo serves read/GetUpdate and, when ws is set, /ws/update.
type fakeKomodo struct {
	ws              bool   // serve the update websocket
	refuse          string // answer logins with this instead of LOGGED_IN
	closeAfterLogin bool   // end each websocket right after the login
	dropEvents      atomic.Bool
	downUntil       atomic.Int64 // UnixNano: until then GetUpdate and /ws/update answer 502

	loggedIn chan struct{} // one value per accepted login
	served   chan struct{} // one value per GetUpdate answered (never blocks)
	gets     atomic.Int32

	mu       sync.Mutex
	updates  map[string]*fakeUpdate
	subs     map[chan []byte]struct{}
	other    []string // any other path asked for
	wsLogins []string // "type:jwt" of each websocket login message
	clock    int64
	changed  map[string]time.Time // when each update last changed, for the benchmark
}

// newFakeKomodo serves the fake on an in-memory network (memnet), so that a test may run
// in a testing/synctest bubble, where the wait's timers (poll, heartbeat, cap) run on the
// bubble's clock: connect with client(t, srv) and Options.WebsocketClient srv.Client().
func newFakeKomodo(t testing.TB, ws bool) (*fakeKomodo, *memnet.Server) {
	f := &fakeKomodo{
		ws:       ws,
		loggedIn: make(chan struct{}, 64),
		served:   make(chan struct{}, 1),
		updates:  map[string]*fakeUpdate{},
		subs:     map[chan []byte]struct{}{},
		clock:    1_700_000_000_000,
		changed:  map[string]time.Time{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /read/GetUpdate", f.getUpdate)
	mux.HandleFunc("GET /ws/update", f.wsUpdate)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.other = append(f.other, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		http.NotFound(w, r)
	})
	srv := memnet.NewServer(http.StripPrefix(basePath, mux))
	t.Cleanup(srv.Close)
	return f, srv
}

// client is the real rpc stack (api-key signing under retry) pointed at srv.
func client(t testing.TB, srv *memnet.Server) *rpc.Client {
	c, err := rpc.NewWithTransport(&config.Config{URL: srv.URL + basePath, AuthMode: auth.ModeAPIKey, APIKey: testKey, APISecret: testSecret,
		RetryCount: 1, RetryDelay: time.Millisecond, Timeout: 10 * time.Second}, srv.Transport(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// downFor makes Komodo unreachable behind its proxy for d from now: 502 Bad Gateway.
func (f *fakeKomodo) downFor(d time.Duration) { f.downUntil.Store(time.Now().Add(d).UnixNano()) }

func (f *fakeKomodo) down(w http.ResponseWriter) bool {
	if time.Now().UnixNano() >= f.downUntil.Load() {
		return false
	}
	http.Error(w, "502 Bad Gateway", http.StatusBadGateway)
	return true
}

func (f *fakeKomodo) getUpdate(w http.ResponseWriter, r *http.Request) {
	if f.down(w) {
		return
	}
	w.Header().Set("Content-Type", "application/json")
	if r.Header.Get("x-api-key") != testKey || r.Header.Get("x-api-secret") != testSecret {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":"invalid api key","trace":[]}`)
		return
	}
	var req struct {
		ID string `json:"id"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = fmt.Fprintf(w, `{"error":"Failed to deserialize the JSON body into the target type: %s","trace":[]}`, err)
		return
	}
	f.mu.Lock()
	u := f.updates[req.ID]
	var data []byte
	if u != nil {
		data, _ = json.Marshal(u)
	}
	f.mu.Unlock()
	f.gets.Add(1)
	defer func() {
		select {
		case f.served <- struct{}{}:
		default:
		}
	}()
	if u == nil {
		// Komodo's words: bin/core/src/api/read/update.rs:98-101, and mungos'
		// find_one_by_id for an id that is not an ObjectId.
		w.WriteHeader(http.StatusInternalServerError)
		if len(req.ID) != 24 {
			_, _ = io.WriteString(w, `{"error":"failed to query to db","trace":["id is not ObjectId","Invalid ObjectId: invalid hex string"]}`)
			return
		}
		_, _ = io.WriteString(w, `{"error":"no update exists with given id","trace":[]}`)
		return
	}
	_, _ = w.Write(data)
}

func (f *fakeKomodo) wsUpdate(w http.ResponseWriter, r *http.Request) {
	if !f.ws {
		http.NotFound(w, r)
		return
	}
	if f.down(w) {
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	ctx := r.Context()
	_, msg, err := conn.Read(ctx)
	if err != nil {
		return
	}
	var login struct {
		Type   string            `json:"type"`
		Params map[string]string `json:"params"`
	}
	_ = json.Unmarshal(msg, &login)
	ok := (login.Type == "ApiKeys" && login.Params["key"] == testKey && login.Params["secret"] == testSecret) ||
		(login.Type == "Jwt" && login.Params["jwt"] == testJWT)
	f.mu.Lock()
	f.wsLogins = append(f.wsLogins, login.Type+":"+login.Params["jwt"])
	f.mu.Unlock()
	if !ok || f.refuse != "" {
		answer := f.refuse
		if answer == "" {
			answer = "[401 Unauthorized]: Invalid user credentials"
		}
		_ = conn.Write(ctx, websocket.MessageText, []byte(answer))
		return
	}
	events := make(chan []byte, 64)
	f.mu.Lock()
	f.subs[events] = struct{}{}
	f.mu.Unlock()
	defer func() {
		f.mu.Lock()
		delete(f.subs, events)
		f.mu.Unlock()
	}()
	if err := conn.Write(ctx, websocket.MessageText, []byte(loggedIn)); err != nil {
		return
	}
	f.loggedIn <- struct{}{}
	if f.closeAfterLogin {
		_ = conn.Close(websocket.StatusGoingAway, "restarting")
		return
	}
	ctx = conn.CloseRead(ctx) // after login Core only watches for a close
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-events:
			if err := conn.Write(ctx, websocket.MessageText, ev); err != nil {
				return
			}
		}
	}
}

// change applies fn to update id (creating it) and broadcasts its list item.
func (f *fakeKomodo) change(id string, fn func(u *fakeUpdate)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	u := f.updates[id]
	if u == nil {
		u = &fakeUpdate{Operation: "DeployStack", StartTs: f.clock, Success: true, Operator: "66f1c0ffee",
			Target: map[string]string{"type": "Stack", "id": "66f1c0ffee0000000000beef"}, Status: "InProgress",
			Version: map[string]int{"major": 0, "minor": 0, "patch": 0}, Logs: []fakeLog{}}
		u.ID.OID = id
		f.updates[id] = u
	}
	fn(u)
	f.changed[id] = time.Now()
	if f.dropEvents.Load() {
		return
	}
	item := u.listItem()
	for sub := range f.subs {
		select {
		case sub <- item:
		default:
		}
	}
	// Komodo also sends events for other updates the user may see.
	noise, _ := json.Marshal(map[string]any{"id": "66aaaaaaaaaaaaaaaaaaaaaa", "operation": "RunBuild", "status": "InProgress"})
	for sub := range f.subs {
		select {
		case sub <- noise:
		default:
		}
	}
}

func (f *fakeKomodo) create(id string) { f.change(id, func(*fakeUpdate) {}) }

// stage appends a log stage taking 1.5s of Komodo time.
func (f *fakeKomodo) stage(id, name string, ok bool, stdout, stderr string) {
	f.change(id, func(u *fakeUpdate) {
		start := f.clock
		f.clock += 1500
		u.Logs = append(u.Logs, fakeLog{Stage: name, Command: "docker compose up -d", Stdout: stdout, Stderr: stderr,
			Success: ok, StartTs: start, EndTs: f.clock})
	})
}

func (f *fakeKomodo) complete(id string, success bool) {
	f.change(id, func(u *fakeUpdate) {
		end := f.clock + 500
		u.EndTs = &end
		u.Status = "Complete"
		u.Success = success
	})
}

func (f *fakeKomodo) otherPaths() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.other...)
}

// progressLog collects notifications for a test to receive in order.
type progressLog struct {
	ch chan Progress
}

func newProgressLog() *progressLog { return &progressLog{ch: make(chan Progress, 1024)} }

func (p *progressLog) on(pr Progress) { p.ch <- pr }

// next returns the next stage notification, skipping heartbeats. The long
// limit only turns a hang into a failure; no test depends on it.
func (p *progressLog) next(t testing.TB) Progress {
	t.Helper()
	limit := time.After(20 * time.Second)
	for {
		select {
		case pr := <-p.ch:
			if !pr.Heartbeat {
				return pr
			}
		case <-limit:
			t.Fatal("no progress notification")
		}
	}
}

// drain returns the stage notifications received so far.
func (p *progressLog) drain() (stages []Progress, heartbeats int) {
	for {
		select {
		case pr := <-p.ch:
			if pr.Heartbeat {
				heartbeats++
			} else {
				stages = append(stages, pr)
			}
		default:
			return stages, heartbeats
		}
	}
}

// waitAsync runs Wait in the background.
type waitCall struct {
	done chan struct{}
	res  *Result
	err  error
}

func waitAsync(ctx context.Context, c Caller, id string, opts Options) *waitCall {
	w := &waitCall{done: make(chan struct{})}
	go func() {
		defer close(w.done)
		w.res, w.err = Wait(ctx, c, id, opts)
	}()
	return w
}

func (w *waitCall) result(t testing.TB) (*Result, error) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(20 * time.Second):
		t.Fatal("Wait did not return")
	}
	return w.res, w.err
}

func recv(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(20 * time.Second):
		t.Fatalf("never happened: %s", what)
	}
}

// logSignal is a slog handler that tells a test when the code under test
// logged a given message, at any level: a synchronisation point, so a test
// need not guess how long something takes.
type logSignal struct {
	msg string
	ch  chan struct{} // one value per matching record (never blocks)
}

func newLogSignal(msg string) *logSignal {
	return &logSignal{msg: msg, ch: make(chan struct{}, 64)}
}

func (s *logSignal) logger() *slog.Logger { return slog.New(s) }

func (s *logSignal) Enabled(context.Context, slog.Level) bool { return true }

func (s *logSignal) Handle(_ context.Context, r slog.Record) error {
	if r.Message == s.msg {
		select {
		case s.ch <- struct{}{}:
		default:
		}
	}
	return nil
}

func (s *logSignal) WithAttrs([]slog.Attr) slog.Handler { return s }

func (s *logSignal) WithGroup(string) slog.Handler { return s }
