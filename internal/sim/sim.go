// Package sim is a stateful simulator of Komodo Core v2.3.2, driven by the OpenAPI
// document in api/: it refuses what Komodo refuses, answers every one of the document's
// operations, keeps a seeded world that executions change over time, and injects faults
// for reliability tests. It backs the tests, `komodo-mcp sim` and `komodo-mcp --demo`.
package sim

import (
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/api"
	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// Demo credentials of the seeded world. The admin user owns the API key; the viewer is a
// non-admin (it sees secret variables masked and may not write or execute).
const (
	DemoUsername  = "admin"
	DemoPassword  = "komodo-demo"
	DemoAPIKey    = "K-demo-admin-3f9c2a7e51b04d8c"
	DemoAPISecret = "S-demo-admin-8b1e6d40c92f4a17a5e3"

	ViewerUsername  = "viewer"
	ViewerPassword  = "viewer-demo"
	ViewerAPIKey    = "K-demo-viewer-7c41e09b3a2d"
	ViewerAPISecret = "S-demo-viewer-1d9f5b82e7c0"
)

// DefaultVersion is the Komodo Core version the simulator plays unless told otherwise: the
// version of the embedded document (api.KomodoVersion).
func DefaultVersion() string { return api.KomodoVersion() }

// ControlPrefix is the path prefix of the simulator's own control endpoints (faults and
// counts); real Komodo serves nothing under it.
const ControlPrefix = "/__sim/"

// Options configure a simulator. The zero value is usable.
type Options struct {
	// Logger receives the simulator's logs; nil discards them. Never stdout.
	Logger *slog.Logger
	// ExecDuration is how long an execution takes from Queued to Complete
	// (default 1.5s). Tests use a few tens of milliseconds.
	ExecDuration time.Duration
	// AcceptHMAC also accepts the hmac mode's signed headers (X-Komodo-Api-Key,
	// X-Komodo-Timestamp, X-Komodo-Signature), which real Komodo does not know.
	AcceptHMAC bool
	// HMACSkew is the accepted clock difference for HMAC timestamps (default 5 minutes).
	HMACSkew time.Duration
	// DisableControl hides the /__sim/ control endpoints.
	DisableControl bool
	// DisableWebsocket makes GET /ws/update answer 404, as a Core behind a proxy that
	// does not pass websocket upgrades would; clients must fall back to polling.
	DisableWebsocket bool
	// DocsAdd and DocsRemove change the operation list of the /docs page (paths such as
	// "/read/ListServers") beyond the known DocsDrift: a Core of another version, for
	// testing `doctor --docs`.
	DocsAdd, DocsRemove []string
	// Lacks are operations (operationIds, "ListSwarms") this Core does not have, as a Core
	// of another version: they are answered as Komodo answers any operation it does not
	// know (500, serde's "unknown variant").
	Lacks []string
	// TerminalLineDelay is the pause before each line of a /terminal/execute stream
	// (default 0), so that tests can watch output arrive and time out mid-stream.
	TerminalLineDelay time.Duration
	// KomodoVersion is the Komodo Core version to play (default DefaultVersion()).
	KomodoVersion string
}

// Server is one simulated Komodo Core. Create it with New (then serve Handler), with
// Listen, or in tests with simtest.Start.
type Server struct {
	opts     Options
	older    *catalog.Catalog // the catalog of the version played when older than the document's
	log      *slog.Logger
	sp       *spec
	jwtKey   []byte
	handlers map[string]handlerFunc // stateful answers by operationId

	mu      sync.Mutex
	w       *world
	timers  map[*time.Timer]struct{}
	closed  bool
	subs    map[int]func(UpdateEvent)
	nextSub int
	pending []func()

	faults faultTable

	done    chan struct{} // closed by Close: ends streams and websockets
	terms   map[string]*term
	sockets int // logged-in /ws/update connections

	url  string
	stop func() // stops the HTTP server of Listen
}

// New builds a simulator with the seeded world. It panics only if the embedded document
// or seed is broken, which the package's tests rule out.
func New(opts Options) *Server {
	if opts.ExecDuration <= 0 {
		opts.ExecDuration = 1500 * time.Millisecond
	}
	if opts.HMACSkew <= 0 {
		opts.HMACSkew = 5 * time.Minute
	}
	if opts.KomodoVersion == "" {
		opts.KomodoVersion = DefaultVersion()
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	sp, err := loadSpec()
	if err != nil {
		panic(err)
	}
	w, err := seedWorld(sp)
	if err != nil {
		panic(err)
	}
	w.version = opts.KomodoVersion
	older, err := olderCatalog(opts.KomodoVersion)
	if err != nil {
		panic(err)
	}
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s := &Server{opts: opts, older: older, log: log, sp: sp, jwtKey: key, handlers: newHandlers(), w: w, timers: map[*time.Timer]struct{}{}, subs: map[int]func(UpdateEvent){},
		done: make(chan struct{}), terms: map[string]*term{}}
	s.faults.init()
	return s
}

// Version is the Komodo Core version the simulator plays.
func (s *Server) Version() string { return s.opts.KomodoVersion }

// Handler is the simulator as an http.Handler, for embedding in another server.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveHTTP) }

// URL is the base URL of a simulator served by Listen ("" otherwise).
func (s *Server) URL() string { return s.url }

// Close stops pending executions, cuts terminal streams and update websockets and,
// for Listen, stops the HTTP server.
func (s *Server) Close() {
	s.mu.Lock()
	if !s.closed {
		close(s.done)
	}
	s.closed = true
	for t := range s.timers {
		t.Stop()
	}
	s.timers = map[*time.Timer]struct{}{}
	s.mu.Unlock()
	if s.stop != nil {
		s.stop()
	}
}

// Listen serves a simulator on addr (port 0 picks one) in the background until Close,
// for programs that embed it (komodo-mcp --demo).
func Listen(addr string, opts Options) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	s := New(opts)
	s.url = "http://" + ln.Addr().String()
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := hs.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("komodo simulator stopped", "err", err)
		}
	}()
	s.stop = func() { _ = hs.Close() }
	return s, nil
}

// Subscribe registers fn to be called, outside the simulator's lock, each time an Update
// is created or changes; the events of one Update arrive in order. It returns a function that
// unsubscribes. This is the hook the /ws/update websocket builds on.
func (s *Server) Subscribe(fn func(UpdateEvent)) (unsubscribe func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := s.nextSub
	s.nextSub++
	s.subs[id] = fn
	return func() {
		s.mu.Lock()
		delete(s.subs, id)
		s.mu.Unlock()
	}
}

// emit queues an event for subscribers; call with mu held. The events are delivered by
// unlock, outside the lock, so that a subscriber may call back into the simulator.
func (s *Server) emit(u *update) {
	if len(s.subs) == 0 {
		return
	}
	item, _ := json.Marshal(u.listItem())
	ev := UpdateEvent{ID: u.ID, Status: u.Status, Update: u.full(), ListItem: item}
	for _, fn := range s.subs {
		s.pending = append(s.pending, func() { fn(ev) })
	}
}

// unlock releases mu and delivers the events queued while it was held.
func (s *Server) unlock() {
	pending := s.pending
	s.pending = nil
	s.mu.Unlock()
	for _, fn := range pending {
		fn()
	}
}
