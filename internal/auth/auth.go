// Package auth authenticates requests to Komodo Core: http.RoundTrippers that add the
// credentials of one mode (API key, JWT or HMAC signature) to every request they send.
//
// The transports sit under the retry transport, so every attempt passes through RoundTrip
// and is signed afresh. They never modify the caller's request and never put a secret in an
// error or a log line.
package auth

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"net/http"
)

// Mode names an authentication mode; the values match the KOMODO_AUTH_MODE setting.
type Mode string

// The authentication modes.
const (
	ModeAPIKey Mode = "api-key" // x-api-key and x-api-secret headers: what Komodo Core expects
	ModeJWT    Mode = "jwt"     // authorization: <jwt>, given or obtained with LoginLocalUser
	ModeHMAC   Mode = "hmac"    // X-Komodo-Signature headers, for gateways that verify them
)

// Credentials holds what the modes need. Each mode reads only its own fields: APIKey and
// APISecret for api-key and hmac; JWT and/or Username and Password for jwt.
type Credentials struct {
	APIKey    string
	APISecret string
	Username  string
	Password  string
	JWT       string
}

// New returns the transport for mode, sending through base (http.DefaultTransport when nil).
// baseURL is Komodo Core's address; only jwt mode uses it, to log in. In jwt mode the result is
// a *JWT, which a caller may type-assert to manage the session.
// logger receives what the transport logs (jwt mode's re-logins); nil discards it.
func New(mode Mode, baseURL string, c Credentials, base http.RoundTripper, logger *slog.Logger) (http.RoundTripper, error) {
	switch mode {
	case ModeAPIKey, ModeHMAC:
		if c.APIKey == "" || c.APISecret == "" {
			return nil, fmt.Errorf("auth: %s mode needs an API key and an API secret", mode)
		}
		if mode == ModeHMAC {
			return NewHMAC(c.APIKey, c.APISecret, base), nil
		}
		return NewAPIKey(c.APIKey, c.APISecret, base), nil
	case ModeJWT:
		return NewJWT(baseURL, c, base, logger)
	}
	return nil, fmt.Errorf("auth: unknown mode %q: use api-key, jwt or hmac", mode)
}

// orDiscard is the logger to use: l, or one that discards (nil never means the global
// logger: a library does not write where its caller did not ask).
func orDiscard(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}

func orDefault(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		return http.DefaultTransport
	}
	return base
}

// bufferBody reads the body of req, a transport's own clone, into memory and installs a fresh
// reader over the same bytes, plus a GetBody, so that what is signed or resent is exactly what
// goes on the wire. It reads through GetBody when the caller provided one. Komodo request
// bodies are small JSON documents.
func bufferBody(req *http.Request) ([]byte, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return nil, nil
	}
	src := req.Body
	if req.GetBody != nil {
		req.Body.Close() // the copy from GetBody is sent instead
		var err error
		if src, err = req.GetBody(); err != nil {
			return nil, fmt.Errorf("auth: rewinding request body: %w", err)
		}
	}
	b, err := io.ReadAll(src)
	src.Close()
	if err != nil {
		return nil, fmt.Errorf("auth: reading request body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(b))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	req.ContentLength = int64(len(b))
	return b, nil
}

// closeBody honours the RoundTripper contract (always close the request body) on paths that
// return before sending.
func closeBody(req *http.Request) {
	if req.Body != nil {
		req.Body.Close()
	}
}

// discard drains a little of a response that will not be returned, so the connection can be
// reused, and closes it.
func discard(resp *http.Response) {
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
}
