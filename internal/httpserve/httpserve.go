// Package httpserve serves the MCP server over streamable HTTP for a team: it authenticates
// every request before any session exists (each caller's own Komodo credentials, or client
// tokens in front of shared ones), refuses foreign browser origins and unknown Host names,
// bounds sessions (idle timeout, a cap, or no sessions at all for load-balanced replicas),
// limits request bodies, answers /healthz and /readyz, and shuts down gracefully.
package httpserve

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/modelcontextprotocol/go-sdk/auth"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	kauth "github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/stdio"
)

// Defaults of Options.
const (
	DefaultSessionIdle   = 30 * time.Minute
	DefaultMaxSessions   = 1000
	DefaultMaxBody       = 512 << 10 // MCP messages are small; a compose file in a write is the largest, far below
	DefaultShutdownGrace = 25 * time.Second
	userCacheTTL         = time.Minute
	userCacheMax         = 10_000
	readyCacheTTL        = 2 * time.Second
	drainPause           = 500 * time.Millisecond
	releaseAfter         = 200 // sessions ended since the peak before memory is handed back
)

// Path is where the MCP endpoint is served.
const Path = "/mcp"

// Options configure a Service.
type Options struct {
	// Addr is the listen address (host:port), used to refuse an unsafe setup and as the
	// default allowed Host.
	Addr string
	// PassThrough: the server has no Komodo credentials; each caller sends its own, and
	// Lookup checks them with Komodo.
	PassThrough bool
	Lookup      UserLookup
	// Tokens are the client tokens required in front of shared credentials; nil means none
	// (allowed on loopback only).
	Tokens *Tokens
	// AllowedOrigins are the browser origins accepted (scheme://host[:port], lower case).
	AllowedOrigins []string
	// AllowedHosts are Host names accepted besides the listen address.
	AllowedHosts []string
	// SessionIdle ends sessions idle this long (default 30m).
	SessionIdle time.Duration
	// MaxSessions caps concurrent sessions (default 1000).
	MaxSessions int
	// Stateless serves without sessions, for replicas behind a load balancer.
	Stateless bool
	// MaxBody bounds a request body (default 512 KiB).
	MaxBody int64
	// ShutdownGrace bounds how long in-flight calls may finish after shutdown begins (default 25s).
	ShutdownGrace time.Duration
	// Ready reports whether Komodo is reachable, for /readyz.
	Ready  func(ctx context.Context) error
	Logger *slog.Logger
}

// Service is the HTTP face of one MCP server.
type Service struct {
	opts    Options
	srv     *mcp.Server
	sdk     *mcp.StreamableHTTPHandler
	users   *userCache
	logger  *slog.Logger
	handler http.Handler

	pending  atomic.Int64   // sessions being created
	inflight sync.WaitGroup // POSTs being served, waited for on shutdown
	closing  atomic.Bool

	readyMu  sync.Mutex
	readyAt  time.Time
	readyErr error
}

// ErrUnsafe is returned by New for shared credentials without client tokens off loopback.
var ErrUnsafe = errors.New("unsafe HTTP setup")

