package auth

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// LoginPath is the Komodo endpoint, under KOMODO_URL, that exchanges a username and password
// for a JWT.
const LoginPath = "/auth/login/LoginLocalUser"

// Errors of jwt mode, for errors.Is. The messages say what to do.
var (
	// ErrInvalidCredentials means Komodo refused the username or password (401 from LoginLocalUser).
	ErrInvalidCredentials = errors.New("invalid username or password: check KOMODO_USERNAME and KOMODO_PASSWORD")
	// ErrSecondFactor means the account asks for a passkey or a TOTP code, which a server cannot give.
	ErrSecondFactor = errors.New("the account uses two-factor authentication, which komodo-mcp cannot answer: use an API key instead (KOMODO_AUTH_MODE=api-key with KOMODO_API_KEY and KOMODO_API_SECRET)")
	// ErrNoSession means there is no token and no username and password to obtain one.
	ErrNoSession = errors.New("no Komodo session: the token was forgotten or rejected and no KOMODO_USERNAME/KOMODO_PASSWORD is set to log in again")
)

var loginTimeout = 30 * time.Second // a login shared by waiting requests outlives any one of them, but not forever

// JWT authenticates with a JSON Web Token in the authorization header (the raw token, no
// "Bearer"). The token is either given, or obtained by logging in with a username and password
// on the first request. One login serves all requests waiting for it. When Komodo rejects the
// token (see tokenRejected) and a username and password are known, JWT logs in again once and
// resends the request.
type JWT struct {
	loginURL           string
	username, password string
	base               http.RoundTripper
	logger             *slog.Logger

	mu       sync.Mutex
	token    string
	epoch    uint64 // bumped by Logout, so that a login already in flight does not revive the session
	inflight *login
}

// login is one LoginLocalUser call, shared by every request that waits for it.
type login struct {
	done  chan struct{}
	token string
	err   error
}

var _ http.RoundTripper = (*JWT)(nil)

// NewJWT returns a JWT transport for the Komodo Core at baseURL, sending through base
// (http.DefaultTransport when nil). It uses c.JWT first if given, and c.Username and c.Password
// to log in when there is no token or the token is rejected; it needs one or the other.
// Re-logins are logged on logger (nil: nowhere).
func NewJWT(baseURL string, c Credentials, base http.RoundTripper, logger *slog.Logger) (*JWT, error) {
	if c.JWT == "" && (c.Username == "" || c.Password == "") {
		return nil, errors.New("auth: jwt mode needs a token, or a username and password")
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("auth: jwt mode needs Komodo's http(s) address to log in, got %q", baseURL)
	}
	return &JWT{
		loginURL: strings.TrimRight(baseURL, "/") + LoginPath,
		username: c.Username,
		password: c.Password,
		base:     orDefault(base),
		logger:   orDiscard(logger),
		token:    c.JWT,
	}, nil
}

// RoundTrip sends a copy of req with the session's token, logging in first if needed.
func (t *JWT) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	if t.canLogin() { // the request may have to be sent twice
		if _, err := bufferBody(req); err != nil {
			closeBody(req)
			return nil, err
		}
	}
	tok, err := t.session(req.Context(), "")
	if err != nil {
		closeBody(req)
		return nil, credentialError(err)
	}
	resend := req.Clone(req.Context()) // taken before sending: the header map is not shared
	req.Header.Set("Authorization", tok)
	resp, err := t.base.RoundTrip(req)
	if err != nil || !t.canLogin() || !tokenRejected(resp) {
		return resp, err
	}

	discard(resp)
	t.logger.Info("komodo rejected the session token; logging in again", "user", t.username)
	if tok, err = t.session(resend.Context(), tok); err != nil {
		return nil, credentialError(err)
	}
	if resend.GetBody != nil {
		if resend.Body, err = resend.GetBody(); err != nil {
			return nil, fmt.Errorf("auth: rewinding request body: %w", err)
		}
	}
	resend.Header.Set("Authorization", tok)
	return t.base.RoundTrip(resend)
}

