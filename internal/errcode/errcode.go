// Package errcode turns a failed Komodo call into one of six error codes (README
// "Errors") and renders it as the tool result {"error": ..., "code": ...}.
//
// Komodo answers its application errors with HTTP 500 and a JSON body
// {"error": ..., "trace": [...]}, so the HTTP status alone says little: the
// code comes from the status where it is specific (401, 403, 400, 415, 408,
// 504) and otherwise from Komodo's words, which are kept verbatim in the
// message. An answer that is not Komodo's JSON comes from a proxy in front of
// Komodo and is reported as NETWORK_ERROR (Komodo itself was not reached), or
// TIMEOUT for a gateway timeout.
package errcode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Code is one of the six error codes (README "Errors").
type Code string

// The error codes.
const (
	AuthError       Code = "AUTH_ERROR"
	NotFound        Code = "NOT_FOUND"
	ValidationError Code = "VALIDATION_ERROR"
	NetworkError    Code = "NETWORK_ERROR"
	ServerError     Code = "SERVER_ERROR"
	Timeout         Code = "TIMEOUT"
)

// Limits that keep an error short enough for a tool result; Komodo's trace
// can carry whole command outputs.
const (
	maxMessage    = 2000
	maxTrace      = 5
	maxTraceEntry = 300
)

// Error is a classified failure of a Komodo call.
type Error struct {
	// Code is the error code.
	Code Code
	// Message is Komodo's own "error" text when Komodo answered, otherwise a
	// description of what failed. Shortened when very long.
	Message string
	// Status is the HTTP status of Komodo's or a proxy's answer; 0 when no
	// answer arrived.
	Status int
	// Trace is Komodo's error chain (its "trace" array), shortened.
	Trace []string
	// Hint tells the user or the model what to check next.
	Hint string
	// Err is the underlying transport error, if any.
	Err error
	// MayHaveBeenApplied is set when the request may have reached Komodo although no
	// answer says what came of it (a timeout, a connection dropped after sending, a proxy
	// failing after forwarding): a write or execute may have been carried out. The retry
	// layer never repeats such a request; the audit log records the flag.
	MayHaveBeenApplied bool
	// Reach names tools the message or hint mentions that are not in the session's tool
	// list, with how to call them; set by the MCP server when rendering.
	Reach string
}