// New wraps srv. It refuses (ErrUnsafe) to serve shared credentials without client tokens
// on an address other than loopback, and adds a receiving middleware to srv that hands each
// tool call its caller.
func New(srv *mcp.Server, opts Options) (*Service, error) {
	if opts.SessionIdle <= 0 {
		opts.SessionIdle = DefaultSessionIdle
	}
	if opts.MaxSessions <= 0 {
		opts.MaxSessions = DefaultMaxSessions
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	if opts.ShutdownGrace <= 0 {
		opts.ShutdownGrace = DefaultShutdownGrace
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PassThrough && opts.Lookup == nil {
		return nil, errors.New("httpserve: pass-through needs a user lookup")
	}
	if !opts.PassThrough && opts.Tokens == nil && !IsLoopback(opts.Addr) {
		return nil, fmt.Errorf("%w: refusing to serve the server's Komodo credentials on %s without client tokens: set KOMODO_HTTP_TOKENS_FILE, listen on 127.0.0.1, or remove the credentials so that each caller sends its own", ErrUnsafe, opts.Addr)
	}
	s := &Service{opts: opts, srv: srv, logger: opts.Logger}
	if opts.PassThrough {
		s.users = newUserCache(opts.Lookup, userCacheTTL, userCacheMax)
	}
	s.sdk = mcp.NewStreamableHTTPHandler(func(*http.Request) *mcp.Server { return srv }, &mcp.StreamableHTTPOptions{
		Stateless:      opts.Stateless,
		SessionTimeout: opts.SessionIdle,
		// Host checking is ours (checkHost): it also knows KOMODO_HTTP_ALLOWED_HOSTS, which
		// a reverse proxy on the same machine needs.
		DisableLocalhostProtection: true,
		MaxRequestBodyBytes:        opts.MaxBody,
	})
	srv.AddReceivingMiddleware(callerMiddleware)

	mux := http.NewServeMux()
	var mcpHandler http.Handler = s.sdk
	if !opts.Stateless {
		mcpHandler = requireSession(mcpHandler)
	}
	mux.Handle(Path, s.guard(mcpHandler))
	mux.HandleFunc("/healthz", s.healthz)
	mux.HandleFunc("/readyz", s.readyz)
	s.handler = mux
	return s, nil
}

// Warnings are what an operator should know about a setup New accepted.
func (s *Service) Warnings() []string {
	if !s.opts.PassThrough && s.opts.Tokens == nil {
		return []string{"serving the server's Komodo credentials on loopback without client tokens: any program on this machine can use them; set KOMODO_HTTP_TOKENS_FILE to require a token"}
	}
	return nil
}

// Serve serves on ln until ctx is done, then shuts down gracefully: it stops accepting,
// lets in-flight calls finish for at most the shutdown grace, ends the sessions and returns.
func (s *Service) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	janitor, stopJanitor := context.WithCancel(ctx)
	defer stopJanitor()
	go s.releaseMemory(janitor)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	s.logger.Info("shutting down: no new connections; waiting for calls in flight", "grace", s.opts.ShutdownGrace)
	s.closing.Store(true)
	grace, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownGrace)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- hs.Shutdown(grace) }() // closes the listener at once

	done := make(chan struct{})
	go func() { s.inflight.Wait(); close(done) }()
	select {
	case <-done:
		// The last answers are written; give clients a moment to read them before their
		// sessions (and the GET streams a client fails on) end.
		select {
		case <-time.After(drainPause):
		case <-grace.Done():
		}
	case <-grace.Done():
		s.logger.Warn("shutdown grace over: ending calls still in flight")
	}
	closed := make(chan struct{})
	go func() { // ends the long-lived GET streams too
		for ss := range s.srv.Sessions() {
			_ = ss.Close() // waits for the session's calls, a question nobody answers included
		}
		close(closed)
	}()
	select {
	case <-closed:
	case <-grace.Done():
		s.logger.Warn("shutdown grace over: sessions still waiting (for a client's answer) are dropped")
	}
	select {
	case err := <-shutdown:
		if err != nil && !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
	case <-grace.Done():
	}
	_ = hs.Close()
	return nil
}

// releaseMemory hands the memory of ended sessions back to the operating system once many
// have ended. The Go runtime would return it too, but only gradually (minutes); after a burst
// of abandoned sessions an operator watching RSS should see it fall when they end.
func (s *Service) releaseMemory(ctx context.Context) {
	every := min(s.opts.SessionIdle/2, 30*time.Second)
	every = max(every, time.Second)
	t := time.NewTicker(every)
	defer t.Stop()
	peak := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n := 0
		for range s.srv.Sessions() {
			n++
		}
		peak = max(peak, n)
		if peak-n >= releaseAfter {
			debug.FreeOSMemory()
			s.logger.Info("returned the memory of ended sessions to the operating system", "ended", peak-n, "open", n)
			peak = n
		}
	}
}