// maxPeek bounds how much of a 500 answer is read to recognise a rejected token; Komodo's
// {"error":"Invalid user credentials","trace":[]} is tiny.
const maxPeek = 4 << 10

// tokenRejected reports whether Komodo refused the token itself. An expired or invalid JWT is
// not a 401: the auth middleware's decode error (moghtech/lib auth/server/src/provider/jwt.rs:93
// and :101, "Invalid user credentials") is returned with `?` and carries no status
// (middleware.rs:98), so mogh_error answers it with its default 500
// (crates/error/src/axum.rs:24). A token whose user was disabled or removed is a 401
// (Komodo's handle_request_authentication, bin/core/src/auth/mod.rs:183). A 500 with other
// words is an application error: its body is put back untouched.
func tokenRejected(resp *http.Response) bool {
	switch resp.StatusCode {
	case http.StatusUnauthorized:
		return true
	case http.StatusInternalServerError:
	default:
		return false
	}
	if resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, maxPeek+1))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	if err != nil || len(head) > maxPeek {
		return false
	}
	return IsInvalidCredentials(head)
}

// IsInvalidCredentials reports whether body is Komodo's answer to a credential it does not
// accept, {"error":"Invalid user credentials",...} - the words of an expired JWT over HTTP -
// or the update websocket's refusal "[401 Unauthorized]: Invalid user credentials"
// (bin/core/src/api/ws/mod.rs:86).
func IsInvalidCredentials(body []byte) bool {
	var e struct {
		Error string `json:"error"`
	}
	text := string(body)
	if json.Unmarshal(body, &e) == nil {
		text = e.Error
	}
	return strings.Contains(strings.ToLower(text), "invalid user credentials")
}

// credentialError marks a failed login as AUTH_ERROR, so that the error mapping reports it
// as a credentials problem and the retry layer does not repeat it (another attempt would
// only be refused again, and lock accounts that limit failed logins).
func credentialError(err error) error {
	for _, sentinel := range []error{ErrInvalidCredentials, ErrSecondFactor, ErrNoSession} {
		if errors.Is(err, sentinel) {
			return &errcode.Error{Code: errcode.AuthError, Message: err.Error(), Err: err,
				Hint: "Check KOMODO_USERNAME and KOMODO_PASSWORD (or KOMODO_JWT), or use an API key."}
		}
	}
	return err
}

// Token returns the session's token, logging in first if needed. It is for the websocket
// (/ws/update), whose login message carries the token; never log or show it.
func (t *JWT) Token(ctx context.Context) (string, error) {
	tok, err := t.session(ctx, "")
	return tok, credentialError(err)
}

// Renew replaces rejected, a token Komodo refused (the update websocket answers an expired one
// "Invalid user credentials"), by a fresh login and returns the new token. A login already under
// way is joined, and a token already renewed by another caller is returned as is. It needs a
// username and password.
func (t *JWT) Renew(ctx context.Context, rejected string) (string, error) {
	tok, err := t.session(ctx, rejected)
	return tok, credentialError(err)
}

// HasSession reports whether a token is held (given or from a login). It does not check that
// Komodo still accepts it.
func (t *JWT) HasSession() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.token != ""
}

// Logout forgets the token. Komodo keeps no server-side session, so nothing is sent; the next
// request logs in again if a username and password are known, and fails with ErrNoSession if not.
func (t *JWT) Logout() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.token = ""
	t.epoch++
	t.inflight = nil
}

// Refresh logs in now, replacing the current token. It needs a username and password.
func (t *JWT) Refresh(ctx context.Context) error {
	t.mu.Lock()
	current := t.token
	t.mu.Unlock()
	_, err := t.session(ctx, current)
	return err
}

// String describes the transport without its secrets.
func (t *JWT) String() string {
	return fmt.Sprintf("auth.JWT{user: %s, session: %t}", t.username, t.HasSession())
}

