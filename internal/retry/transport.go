package retry

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// Defaults of KOMODO_RETRY_COUNT and KOMODO_RETRY_DELAY (README "Configuration") and
// the cap on any single wait.
const (
	DefaultRetries   = 3
	DefaultBaseDelay = time.Second
	DefaultMaxDelay  = 30 * time.Second
)

// Options configures a Transport.
type Options struct {
	// Retries is the number of retries after the first attempt, used as
	// given: 0 means a single attempt. Negative counts as 0.
	Retries int
	// BaseDelay is the first wait; each later wait doubles. 0 means
	// DefaultBaseDelay.
	BaseDelay time.Duration
	// MaxDelay caps every wait, Retry-After included. 0 means
	// DefaultMaxDelay; a value below BaseDelay is raised to BaseDelay.
	MaxDelay time.Duration
	// Logger receives one Warn line per retry (operation, attempt, wait,
	// cause) and retryablehttp's own messages at Debug. Request headers are
	// never logged. nil means a text logger on stderr: stdout is the stdio
	// MCP channel.
	Logger *slog.Logger
}

// Transport is the retry layer: an http.RoundTripper that sends each request
// through a retryablehttp client with the Komodo-aware Policy.
type Transport struct {
	rt      *retryablehttp.RoundTripper
	retries int
	base    time.Duration
	limit   time.Duration
	log     *slog.Logger
}

var _ http.RoundTripper = (*Transport)(nil)

// New returns a Transport that sends every attempt through base (nil means
// http.DefaultTransport). Put the signing transport in base so that each
// attempt is signed afresh. Redirects are not followed here; they reach the
// caller's http.Client as responses, as from any RoundTripper.
func New(base http.RoundTripper, opts Options) *Transport {
	if base == nil {
		base = http.DefaultTransport
	}
	t := &Transport{
		retries: max(opts.Retries, 0),
		base:    opts.BaseDelay,
		limit:   opts.MaxDelay,
		log:     opts.Logger,
	}
	if t.base <= 0 {
		t.base = DefaultBaseDelay
	}
	if t.limit <= 0 {
		t.limit = DefaultMaxDelay
	}
	t.limit = max(t.limit, t.base)
	if t.log == nil {
		t.log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	t.rt = &retryablehttp.RoundTripper{Client: &retryablehttp.Client{
		HTTPClient: &http.Client{
			Transport: base,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		Logger:       leveled{t.log.With("component", "retryablehttp")},
		RetryWaitMin: t.base,
		RetryWaitMax: t.limit,
		RetryMax:     t.retries,
		CheckRetry:   t.checkRetry,
		Backoff:      Backoff,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}}
	return t
}

// RoundTrip sends req, retrying as the package comment describes. It returns
// the last response or transport error unchanged and closes req.Body.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		// retryablehttp reads the body once and replays copies; the
		// original is ours to close, per the RoundTripper contract.
		defer req.Body.Close()
	}
	st := &state{safe: Idempotent(req), op: operation(req)}
	return t.rt.RoundTrip(req.Clone(context.WithValue(req.Context(), stateKey{}, st)))
}

// checkRetry applies Policy, then the limits only the Transport knows: the
// retry budget and the wait cap a Retry-After may not exceed.
func (t *Transport) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	retry, _ := Policy(ctx, resp, err)
	st := stateFrom(ctx)
	if st == nil {
		st = &state{}
	}
	attempt := st.attempts
	st.attempts++
	if !retry {
		return false, nil
	}
	if d, ok := retryAfter(resp); ok && d > t.limit {
		t.log.Debug("komodo request not retried: Retry-After exceeds the maximum delay",
			"operation", st.op, "retry_after", d, "max_delay", t.limit)
		return false, nil
	}
	if attempt >= t.retries {
		t.log.Debug("komodo request retries exhausted", "operation", st.op, "attempts", attempt+1)
		return true, nil
	}
	args := []any{"operation", st.op, "attempt", attempt + 2, "max_attempts", t.retries + 1,
		"wait", Backoff(t.base, t.limit, attempt, resp)}
	if err != nil {
		args = append(args, "error", err.Error())
	} else {
		args = append(args, "status", resp.StatusCode)
	}
	t.log.Warn("retrying komodo request", args...)
	return true, nil
}

// state is what the Transport knows about one RoundTrip; CheckRetry receives
// only the context, so the state travels in it.
type state struct {
	safe     bool
	op       string
	attempts int
}

type stateKey struct{}

func stateFrom(ctx context.Context) *state {
	st, _ := ctx.Value(stateKey{}).(*state)
	return st
}

// operation names a request for logs: "read/ListServers",
// "auth/login/GetLoginOptions", "GET /version". No host, query or headers.
func operation(req *http.Request) string {
	seg := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	n := len(seg)
	switch {
	case req.Method == http.MethodGet || req.Method == http.MethodHead:
		return req.Method + " /" + seg[n-1]
	case n >= 3 && seg[n-3] == "auth":
		return strings.Join(seg[n-3:], "/")
	case n >= 2:
		return strings.Join(seg[n-2:], "/")
	}
	return req.Method + " /" + seg[n-1]
}

// leveled adapts *slog.Logger to retryablehttp.LeveledLogger. All of the
// library's messages go out at Debug: they repeat, per attempt, what the
// Transport's one Warn line per retry and the caller's final error already
// say. They carry method and URL (password redacted), never headers.
type leveled struct{ l *slog.Logger }

var _ retryablehttp.LeveledLogger = leveled{}

func (a leveled) Error(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a leveled) Info(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
func (a leveled) Debug(msg string, kv ...any) { a.l.Debug(msg, kv...) }
func (a leveled) Warn(msg string, kv ...any)  { a.l.Debug(msg, kv...) }