// guard is everything a request to /mcp passes before the SDK sees it, in order:
// Host (403), Origin (403), body size (413), authentication (401), session cap (503).
func (s *Service) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.hostAllowed(r) {
			refuse(w, http.StatusForbidden, "Host "+quoteHeader(r.Host)+" is not served here: set KOMODO_HTTP_ALLOWED_HOSTS to the name clients use")
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !s.originAllowed(o) {
			refuse(w, http.StatusForbidden, "Origin "+quoteHeader(o)+" is not allowed: add it to KOMODO_HTTP_ALLOWED_ORIGINS if browsers on it may use this server")
			return
		}
		if r.ContentLength > s.opts.MaxBody {
			w.Header().Set("Connection", "close")
			refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body of %d bytes is over the limit of %d bytes", r.ContentLength, s.opts.MaxBody))
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.opts.MaxBody)

		id, ok := s.authenticate(w, r)
		if !ok {
			return
		}
		if s.closing.Load() {
			w.Header().Set("Connection", "close")
			refuse(w, http.StatusServiceUnavailable, "the server is shutting down: retry on another replica or in a moment")
			return
		}
		if r.Method == http.MethodPost && !s.wellFormed(w, r) {
			return
		}
		if r.Method == http.MethodPost {
			s.inflight.Add(1)
			defer s.inflight.Done()
		}
		if !s.opts.Stateless && r.Method == http.MethodPost && r.Header.Get("Mcp-Session-Id") == "" {
			if !s.reserveSession() {
				w.Header().Set("Retry-After", "30")
				refuse(w, http.StatusServiceUnavailable, fmt.Sprintf("too many sessions (%d): retry later, or raise KOMODO_HTTP_MAX_SESSIONS", s.opts.MaxSessions))
				return
			}
			defer s.pending.Add(-1)
		}
		ctx := audit.WithActor(r.Context(), id.Name)
		if id.UserID != "" {
			// The SDK hands TokenInfo to every call of this request (CallToolRequest.Extra)
			// and binds a new session to its UserID: a session opened by one caller answers
			// 403 to another. RequireBearerToken is the SDK's only way to place it.
			info := &auth.TokenInfo{UserID: id.UserID, Extra: map[string]any{identityKey: id}}
			r = r.Clone(ctx)
			if !strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ") {
				r.Header.Set("Authorization", "Bearer -") // API-key callers: the SDK needs a bearer header to attach TokenInfo; the value is unused
			}
			auth.RequireBearerToken(func(context.Context, string, *http.Request) (*auth.TokenInfo, error) {
				return info, nil
			}, &auth.RequireBearerTokenOptions{AllowMissingExpiration: true})(next).ServeHTTP(w, r)
			return
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// wellFormed reads a POST body and refuses, as stdio does, a message that is not one
// valid JSON-RPC message - nested too deep, truncated, not JSON-RPC 2.0 - with a JSON-RPC
// error that carries the request's id whenever it can be read, so that the client's
// waiting call fails at once (the SDK would answer such a body with plain text). The
// body is put back for the SDK. Batches (a JSON array) are left to the SDK.
func (s *Service) wellFormed(w http.ResponseWriter, r *http.Request) bool {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			w.Header().Set("Connection", "close")
			refuse(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is over the limit of %d bytes", s.opts.MaxBody))
			return false
		}
		refuse(w, http.StatusBadRequest, "the request body could not be read")
		return false
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if trimmed := bytes.TrimSpace(body); len(trimmed) > 0 && trimmed[0] == '[' {
		return true
	}
	if _, refusal := stdio.Decode(body); refusal != nil {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write(refusal.JSON())
		return false
	}
	return true
}

// reserveSession counts a session about to be created against the cap.
func (s *Service) reserveSession() bool {
	n := s.pending.Add(1)
	for range s.srv.Sessions() {
		n++
	}
	if n > int64(s.opts.MaxSessions) {
		s.pending.Add(-1)
		return false
	}
	return true
}

// authenticate finds who sent r, or answers 401 (or 502 when Komodo cannot be asked).
func (s *Service) authenticate(w http.ResponseWriter, r *http.Request) (Identity, bool) {
	switch {
	case s.opts.PassThrough:
		c, ok := kauth.CallerFromHeader(r.Header)
		if !ok {
			s.unauthorized(w, "", "send your Komodo credentials with every request: X-Api-Key and X-Api-Secret, or Authorization: Bearer <Komodo JWT>")
			return Identity{}, false
		}
		u, err := s.users.user(r.Context(), c, clientAddress(r))
		if errors.Is(err, ErrTooManyFailures) {
			w.Header().Set("Retry-After", strconv.Itoa(int(failWindow.Seconds())))
			refuse(w, http.StatusTooManyRequests, "Komodo refused too many credentials sent from this address: wait a minute, and check the API key and secret")
			return Identity{}, false
		}
		if err != nil {
			var e *errcode.Error
			if errors.As(err, &e) && e.Code == errcode.AuthError {
				s.unauthorized(w, "invalid_token", "Komodo refused these credentials: check the API key and secret, or log in again for a new JWT")
				return Identity{}, false
			}
			s.logger.Warn("could not check a caller's credentials with Komodo", "error", errcode.Redact(err.Error(), c.Secrets()...))
			refuse(w, http.StatusBadGateway, "Komodo could not be asked who these credentials belong to: try again shortly")
			return Identity{}, false
		}
		return Identity{Name: u.Username, UserID: "komodo:" + u.ID, Caller: c}, true
	case s.opts.Tokens != nil:
		a := r.Header.Get("Authorization")
		if len(a) < 7 || !strings.EqualFold(a[:7], "bearer ") {
			s.unauthorized(w, "", "send Authorization: Bearer <token>, with a token from the server's tokens file")
			return Identity{}, false
		}
		name, ok := s.opts.Tokens.Check(strings.TrimSpace(a[7:]))
		if !ok {
			s.unauthorized(w, "invalid_token", "the token is not in the server's tokens file")
			return Identity{}, false
		}
		return Identity{Name: name, UserID: "token:" + name}, true
	}
	return Identity{}, true // loopback without tokens: the audit names the server's own Komodo user
}

// clientAddress is the address a request came from (the proxy's, behind a reverse proxy:
// forwarded headers are not trusted).
func clientAddress(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func (s *Service) unauthorized(w http.ResponseWriter, code, msg string) {
	v := `Bearer realm="komodo-mcp"`
	if code != "" {
		v += `, error="` + code + `"`
	}
	w.Header().Set("WWW-Authenticate", v)
	refuse(w, http.StatusUnauthorized, msg)
}

// refuse answers a plain-text error of one line.
func refuse(w http.ResponseWriter, status int, msg string) {
	http.Error(w, msg, status)
}

// quoteHeader quotes a header value for an error message, cut short.
func quoteHeader(v string) string {
	if len(v) > 100 {
		v = v[:100] + "..."
	}
	return fmt.Sprintf("%q", v)
}

func (s *Service) originAllowed(origin string) bool {
	o := strings.ToLower(strings.TrimRight(origin, "/"))
	for _, a := range s.opts.AllowedOrigins {
		if o == a {
			return true
		}
	}
	return false
}

// hostAllowed accepts the names of KOMODO_HTTP_ALLOWED_HOSTS, the host of the listen address,
// the IP address the connection arrived on, and localhost names when that address is
// loopback. This defeats DNS rebinding: a page on evil.example whose name now resolves to
// this machine still sends Host: evil.example.
func (s *Service) hostAllowed(r *http.Request) bool {
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.Trim(host, "[]"))
	if host == "" {
		return false
	}
	for _, a := range s.opts.AllowedHosts {
		if host == a {
			return true
		}
	}
	if bind, _, err := net.SplitHostPort(s.opts.Addr); err == nil && bind != "" && strings.EqualFold(strings.Trim(bind, "[]"), host) {
		return true
	}
	local, _ := r.Context().Value(http.LocalAddrContextKey).(net.Addr)
	if local == nil {
		return false
	}
	lh, _, err := net.SplitHostPort(local.String())
	if err != nil {
		return false
	}
	lip := net.ParseIP(lh)
	if lip == nil {
		return false
	}
	if ip := net.ParseIP(host); ip != nil {
		return ip.Equal(lip) || (ip.IsLoopback() && lip.IsLoopback())
	}
	return lip.IsLoopback() && (host == "localhost" || strings.HasSuffix(host, ".localhost"))
}

// IsLoopback reports whether a listen address only accepts connections from this machine.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (s *Service) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz answers 200 when Komodo answered recently (checked at most every 2 s, so probes
// cannot be used to flood Komodo), 503 otherwise and while shutting down.
func (s *Service) readyz(w http.ResponseWriter, r *http.Request) {
	if s.closing.Load() {
		refuse(w, http.StatusServiceUnavailable, "shutting down")
		return
	}
	s.readyMu.Lock()
	if time.Since(s.readyAt) > readyCacheTTL {
		s.readyErr = nil
		if s.opts.Ready != nil {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			s.readyErr = s.opts.Ready(ctx)
			cancel()
		}
		s.readyAt = time.Now()
	}
	err := s.readyErr
	s.readyMu.Unlock()
	if err != nil {
		refuse(w, http.StatusServiceUnavailable, "Komodo is not reachable: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ready\n"))
}

const identityKey = "komodo-mcp/identity"

// callerMiddleware puts the caller of each MCP request into its context: the actor name for
// the audit log and, with pass-through, the credentials the Komodo client signs with.
func callerMiddleware(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (mcp.Result, error) {
		if extra := req.GetExtra(); extra != nil && extra.TokenInfo != nil {
			if id, ok := extra.TokenInfo.Extra[identityKey].(Identity); ok {
				ctx = audit.WithActor(ctx, id.Name)
				if id.Caller.Valid() {
					ctx = kauth.WithCaller(ctx, id.Caller)
				}
			}
		}
		return next(ctx, method, req)
	}
}
