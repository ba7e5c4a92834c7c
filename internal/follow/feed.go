package follow

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// UpdatePath is Komodo Core's update websocket, under KOMODO_URL.
const UpdatePath = "/ws/update"

// loggedIn is Komodo's answer to an accepted login message.
const loggedIn = "LOGGED_IN"

// Login returns the login message Komodo's update websocket expects as the
// first message after connecting: a WsLoginMessage,
// {"type":"Jwt","params":{"jwt":...}} or
// {"type":"ApiKeys","params":{"key":...,"secret":...}}. It is called once per
// connection, so a JWT may be fetched fresh. rejected is nil, or the message
// Komodo just refused as "Invalid user credentials"; Login then returns a
// better one (a renewed JWT), or nil when it has none. The message is a
// secret: it is never logged.
type Login func(ctx context.Context, rejected []byte) ([]byte, error)

// APIKeyLogin logs in with an API key and secret, as Komodo's own client does
// in api-key mode. A refused key is final.
func APIKeyLogin(key, secret string) Login {
	return func(_ context.Context, rejected []byte) ([]byte, error) {
		if rejected != nil {
			return nil, nil
		}
		return json.Marshal(wsLogin{Type: "ApiKeys", Params: map[string]string{"key": key, "secret": secret}})
	}
}

// TokenSource holds a JWT session (*auth.JWT is one).
type TokenSource interface {
	// Token returns the session's token, logging in first if needed.
	Token(ctx context.Context) (string, error)
	// Renew replaces rejected, a token Komodo refused, by a fresh login
	// (shared with any other caller renewing the same token).
	Renew(ctx context.Context, rejected string) (string, error)
}

// JWTLogin logs in with the session's token (the raw JWT, as in the
// authorization header). When Komodo refuses it - an expired token, or one
// signed before a Core restart without a fixed jwt_secret - it logs in again
// once with a renewed token.
func JWTLogin(src TokenSource) Login {
	return func(ctx context.Context, rejected []byte) ([]byte, error) {
		var jwt string
		var err error
		if rejected == nil {
			jwt, err = src.Token(ctx)
		} else {
			var old wsLogin
			_ = json.Unmarshal(rejected, &old)
			jwt, err = src.Renew(ctx, old.Params["jwt"])
		}
		if err != nil {
			return nil, err
		}
		return json.Marshal(wsLogin{Type: "Jwt", Params: map[string]string{"jwt": jwt}})
	}
}

type wsLogin struct {
	Type   string            `json:"type"`
	Params map[string]string `json:"params"`
}

// secretsOf lists the values of a login message that must not be shown:
// the secret and the jwt.
func secretsOf(msg []byte) []string {
	var m wsLogin
	if json.Unmarshal(msg, &m) != nil {
		return nil
	}
	var out []string
	for _, k := range []string{"secret", "jwt"} {
		if v := m.Params[k]; v != "" {
			out = append(out, v)
		}
	}
	return out
}

// listItem is the part of Komodo's UpdateListItem the feed reads: /ws/update
// carries one for every update the user may see (Core's update_channel sends
// UpdateListItem, not the full Update, so logs must be fetched).
type listItem struct {
	ID     string `json:"id"`
	Status string `json:"status"`
	Type   string `json:"type"` // "INVALID_USER" when Core drops the user
	Msg    any    `json:"msg"`
}

// feed is one subscription to /ws/update, shared by the waits of a batch. It
// pokes the waiter of an update id whenever an event for that id arrives.
type feed struct {
	loggedIn chan struct{} // closed once Komodo answered LOGGED_IN
	done     chan struct{} // closed when the subscription ends, for any reason
	cancel   context.CancelFunc

	mu   sync.Mutex
	subs map[string]map[chan struct{}]struct{}
	err  error // why it ended
}

// dialTimeout bounds connecting and logging in; polling covers the wait
// meanwhile.
const dialTimeout = 10 * time.Second

// maxEvent bounds one websocket message; update list items are small.
const maxEvent = 1 << 20

// startFeed connects to baseURL's update websocket in the background.
func startFeed(ctx context.Context, baseURL string, login Login, client *http.Client, logger *slog.Logger) *feed {
	ctx, cancel := context.WithCancel(ctx)
	f := &feed{
		loggedIn: make(chan struct{}),
		done:     make(chan struct{}),
		cancel:   cancel,
		subs:     map[string]map[chan struct{}]struct{}{},
	}
	go func() {
		err := f.run(ctx, baseURL, login, client, logger)
		f.mu.Lock()
		f.err = err
		f.mu.Unlock()
		close(f.done)
	}()
	return f
}

