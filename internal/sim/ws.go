package sim

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// UpdatesPath is Komodo Core's update websocket. Its request count is kept under
// the operation name "ws/update", which is also the Fault.Op that disables it.
const UpdatesPath = "/ws/update"

// updatesOp names the websocket in counts and faults.
const updatesOp = "ws/update"

// maxQueuedEvents bounds what one connection may fall behind before it is dropped
// (Komodo's broadcast channel drops lagging receivers too).
const maxQueuedEvents = 4096

// serveUpdates is /ws/update, as Komodo's ws/update.rs: the upgrade itself is not
// authenticated; the first message must be a WsLoginMessage, answered "LOGGED_IN" or
// "[<status>]: <error>" (then the socket is dropped). After the login, every Update
// created or changed is sent as its UpdateListItem JSON, in order. Before each send the
// user is checked again; a disabled user gets {"type":"INVALID_USER","msg":...} and the
// socket is closed. Messages from the client after the login are ignored; a close ends it.
func (s *Server) serveUpdates(w http.ResponseWriter, r *http.Request) {
	s.faults.count(updatesOp)
	if f := s.faults.take(updatesOp); f != nil && s.applyFault(w, r, f) {
		return
	}
	if s.opts.DisableWebsocket {
		writeError(w, &apiError{Status: http.StatusNotFound, Msg: "Not Found: " + r.Method + " " + r.URL.Path})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writeError(w, &apiError{Status: http.StatusMethodNotAllowed, Msg: "Method Not Allowed"})
		return
	}
	// Komodo (axum) does not check Origin; neither does the simulator.
	conn, err := websocket.Accept(w, r, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		return // Accept has answered (400/426)
	}
	defer func() { _ = conn.CloseNow() }()
	conn.SetReadLimit(1 << 20)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
			_ = conn.Close(websocket.StatusGoingAway, "Komodo Core is shutting down")
			cancel()
		case <-ctx.Done():
		}
	}()

	usr, refusal := s.wsLogin(ctx, conn)
	if usr == nil {
		if refusal != "" {
			_ = conn.Write(ctx, websocket.MessageText, []byte(refusal))
		}
		return // dropped without a close frame, as axum drops the socket
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte("LOGGED_IN")); err != nil {
		return
	}

	q := &eventQueue{wake: make(chan struct{}, 1)}
	unsubscribe := s.Subscribe(q.push)
	defer unsubscribe()
	s.mu.Lock()
	s.sockets++
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		s.sockets--
		s.mu.Unlock()
	}()
	s.log.Debug("update websocket logged in", "user", usr.Username)

	// The client may only close; anything else it sends is read and ignored.
	go func() {
		defer cancel()
		for {
			if _, _, err := conn.Read(ctx); err != nil {
				return
			}
		}
	}()

	for {
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		}
		items, overflow := q.take()
		if overflow {
			_ = conn.Close(websocket.StatusTryAgainLater, "lagged behind the update channel")
			return
		}
		for _, item := range items {
			if msg := s.invalidUser(usr.ID); msg != nil {
				_ = conn.Write(ctx, websocket.MessageText, msg)
				_ = conn.Close(websocket.StatusNormalClosure, "")
				return
			}
			// Every seeded user has at least Read on every resource, so every user may
			// see every Update; Komodo filters by permission here.
			wctx, wcancel := context.WithTimeout(ctx, 10*time.Second)
			err := conn.Write(wctx, websocket.MessageText, item)
			wcancel()
			if err != nil {
				return
			}
		}
	}
}

// wsLogin reads the login message. It returns the user, or the text Komodo answers a
// refused login with ("" when the client went away first).
func (s *Server) wsLogin(ctx context.Context, conn *websocket.Conn) (*user, string) {
	_, data, err := conn.Read(ctx)
	if err != nil {
		return nil, ""
	}
	var msg struct {
		Type   string `json:"type"`
		Params struct {
			Key    string `json:"key"`
			Secret string `json:"secret"`
			JWT    string `json:"jwt"`
		} `json:"params"`
	}
	var aerr *apiError
	var u *user
	switch err := json.Unmarshal(data, &msg); {
	case err != nil:
		return nil, "[400 Bad Request]: Invalid login message: " + serdeSyntax(err)
	case msg.Type == "ApiKeys":
		s.mu.Lock()
		u, aerr = s.userByAPIKey(msg.Params.Key, msg.Params.Secret)
		s.mu.Unlock()
	case msg.Type == "Jwt":
		s.mu.Lock()
		u, aerr = s.userByJWT(msg.Params.JWT)
		s.mu.Unlock()
	default:
		return nil, fmt.Sprintf("[400 Bad Request]: Invalid login message: unknown variant `%s`, expected `Jwt` or `ApiKeys`", msg.Type)
	}
	if aerr != nil {
		// Every credential failure is a 401 here, the expired JWT too: the websocket login
		// sets that status itself (bin/core/src/api/ws/mod.rs:68-75,86-89).
		return nil, fmt.Sprintf("[%d %s]: %s", http.StatusUnauthorized, http.StatusText(http.StatusUnauthorized), aerr.Msg)
	}
	return u, ""
}

// invalidUser is the INVALID_USER message when the user was disabled or removed since
// the login, nil while it is still valid. msg is Komodo's serialized error (a string).
func (s *Server) invalidUser(id string) []byte {
	s.mu.Lock()
	u := s.w.findUser(id)
	s.mu.Unlock()
	if u != nil && !u.Disabled {
		return nil
	}
	serror, _ := json.Marshal(map[string]any{"error": "User not enabled", "trace": []string{}})
	msg, _ := json.Marshal(map[string]any{"type": "INVALID_USER", "msg": string(serror)})
	return msg
}

// UpdateSockets is the number of /ws/update connections currently logged in, so that
// tests can check that a client closed its subscription.
func (s *Server) UpdateSockets() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sockets
}

// eventQueue hands list items from Subscribe (which must not block the simulator) to
// the connection's writer, in order.
type eventQueue struct {
	mu       sync.Mutex
	items    []json.RawMessage
	overflow bool
	wake     chan struct{}
}

func (q *eventQueue) push(ev UpdateEvent) {
	q.mu.Lock()
	if len(q.items) >= maxQueuedEvents {
		q.overflow = true
	} else {
		q.items = append(q.items, ev.ListItem)
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) take() ([]json.RawMessage, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	items := q.items
	q.items = nil
	return items, q.overflow
}
