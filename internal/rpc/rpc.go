// Package rpc calls Komodo Core: it assembles the HTTP stack (signing under retry) from
// the configuration and sends request bodies to Komodo byte for byte, turning every
// failure into an *errcode.Error.
//
// It does not use the generated typed client (gen/komodo): every tool sends the JSON its
// input schema validated, and Komodo's answer goes back shaped but not re-encoded, so a
// decode into generated structs and an encode back could only drop or rewrite what the
// structs do not model (1,041 optional fields are sent as null by Komodo). The runtime's own
// few calls (GET /version, GET /user, GetUpdate) read one or two fields. Not linking the
// ~110k-line client keeps the binary's first build short; cmd/komodo-mcp/deps_test.go keeps it so.
package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/retry"
)

// maxResponse bounds what one answer may weigh in memory; Komodo's largest answers
// (full resource lists, logs) stay far below it.
const maxResponse = 64 << 20

// Client sends requests to one Komodo Core.
type Client struct {
	base        string
	http        *http.Client
	timeout     time.Duration
	secrets     []string
	session     *auth.JWT // nil unless the auth mode is jwt
	mode        auth.Mode
	passThrough bool
	key         string // API key and secret, kept for the update websocket's login message
	secret      string
	logger      *slog.Logger
	core        coreVersion // what GET /version answered
}

// New builds the client for cfg: the signing transport of cfg.AuthMode under the
// Komodo-aware retry transport, so that every attempt is signed afresh. It logs on
// logger (nil: nowhere). Requests go out through http.DefaultTransport.
func New(cfg *config.Config, logger *slog.Logger) (*Client, error) {
	return NewWithTransport(cfg, http.DefaultTransport, logger)
}

// NewWithTransport is New sending every attempt (and every JWT login) through base, the
// network: tests pass an in-memory one (internal/memnet) to run in a testing/synctest bubble.
func NewWithTransport(cfg *config.Config, base http.RoundTripper, logger *slog.Logger) (*Client, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	var signer http.RoundTripper = auth.NewPassThrough(base)
	if !cfg.PassThrough {
		creds := auth.Credentials{APIKey: cfg.APIKey, APISecret: cfg.APISecret, Username: cfg.Username, Password: cfg.Password, JWT: cfg.JWT}
		var err error
		if signer, err = auth.New(cfg.AuthMode, cfg.URL, creds, base, logger); err != nil {
			return nil, err
		}
	}
	transport := retry.New(signer, retry.Options{
		Retries:   cfg.RetryCount,
		BaseDelay: cfg.RetryDelay,
		Logger:    logger,
	})
	c := &Client{
		base:        cfg.URL,
		http:        &http.Client{Transport: transport, CheckRedirect: errcode.NoRedirect},
		timeout:     cfg.Timeout,
		mode:        cfg.AuthMode,
		passThrough: cfg.PassThrough,
		key:         cfg.APIKey,
		secret:      cfg.APISecret,
		logger:      logger,
	}
	for _, s := range []string{cfg.APISecret, cfg.Password, cfg.JWT} {
		if s != "" {
			c.secrets = append(c.secrets, s)
		}
	}
	c.session, _ = signer.(*auth.JWT)
	return c, nil
}

// URL is the Komodo Core address.
func (c *Client) URL() string { return c.base }

// Secrets are the configured secret values, for redacting anything shown to a user.
func (c *Client) Secrets() []string { return c.secrets }

// AuthMode is how requests are authenticated (api-key, jwt or hmac).
func (c *Client) AuthMode() auth.Mode { return c.mode }

// APIKey returns the API key and secret of api-key and hmac modes. Only the update
// websocket uses them, in its login message (Komodo authenticates websockets by message,
// not by header); never log or show them.
func (c *Client) APIKey() (key, secret string) { return c.key, c.secret }

// Session is the JWT session in jwt mode, nil otherwise.
func (c *Client) Session() *auth.JWT { return c.session }

// HTTPClient is the signed, retrying HTTP client, for callers that stream. It never
// follows a redirect (errcode.NoRedirect).
func (c *Client) HTTPClient() *http.Client { return c.http }

// Call sends body to Komodo (POST with a JSON body, or GET when body is nil and method
// is GET) and returns the answer of a 200. Any other outcome is an *errcode.Error with
// Komodo's own message, secrets redacted.
func (c *Client) Call(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, &errcode.Error{Code: errcode.ValidationError, Message: err.Error()}
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, c.fail(ctx, errcode.FromTransport(err))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return nil, c.fail(ctx, errcode.FromTransport(err))
	}
	c.logger.Debug("komodo call", "method", method, "path", path, "status", resp.StatusCode, "bytes", len(data), "took", time.Since(start))
	if len(data) > maxResponse {
		return nil, &errcode.Error{Code: errcode.ServerError, Status: resp.StatusCode,
			Message: fmt.Sprintf("Komodo's answer to %s is larger than %d MiB", path, maxResponse>>20),
			Hint:    "narrow the request (a query, a page limit)"}
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, c.fail(ctx, errcode.Redirected(resp.StatusCode, method, req.URL.String(), resp.Header.Get("Location")))
	}
	if resp.StatusCode != http.StatusOK {
		e := errcode.FromResponse(resp.StatusCode, data).At(method, req.URL.String())
		return nil, c.fail(ctx, c.missingOperation(ctx, method, path, e))
	}
	return data, nil
}

// fail redacts the configured secrets and those of the request's caller from e.
func (c *Client) fail(ctx context.Context, e *errcode.Error) error {
	return e.Redacted(c.SecretsFor(ctx)...)
}

// SecretsFor are the configured secrets plus those of the caller ctx carries (pass-through).
func (c *Client) SecretsFor(ctx context.Context) []string {
	caller, ok := auth.CallerFrom(ctx)
	if !ok {
		return c.secrets
	}
	return append(caller.Secrets(), c.secrets...)
}

// PassThrough reports whether requests carry each caller's credentials instead of the
// server's own.
func (c *Client) PassThrough() bool { return c.passThrough }

// AsError returns err as an *errcode.Error, classifying anything else as a server fault.
func AsError(err error) *errcode.Error {
	var e *errcode.Error
	if errors.As(err, &e) {
		return e
	}
	return &errcode.Error{Code: errcode.ServerError, Message: err.Error(), Err: err}
}