// GoString makes %#v as safe as %v.
func (t *JWT) GoString() string { return t.String() }

func (t *JWT) canLogin() bool { return t.username != "" && t.password != "" }

// session returns the current token unless it is empty or equals rejected; then it logs in,
// joining a login already under way rather than starting another.
func (t *JWT) session(ctx context.Context, rejected string) (string, error) {
	t.mu.Lock()
	if t.token != "" && t.token != rejected {
		tok := t.token
		t.mu.Unlock()
		return tok, nil
	}
	if !t.canLogin() {
		t.mu.Unlock()
		return "", ErrNoSession
	}
	l := t.inflight
	if l == nil {
		l = &login{done: make(chan struct{})}
		t.inflight = l
		go t.runLogin(context.WithoutCancel(ctx), l, t.epoch)
	}
	t.mu.Unlock()

	select {
	case <-l.done:
		return l.token, l.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (t *JWT) runLogin(ctx context.Context, l *login, epoch uint64) {
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	tok, err := t.login(ctx)

	t.mu.Lock()
	if err == nil && t.epoch == epoch {
		t.token = tok
	}
	if t.inflight == l {
		t.inflight = nil
	}
	l.token, l.err = tok, err
	t.mu.Unlock()
	close(l.done)
}

// login calls LoginLocalUser. Its errors name the user, never the password.
func (t *JWT) login(ctx context.Context) (string, error) {
	t.logger.Debug("logging in to komodo", "user", t.username)
	body, err := json.Marshal(struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}{t.username, t.password})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.loginURL, bytes.NewReader(body))
	if err != nil {
		return "", fmt.Errorf("komodo login: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := t.base.RoundTrip(req)
	if err != nil {
		return "", fmt.Errorf("komodo login as %q: %w", t.username, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return "", fmt.Errorf("komodo login as %q: reading the answer: %w", t.username, err)
	}

	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return "", fmt.Errorf("komodo login as %q: %w", t.username, ErrInvalidCredentials)
	case resp.StatusCode == http.StatusTooManyRequests:
		// Komodo's failed-login limiter, "Too many attempts | Try again in 42s": AUTH_ERROR
		// with the wait in the hint, never retried.
		e := errcode.FromResponse(resp.StatusCode, []byte(t.scrub(string(data))))
		e.Message = fmt.Sprintf("komodo login as %q: %s", t.username, e.Message)
		return "", e
	case resp.StatusCode != http.StatusOK:
		return "", fmt.Errorf("komodo login as %q: HTTP %d: %s", t.username, resp.StatusCode, t.scrub(komodoError(data)))
	}
	var answer struct {
		Type string `json:"type"`
		Data struct {
			JWT string `json:"jwt"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &answer); err != nil {
		return "", fmt.Errorf("komodo login as %q: the answer is not the JSON Komodo sends (is KOMODO_URL the Komodo Core address?)", t.username)
	}
	switch answer.Type {
	case "Jwt":
		if answer.Data.JWT == "" {
			return "", fmt.Errorf("komodo login as %q: the answer holds no token", t.username)
		}
		return answer.Data.JWT, nil
	case "Passkey", "Totp":
		return "", fmt.Errorf("komodo login as %q: %w", t.username, ErrSecondFactor)
	}
	return "", fmt.Errorf("komodo login as %q: unexpected answer type %q", t.username, answer.Type)
}

// scrub removes the password from text that came back from the server, in case it was echoed.
func (t *JWT) scrub(s string) string {
	if t.password == "" {
		return s
	}
	return strings.ReplaceAll(s, t.password, "REDACTED")
}

// komodoError extracts the message of Komodo's {"error": ..., "trace": [...]} answer.
func komodoError(data []byte) string {
	var e struct {
		Error string `json:"error"`
	}
	if json.Unmarshal(data, &e) != nil || e.Error == "" {
		return "the answer is not a Komodo error (a proxy in the way?)"
	}
	return strings.Join(strings.Fields(e.Error), " ") // one line
}