// Error returns "CODE: message".
func (e *Error) Error() string {
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the underlying transport error, so errors.Is(err,
// context.Canceled) and the like keep working.
func (e *Error) Unwrap() error {
	return e.Err
}

// toolResult is the {"error", "code"} shape (README "Errors") plus optional detail;
// the detail is omitted when empty.
type toolResult struct {
	Error              string   `json:"error"`
	Code               Code     `json:"code"`
	Status             int      `json:"status,omitempty"`
	Hint               string   `json:"hint,omitempty"`
	Trace              []string `json:"trace,omitempty"`
	MayHaveBeenApplied bool     `json:"may_have_been_applied,omitempty"`
	Reach              string   `json:"reach,omitempty"`
}

// MarshalJSON renders the shape {"error", "code"} with the optional
// "status", "hint" and "trace". It does not redact: use ToolJSON, or Redacted
// first, when secrets are known.
func (e *Error) MarshalJSON() ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep Komodo's `<`, `>` and `&` readable
	err := enc.Encode(toolResult{Error: e.Message, Code: e.Code, Status: e.Status, Hint: e.Hint, Trace: e.Trace,
		MayHaveBeenApplied: e.MayHaveBeenApplied, Reach: e.Reach})
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

// ToolJSON is the tool-result rendering of e with every given secret
// replaced by [redacted] (see Redact), for example
// {"error":"Did not find any Server matching prod-9","code":"NOT_FOUND","status":500,"hint":"..."}.
func (e *Error) ToolJSON(secrets ...string) []byte {
	b, err := e.Redacted(secrets...).MarshalJSON()
	if err != nil { // only strings and ints: cannot happen
		return []byte(`{"error":"unrenderable error","code":"SERVER_ERROR"}`)
	}
	return b
}

// FromResponse classifies a non-2xx answer from Komodo (or from a proxy in
// front of it) given its status and body. It returns nil for a 2xx status.
//
//	401                                  AUTH_ERROR (credentials)
//	403                                  AUTH_ERROR (permission)
//	408; 504/524 not from Komodo          TIMEOUT
//	3xx                                  NETWORK_ERROR (KOMODO_URL redirects)
//	5xx or 404 not from Komodo           NETWORK_ERROR (a proxy answered; Komodo not reached)
//	405 with an empty body               NETWORK_ERROR (KOMODO_URL's base path is wrong)
//	429 from Komodo                      AUTH_ERROR (failed-login rate limit; the wait in the hint)
//	429 from a proxy                     SERVER_ERROR (rate limited)
//	Komodo JSON, by its words:
//	  "Invalid user credentials" (500)   AUTH_ERROR (expired or invalid JWT)
//	  serde / request errors             VALIDATION_ERROR
//	  "Did not find any ...", "No x found", "no update exists with given id", ...  NOT_FOUND
//	  permission words                   AUTH_ERROR
//	  otherwise: 4xx VALIDATION_ERROR (404 NOT_FOUND), 5xx SERVER_ERROR
//	other 4xx (400, 405, 413, 415, 422)  VALIDATION_ERROR
func FromResponse(status int, body []byte) *Error {
	if status >= 200 && status < 300 {
		return nil
	}
	msg, trace, komodo := parseBody(body)
	e := &Error{Status: status, Trace: shortenTrace(trace, msg)}
	if !komodo {
		msg = describeForeign(status, body)
	}
	e.Message = truncate(msg, maxMessage)

	switch {
	case status == http.StatusUnauthorized:
		e.Code, e.Hint = AuthError, hintCredentials
	case status == http.StatusForbidden:
		e.Code, e.Hint = AuthError, hintPermission
	case status == http.StatusRequestTimeout:
		e.Code, e.Hint, e.MayHaveBeenApplied = Timeout, hintTimeout, true
	case status == http.StatusTooManyRequests && komodo:
		e.Code, e.Hint = AuthError, loginLimitHint(msg)
	case status == http.StatusTooManyRequests:
		e.Code, e.Hint = ServerError, hintRateLimit
	case status == http.StatusMethodNotAllowed && len(bytes.TrimSpace(body)) == 0:
		e.Code, e.Hint = NetworkError, hintBasePath
	case status >= 300 && status < 400:
		e.Code, e.Hint = NetworkError, hintRedirect
	case !komodo && (status == http.StatusGatewayTimeout || status == 524):
		e.Code, e.Hint, e.MayHaveBeenApplied = Timeout, hintGatewayTimeout, true
	case !komodo && status >= 500:
		e.Code, e.Hint, e.MayHaveBeenApplied = NetworkError, hintProxy, true
	case !komodo && status == http.StatusNotFound:
		e.Code, e.Hint = NetworkError, hintNoRoute
	case !komodo && status == http.StatusUnsupportedMediaType:
		e.Code, e.Hint = ValidationError, hintContentType
	case !komodo:
		e.Code, e.Hint = ValidationError, hintValidation
	default:
		e.Code, e.Hint = classifyWords(status, msg, trace)
	}
	return e
}

// classifyWords classifies Komodo's own answer by its message and trace.
// Serde words are checked first: "missing field `permission`" is a malformed
// request, not a permission failure.
func classifyWords(status int, msg string, trace []string) (Code, string) {
	text := strings.ToLower(msg + "\n" + strings.Join(trace, "\n"))
	switch {
	case containsAny(text, credentialWords):
		return AuthError, hintCredentials
	case containsAny(text, validationWords):
		return ValidationError, hintValidation
	case containsAny(text, serverSideWords):
		return ServerError, hintServer
	case containsAny(text, notFoundWords) || notFoundRe.MatchString(text):
		return NotFound, hintNotFound
	case permissionDenied(text):
		return AuthError, hintPermission
	case status == http.StatusNotFound:
		return NotFound, hintNotFound
	case status >= 400 && status < 500:
		return ValidationError, hintValidation
	}
	return ServerError, hintServer
}

var (
	// Komodo's words for credentials it does not accept. An expired or invalid
	// JWT is answered 500 "Invalid user credentials": the JWT decode error of
	// the auth middleware carries no status (moghtech/lib
	// auth/server/src/provider/jwt.rs:93,101 via middleware.rs:98), so
	// mogh_error gives it the default 500 (crates/error/src/axum.rs:24).
	credentialWords = []string{"invalid user credentials", "invalid client credentials"}
	// Serde's and axum's words for a request that does not fit the
	// operation's type, and Komodo's own input checks.
	validationWords = []string{
		"missing field", "unknown field", "unknown variant", "duplicate field",
		"invalid type", "invalid value", "invalid length",
		"failed to deserialize", "failed to parse the request body",
		"expected value at line", "eof while parsing", "trailing characters at line",
		"key must be a string", "must provide", "already exists",
	}
	// Komodo's not-found phrasings at v2.3.2: "Did not find any Server matching X"
	// (bin/core/src/resource/mod.rs:255), "no update exists with given id"
	// (api/read/update.rs:101), "no user group with given id"
	// (api/write/user_group.rs:98), "did not find user with given id"
	// (api/write/permissions.rs:46), "No user with given username"
	// (api/write/service_user.rs:102), "id is not ObjectId" (mungos'
	// find_one_by_id, for an id that cannot exist), and generic phrasings.
	notFoundWords = []string{
		"did not find", "not found", "could not find", "cannot find", "failed to find", "does not exist",
		"no update exists", "no user group with given", "no user with given", "id is not objectid",
	}
	// "No server found", "no stack found matching ...", "No matching resource
	// sync found", "No api key with key found".
	notFoundRe = regexp.MustCompile(`\bno\s+[\w-]+(?:\s+[\w-]+){0,3}\s+found\b`)
	// Phrasings that look like a missing object but mean a server-side state:
	// "No connection found for server X" is a Periphery that is not connected
	// (bin/core/src/periphery/mod.rs:94), not a wrong id.
	serverSideWords = []string{"no connection found for server"}
	// Komodo's "User does not have required permissions on this Server..."
	// and kin. A bare "permission denied" is the host OS or SSH speaking
	// ("Permission denied (os error 13)"), a server-side problem, so it does
	// not count.
	permissionWords = []string{
		"user does not have", "unauthorized", "not authorized", "forbidden",
		"admin only", "admin-only", "only admins", "must be admin", "permission",
	}
)

func permissionDenied(text string) bool {
	return containsAny(strings.ReplaceAll(text, "permission denied", ""), permissionWords)
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

// Hints: what to check next.
const (
	hintCredentials    = "Komodo rejected the credentials: check KOMODO_API_KEY and KOMODO_API_SECRET (or the JWT / login settings of the configured auth mode)."
	hintPermission     = "The Komodo user behind these credentials lacks permission for this operation or resource; a Komodo admin can grant it."
	hintNotFound       = "Check the id or name; use the list tools to find valid ids or names."
	hintValidation     = "Check the tool's parameters (required fields, types, allowed values) against its input schema."
	hintContentType    = "Komodo requires Content-Type: application/json on API requests."
	hintServer         = "Komodo reported an error of its own (message and trace are Komodo's); repeating the call will not help until the cause is fixed."
	hintBasePath       = "Komodo Core answers here, but not with its API: a POST to a path it does not route falls through to its web UI (405, empty body). KOMODO_URL must be the Komodo Core base URL (for example https://komodo.example.com), with no extra path."
	hintRateLimit      = "Requests are being rate-limited by Komodo or a proxy; wait before trying again."
	hintTimeout        = "The request timed out; a write or execute may still have been applied, so check recent updates before repeating it."
	hintGatewayTimeout = "A proxy in front of Komodo gave up waiting; the operation may still be running in Komodo, so check recent updates before repeating a write or execute."
	hintProxy          = "A proxy in front of Komodo answered instead of Komodo Core: check that Komodo Core is running and reachable from the proxy, and that KOMODO_URL is correct."
	hintNoRoute        = "No Komodo API at this address: KOMODO_URL must be the Komodo Core base URL (for example https://komodo.example.com), with no extra path."
	hintRedirect       = "KOMODO_URL redirects: set it to the final address (often https:// instead of http://)."
)

// retryIn reads the wait of Komodo's failed-login rate limiter: "Too many
// attempts | Try again in 12s" (moghtech/lib crates/rate_limit/src/lib.rs:68;
// Komodo sends no Retry-After header).
var retryIn = regexp.MustCompile(`(?i)try again in\s+([0-9.]+\s*[a-zµ]*)`)

// loginLimitHint says how long Komodo's failed-login limiter asks to wait.
func loginLimitHint(msg string) string {
	wait := "a while"
	if m := retryIn.FindStringSubmatch(msg); m != nil {
		wait = m[1]
	}
	return "Komodo refuses logins from this address after too many failed attempts: fix the credentials (KOMODO_API_KEY and KOMODO_API_SECRET, or KOMODO_USERNAME and KOMODO_PASSWORD) and try again in " + wait + "; repeating sooner only extends the block."
}

// parseBody reads Komodo's {"error": string, "trace": [string]}. komodo is
// false for anything else: HTML, plain text, empty, other JSON.
func parseBody(body []byte) (msg string, trace []string, komodo bool) {
	var kb struct {
		Error *string         `json:"error"`
		Trace json.RawMessage `json:"trace"`
	}
	if json.Unmarshal(body, &kb) != nil || kb.Error == nil {
		return "", nil, false
	}
	_ = json.Unmarshal(kb.Trace, &trace) // a malformed trace is dropped, the message kept
	return strings.TrimSpace(*kb.Error), trace, true
}

var titleRe = regexp.MustCompile(`(?is)<title[^>]*>(.*?)</title>`)

// describeForeign describes an answer that is not Komodo's JSON: plain text
// (axum's own rejections, such as a 415) is kept; an HTML page is reduced to
// its title.
func describeForeign(status int, body []byte) string {
	head := strings.TrimSpace(fmt.Sprintf("HTTP %d %s", status, http.StatusText(status)))
	text := strings.TrimSpace(string(body))
	if text == "" {
		return head
	}
	if text[0] == '<' || strings.Contains(strings.ToLower(text), "<html") {
		if m := titleRe.FindStringSubmatch(text); m != nil {
			title := strings.Join(strings.Fields(m[1]), " ")
			if title != "" && title != fmt.Sprintf("%d %s", status, http.StatusText(status)) {
				return head + ": " + title
			}
		}
		return head
	}
	return text
}

// shortenTrace keeps the first maxTrace entries of Komodo's error chain,
// each at most maxTraceEntry bytes, and drops entries that repeat the message.
func shortenTrace(trace []string, msg string) []string {
	var out []string
	for i, t := range trace {
		t = strings.TrimSpace(t)
		if t == "" || t == msg {
			continue
		}
		if len(out) == maxTrace {
			out = append(out, fmt.Sprintf("... %d more", len(trace)-i))
			break
		}
		out = append(out, truncate(t, maxTraceEntry))
	}
	return out
}

// truncate cuts s to at most n bytes on a rune boundary, marking the cut.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + fmt.Sprintf(" ... [%d bytes cut]", len(s)-cut)
}

// WrongAddress reports whether e says that KOMODO_URL does not point at Komodo
// Core's API: a 405 with an empty body (a POST that fell through to Komodo's
// web UI, bin/core/src/api/mod.rs:41), a 404 that is not Komodo's, or a
// redirect.
func (e *Error) WrongAddress() bool {
	for _, h := range []string{hintBasePath, hintNoRoute, hintRedirect} {
		if strings.HasPrefix(e.Hint, h) { // At appends the URL tried
			return true
		}
	}
	return false
}

// At names the request that was tried (method and URL, without user
// information or query) in the message and hint of an error that says
// KOMODO_URL is wrong, so that the user sees which path Komodo did not route.
// Other errors are returned unchanged.
func (e *Error) At(method, rawURL string) *Error {
	if e == nil || !e.WrongAddress() || strings.Contains(e.Hint, " Tried: ") {
		return e
	}
	shown := rawURL
	if u, err := url.Parse(rawURL); err == nil {
		u.User, u.RawQuery, u.Fragment = nil, "", ""
		shown = u.String()
	}
	c := *e
	c.Message = truncate(method+" "+shown+": "+e.Message, maxMessage)
	c.Hint = e.Hint + " Tried: " + shown + "."
	return &c
}