// watch registers interest in id; the channel receives (coalesced) pokes.
func (f *feed) watch(id string) (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	f.mu.Lock()
	if f.subs[id] == nil {
		f.subs[id] = map[chan struct{}]struct{}{}
	}
	f.subs[id][ch] = struct{}{}
	f.mu.Unlock()
	return ch, func() {
		f.mu.Lock()
		delete(f.subs[id], ch)
		if len(f.subs[id]) == 0 {
			delete(f.subs, id)
		}
		f.mu.Unlock()
	}
}

// Err says why the subscription ended.
func (f *feed) Err() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

func (f *feed) close() { f.cancel() }

func (f *feed) poke(id string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for ch := range f.subs[id] {
		select {
		case ch <- struct{}{}:
		default: // a poke is pending already
		}
	}
}

func (f *feed) run(ctx context.Context, baseURL string, login Login, client *http.Client, logger *slog.Logger) error {
	u, err := wsURL(baseURL)
	if err != nil {
		return err
	}
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	msg, err := login(dctx, nil)
	if err != nil {
		return fmt.Errorf("update websocket login message: %w", err)
	}
	conn, answer, err := dialLogin(dctx, u, client, msg)
	if err == nil && string(answer) != loggedIn && invalidCredentials(answer) {
		// Komodo refuses an expired JWT with "[401 Unauthorized]: Invalid user
		// credentials" (bin/core/src/api/ws/mod.rs:86) and drops the socket:
		// renew the token once and connect again.
		_ = conn.CloseNow()
		next, lerr := login(dctx, msg)
		if lerr != nil {
			return fmt.Errorf("update websocket login message: %w", lerr)
		}
		if next != nil {
			logger.Debug("update websocket refused the token; logging in again")
			msg = next
			conn, answer, err = dialLogin(dctx, u, client, msg)
		}
	}
	if err != nil {
		return err
	}
	defer func() { _ = conn.CloseNow() }()
	if string(answer) != loggedIn {
		// Komodo's refusal, e.g. "[401 Unauthorized]: Invalid api key"; it
		// could quote what it was sent, so it is redacted.
		return errors.New("update websocket login refused: " + clip(errcode.Redact(string(answer), secretsOf(msg)...), 300))
	}
	cancel()
	close(f.loggedIn)
	logger.Debug("update websocket logged in", "url", u)

	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			if ctx.Err() != nil {
				_ = conn.Close(websocket.StatusNormalClosure, "")
				return ctx.Err()
			}
			return fmt.Errorf("update websocket closed: %w", err)
		}
		var item listItem
		if err := json.Unmarshal(data, &item); err != nil {
			logger.Debug("update websocket: unreadable event", "error", err)
			continue
		}
		if item.Type == "INVALID_USER" {
			return errors.New("update websocket: Komodo no longer accepts this user")
		}
		if item.ID != "" {
			f.poke(item.ID)
		}
	}
}

// dialLogin connects to the update websocket at u, sends the login message and
// reads Komodo's answer to it.
func dialLogin(ctx context.Context, u string, client *http.Client, msg []byte) (*websocket.Conn, []byte, error) {
	if client == nil {
		// Never the default client: a redirected handshake would take the login message
		// (the credentials) to another host.
		client = errcode.NoRedirectClient
	}
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: client})
	if resp != nil && resp.Body != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			return nil, nil, fmt.Errorf("update websocket refused: HTTP %d", resp.StatusCode)
		}
		return nil, nil, fmt.Errorf("update websocket: %w", err)
	}
	conn.SetReadLimit(maxEvent)
	if err := conn.Write(ctx, websocket.MessageText, msg); err != nil {
		_ = conn.CloseNow()
		return nil, nil, fmt.Errorf("update websocket: sending the login: %w", err)
	}
	_, answer, err := conn.Read(ctx)
	if err != nil {
		_ = conn.CloseNow()
		return nil, nil, fmt.Errorf("update websocket: no answer to the login: %w", err)
	}
	return conn, answer, nil
}

// invalidCredentials reports Komodo's refusal of the credentials themselves
// (as opposed to a malformed login message).
func invalidCredentials(answer []byte) bool {
	return strings.Contains(strings.ToLower(string(answer)), "invalid user credentials")
}

// wsURL turns KOMODO_URL into the update websocket's address: http -> ws,
// https -> wss, any base path kept.
func wsURL(base string) (string, error) {
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil {
		return "", fmt.Errorf("update websocket: KOMODO_URL: %w", err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("update websocket: unsupported scheme %q", u.Scheme)
	}
	u.Path = strings.TrimRight(u.Path, "/") + UpdatePath
	u.RawPath = ""
	u.RawQuery, u.Fragment, u.User = "", "", nil
	return u.String(), nil
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
