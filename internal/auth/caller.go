package auth

import (
	"context"
	"net/http"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Caller holds the Komodo credentials of the person behind one MCP request when the server
// passes callers' credentials through (HTTP mode without credentials of its own): an API key
// and secret, or a JWT. It lives in that request's context only; it is never stored.
type Caller struct {
	APIKey    string
	APISecret string
	JWT       string // raw token, without "Bearer "
}

// Valid reports whether c holds a complete credential: key and secret, or a JWT.
func (c Caller) Valid() bool { return (c.APIKey != "" && c.APISecret != "") || c.JWT != "" }

// Secrets are the secret parts of c, for redaction.
func (c Caller) Secrets() []string {
	var out []string
	for _, s := range []string{c.APISecret, c.JWT} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// String describes the credential without its secret.
func (c Caller) String() string {
	if c.JWT != "" {
		return "auth.Caller{jwt}"
	}
	return "auth.Caller{key: " + c.APIKey + "}"
}

// GoString makes %#v as safe as %v.
func (c Caller) GoString() string { return c.String() }

// CallerFromHeader reads Komodo's own credential headers from an incoming request:
// X-Api-Key and X-Api-Secret, or Authorization with a JWT (a "Bearer " prefix is accepted,
// as Komodo accepts it). ok is false when neither is complete.
func CallerFromHeader(h http.Header) (c Caller, ok bool) {
	if key := h.Get("X-Api-Key"); key != "" {
		c = Caller{APIKey: key, APISecret: h.Get("X-Api-Secret")}
		return c, c.Valid()
	}
	if a := strings.TrimSpace(h.Get("Authorization")); a != "" {
		if len(a) > 7 && strings.EqualFold(a[:7], "bearer ") {
			a = strings.TrimSpace(a[7:])
		}
		c = Caller{JWT: a}
		return c, c.Valid()
	}
	return Caller{}, false
}

type callerKey struct{}

// WithCaller returns a context carrying c, for PassThrough to sign the requests made with it.
func WithCaller(ctx context.Context, c Caller) context.Context {
	return context.WithValue(ctx, callerKey{}, c)
}

// CallerFrom returns the caller credentials carried by ctx.
func CallerFrom(ctx context.Context) (Caller, bool) {
	c, ok := ctx.Value(callerKey{}).(Caller)
	return c, ok && c.Valid()
}

// PassThrough authenticates each request with the caller credentials in its context, so that
// Komodo applies each person's own permissions. A request without them fails with
// AUTH_ERROR and is not sent.
type PassThrough struct {
	base http.RoundTripper
}

var _ http.RoundTripper = (*PassThrough)(nil)

// NewPassThrough returns a PassThrough transport sending through base (http.DefaultTransport
// when nil).
func NewPassThrough(base http.RoundTripper) *PassThrough {
	return &PassThrough{base: orDefault(base)}
}

// ErrNoCaller means a request reached Komodo's client without the caller's credentials.
var ErrNoCaller = &errcode.Error{Code: errcode.AuthError,
	Message: "no Komodo credentials for this request: the server has none of its own and the caller sent none",
	Hint:    "send X-Api-Key and X-Api-Secret, or Authorization: Bearer <Komodo JWT>, with every HTTP request"}

// RoundTrip sends a copy of req carrying the caller's credentials.
func (t *PassThrough) RoundTrip(req *http.Request) (*http.Response, error) {
	c, ok := CallerFrom(req.Context())
	if !ok {
		closeBody(req)
		return nil, ErrNoCaller
	}
	req = req.Clone(req.Context())
	if c.JWT != "" {
		req.Header.Set("Authorization", c.JWT)
	} else {
		req.Header.Set("x-api-key", c.APIKey)
		req.Header.Set("x-api-secret", c.APISecret)
	}
	return t.base.RoundTrip(req)
}

// Token returns the caller's JWT, for the update websocket's login message.
func (c Caller) Token(context.Context) (string, error) {
	if c.JWT == "" {
		return "", ErrNoCaller
	}
	return c.JWT, nil
}

// Renew fails: only the caller can obtain a new JWT, by logging in to Komodo again.
func (c Caller) Renew(context.Context, string) (string, error) {
	return "", &errcode.Error{Code: errcode.AuthError, Message: "Komodo refused the caller's JWT (expired, or Komodo restarted)", Hint: "log in to Komodo again and send the new JWT"}
}
