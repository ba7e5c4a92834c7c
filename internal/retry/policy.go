// Package retry is the Komodo-aware retry layer: an http.RoundTripper built on
// hashicorp/go-retryablehttp that repeats a request only when repeating it
// cannot do harm.
//
// Komodo Core answers its own application errors ("Did not find any Server
// matching X", permission failures, serde errors) with HTTP 500 and a JSON
// body {"error": ..., "trace": [...]}. Such an answer is final, never
// transient: retrying it only delays the error, and retrying an execute
// (DeployStack) that already reached Komodo runs it again. The policy is
// therefore decided per operation:
//
//   - Safe operations (see [Idempotent]: POST .../read/{Type}, the legacy
//     POST .../read, POST .../auth/login/GetLoginOptions, and any GET or HEAD
//     such as GET /user and GET /version) are retried on any transport error
//     except permanent ones (TLS certificate rejected, TLS spoken to a plain
//     HTTP port, malformed URL), and on HTTP 429, 502, 503 and 504. A
//     429/502/503/504 whose body is Komodo's own {"error": ...} JSON is
//     Komodo's answer, not a proxy's, and is not retried (Komodo's only 429
//     is its failed-login limiter). Never on 500, 501 or other
//     4xx.
//   - Every other operation (write, execute, terminal, auth/manage, other
//     login calls) is retried only when the request provably never reached
//     Komodo: a DNS failure, a failed dial (connection refused, host
//     unreachable, dial timeout) or a failed proxy CONNECT. Never after a
//     timeout or reset once connected, never after any HTTP status, never on
//     a TLS handshake failure (net/http reports a reset during the handshake
//     exactly like a reset during the request, so it proves nothing).
//   - A cancelled or expired context is never retried.
//
// Waits grow exponentially from Options.BaseDelay (1s, 2s, 4s, ...) up to
// Options.MaxDelay. On 429 and 503 a Retry-After header (seconds or HTTP date)
// replaces the computed wait; when it asks for more than MaxDelay the response
// is returned at once instead, since waiting less than asked is pointless.
//
// The last response is always returned as is (retryablehttp's
// PassthroughErrorHandler), so Komodo's {"error","trace"} body reaches the
// error mapping intact. The signing transport goes below this layer, as the
// base of [New], so every attempt is signed afresh.
package retry

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

var (
	_ retryablehttp.CheckRetry = Policy
	_ retryablehttp.Backoff    = Backoff
)

// peekLimit bounds how much of a 502/503/504 body is read to tell Komodo's
// JSON answer from a proxy page. Komodo error bodies are far smaller.
const peekLimit = 64 << 10

// Idempotent reports whether req may reach Komodo more than once without
// harm. The decision looks at the end of the path only, so a KOMODO_URL with
// a path prefix (https://host/komodo) classifies the same way.
//
// Safe: POST .../read/{Type}, the legacy POST .../read (whose body names a
// read), POST .../auth/login/GetLoginOptions, and GET or HEAD on any path
// (RFC 9110 safe methods; Komodo's GET routes /user, /version and /docs are
// all reads). Everything else is unsafe: /write, /execute, /terminal,
// /auth/manage and the other login calls, which create sessions or tokens.
func Idempotent(req *http.Request) bool {
	if req == nil || req.URL == nil {
		return false
	}
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		return true
	}
	seg := strings.Split(strings.Trim(req.URL.Path, "/"), "/")
	n := len(seg)
	switch {
	case n >= 2 && seg[n-2] == "read":
		return true
	case seg[n-1] == "read":
		return true
	case n >= 3 && seg[n-3] == "auth" && seg[n-2] == "login" && seg[n-1] == "GetLoginOptions":
		return true
	}
	return false
}

// Policy is the retry decision described in the package comment, shaped as a
// retryablehttp.CheckRetry. It never returns an error, so the response or
// transport error of the last attempt is what the caller sees.
//
// The operation comes from the request: the Transport records it in the
// request context before the first attempt; without that record (Policy used
// on its own) it is read from resp.Request, and a transport error on an
// unknown operation is treated as unsafe.
func Policy(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	safe := false
	if st := stateFrom(ctx); st != nil {
		safe = st.safe
	} else if resp != nil {
		safe = Idempotent(resp.Request)
	}

	if err != nil {
		kind := errcode.ClassifyTransport(err)
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || kind.Permanent() {
			return false, nil
		}
		return safe || kind.NeverSent(), nil
	}
	if resp == nil || !safe {
		return false, nil
	}
	switch resp.StatusCode {
	case http.StatusTooManyRequests:
		// Komodo's own 429 is its failed-login limiter (moghtech/lib
		// crates/rate_limit/src/lib.rs:68): another attempt only extends the
		// block. A proxy's 429 may pass.
		return !komodoAnswered(resp), nil
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return !komodoAnswered(resp), nil
	}
	return false, nil
}

// Backoff is the wait before retry number attempt+1 (attempt counts from 0):
// base, 2*base, 4*base, ... capped at limit. On 429 and 503 a Retry-After
// header replaces it, also capped at limit. It has the shape of retryablehttp.Backoff.
func Backoff(base, limit time.Duration, attempt int, resp *http.Response) time.Duration {
	if d, ok := retryAfter(resp); ok {
		return min(d, limit)
	}
	wait := base
	for i := 0; i < attempt && wait < limit; i++ {
		wait *= 2
	}
	return min(wait, limit)
}

// retryAfter reads the Retry-After header of a 429 or 503 response; other
// statuses carry no meaningful Retry-After for a retry decision.
func retryAfter(resp *http.Response) (time.Duration, bool) {
	if resp == nil || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
		return 0, false
	}
	v := strings.TrimSpace(resp.Header.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) { // no overflow; far above any cap
			secs = int64(24 * time.Hour / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0), true
	}
	return 0, false
}

// komodoAnswered reports whether a 502/503/504 body is Komodo's own error
// JSON rather than a proxy's page. It reads at most peekLimit bytes and puts
// them back, so the caller still receives the whole body.
func komodoAnswered(resp *http.Response) bool {
	if resp.Body == nil || resp.Body == http.NoBody {
		return false
	}
	buf, err := io.ReadAll(io.LimitReader(resp.Body, peekLimit+1))
	resp.Body = replayBody{Reader: io.MultiReader(bytes.NewReader(buf), resp.Body), Closer: resp.Body}
	if err != nil || len(buf) > peekLimit {
		return false
	}
	var body struct {
		Error *string `json:"error"`
	}
	return json.Unmarshal(buf, &body) == nil && body.Error != nil
}

// replayBody serves the peeked prefix of a response body, then the rest, and
// closes the original.
type replayBody struct {
	io.Reader
	io.Closer
}
