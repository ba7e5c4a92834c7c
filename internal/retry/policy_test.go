package retry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

func TestIdempotent(t *testing.T) {
	tests := []struct {
		method, path string
		want         bool
	}{
		{"POST", "/read/ListServers", true},
		{"POST", "/komodo/read/GetDeployment", true},
		{"POST", "/read/ListServers/", true},
		{"POST", "/read", true}, // legacy {"type","params"} form
		{"GET", "/user", true},
		{"GET", "/version", true},
		{"GET", "/komodo/version", true},
		{"HEAD", "/version", true},
		{"POST", "/auth/login/GetLoginOptions", true},
		{"POST", "/komodo/auth/login/GetLoginOptions", true},
		{"POST", "/auth/login/LoginLocalUser", false},
		{"POST", "/auth/login/ExchangeForJwt", false},
		{"POST", "/auth/manage/CreateApiKey", false},
		{"POST", "/write/CreateServer", false},
		{"POST", "/execute/DeployStack", false},
		{"POST", "/execute", false},
		{"POST", "/write", false},
		{"POST", "/terminal/execute", false},
		{"POST", "/terminal/execute/container", false},
		{"POST", "/read-only/execute/Deploy", false},
		{"POST", "/user", false},
		{"POST", "/", false},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, "https://komodo.example.com"+tt.path, nil)
		if got := Idempotent(req); got != tt.want {
			t.Errorf("Idempotent(%s %s) = %v, want %v", tt.method, tt.path, got, tt.want)
		}
	}
	if Idempotent(nil) {
		t.Error("Idempotent(nil) = true")
	}
}

func TestPolicy(t *testing.T) {
	dialRefused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	dialTimeout := &net.OpError{Op: "dial", Net: "tcp", Err: &timeoutErr{}}
	readReset := &net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}
	proxyConnect := &net.OpError{Op: "proxyconnect", Net: "tcp", Err: dialRefused}
	dnsErr := &net.DNSError{Err: "no such host", Name: "komodo.invalid", IsNotFound: true}
	certErr := &tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://komodo/x", Err: err} }

	komodo502 := `{"error":"failed to reach periphery","trace":[]}`
	html502 := "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"

	tests := []struct {
		name   string
		path   string // empty: a read
		status int
		body   string
		header http.Header
		err    error
		want   bool
	}{
		// reads: transport errors
		{name: "read dial refused", err: wrap(dialRefused), want: true},
		{name: "read reset mid-request", err: wrap(readReset), want: true},
		{name: "read EOF", err: wrap(io.ErrUnexpectedEOF), want: true},
		{name: "read net timeout", err: wrap(&timeoutErr{}), want: true},
		{name: "read DNS", err: wrap(dnsErr), want: true},
		{name: "read cert rejected", err: wrap(certErr), want: false},
		{name: "read TLS to plain port", err: wrap(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), want: false},
		{name: "read bad scheme", err: wrap(errors.New(`unsupported protocol scheme "ftp"`)), want: false},
		{name: "read context canceled", err: wrap(context.Canceled), want: false},
		{name: "read deadline", err: wrap(context.DeadlineExceeded), want: false},
		// reads: statuses
		{name: "read 200", status: 200, body: `[]`, want: false},
		{name: "read 429 from a proxy", status: 429, want: true},
		{name: "read 429 komodo login limiter", status: 429, body: `{"error":"Too many attempts | Try again in 42s","trace":[]}`, want: false},
		{name: "read 502 html", status: 502, body: html502, want: true},
		{name: "read 502 empty", status: 502, want: true},
		{name: "read 503 plain", status: 503, body: "Service Unavailable", want: true},
		{name: "read 504", status: 504, body: html502, want: true},
		{name: "read 502 komodo json", status: 502, body: komodo502, want: false},
		{name: "read 503 komodo json", status: 503, body: komodo502, want: false},
		{name: "read 500 komodo json", status: 500, body: `{"error":"Did not find any Server matching prod-9","trace":[]}`, want: false},
		{name: "read 500 html", status: 500, body: html502, want: false},
		{name: "read 501", status: 501, want: false},
		{name: "read 400", status: 400, want: false},
		{name: "read 401", status: 401, want: false},
		{name: "read 404", status: 404, want: false},
		{name: "read 415", status: 415, want: false},
		// writes and executes
		{name: "execute dial refused", path: "/execute/DeployStack", err: wrap(dialRefused), want: true},
		{name: "execute dial timeout", path: "/execute/DeployStack", err: wrap(dialTimeout), want: true},
		{name: "execute DNS", path: "/execute/DeployStack", err: wrap(dnsErr), want: true},
		{name: "execute proxy CONNECT failed", path: "/execute/DeployStack", err: wrap(proxyConnect), want: true},
		{name: "execute reset mid-request", path: "/execute/DeployStack", err: wrap(readReset), want: false},
		{name: "execute EOF", path: "/execute/DeployStack", err: wrap(io.EOF), want: false},
		{name: "execute timeout", path: "/execute/DeployStack", err: wrap(&timeoutErr{}), want: false},
		{name: "execute TLS alert", path: "/execute/DeployStack", err: wrap(tls.AlertError(40)), want: false},
		{name: "execute 502", path: "/execute/DeployStack", status: 502, body: html502, want: false},
		{name: "execute 503", path: "/execute/DeployStack", status: 503, want: false},
		{name: "execute 429", path: "/execute/DeployStack", status: 429, want: false},
		{name: "execute 500", path: "/execute/DeployStack", status: 500, body: komodo502, want: false},
		{name: "write 504", path: "/write/UpdateStack", status: 504, want: false},
		{name: "terminal 502", path: "/terminal/execute", status: 502, want: false},
		{name: "login 503", path: "/auth/login/LoginLocalUser", status: 503, want: false},
		{name: "login options 503", path: "/auth/login/GetLoginOptions", status: 503, want: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := tt.path
			if path == "" {
				path = "/read/ListServers"
			}
			req, _ := http.NewRequest("POST", "https://komodo.example.com"+path, strings.NewReader("{}"))
			st := &state{safe: Idempotent(req)}
			ctx := context.WithValue(context.Background(), stateKey{}, st)
			var resp *http.Response
			if tt.err == nil {
				resp = &http.Response{StatusCode: tt.status, Header: tt.header, Request: req,
					Body: io.NopCloser(strings.NewReader(tt.body))}
			}
			got, err := Policy(ctx, resp, tt.err)
			if err != nil {
				t.Fatalf("Policy returned error %v", err)
			}
			if got != tt.want {
				t.Errorf("Policy = %v, want %v", got, tt.want)
			}
			if resp != nil {
				b, _ := io.ReadAll(resp.Body)
				if string(b) != tt.body {
					t.Errorf("body after Policy = %q, want %q", b, tt.body)
				}
			}
			// Without the Transport's record, a response still carries its request.
			if resp != nil {
				resp.Body = io.NopCloser(strings.NewReader(tt.body))
				if got2, _ := Policy(context.Background(), resp, nil); got2 != tt.want {
					t.Errorf("Policy from resp.Request = %v, want %v", got2, tt.want)
				}
			}
		})
	}
}

func TestPolicy_contextDone(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req, _ := http.NewRequest("POST", "https://komodo/read/ListServers", nil)
	resp := &http.Response{StatusCode: 503, Request: req, Body: http.NoBody}
	if got, _ := Policy(ctx, resp, nil); got {
		t.Error("retry after context cancelled")
	}
	if got, _ := Policy(ctx, nil, &net.OpError{Op: "dial", Err: syscall.ECONNREFUSED}); got {
		t.Error("retry of dial error after context cancelled")
	}
}

func TestPolicy_largeBodyIsNotKomodo(t *testing.T) {
	big := `{"error":"` + strings.Repeat("x", peekLimit) + `"}`
	req, _ := http.NewRequest("POST", "https://komodo/read/ListServers", nil)
	resp := &http.Response{StatusCode: 502, Request: req, Body: io.NopCloser(strings.NewReader(big))}
	if got, _ := Policy(context.Background(), resp, nil); !got {
		t.Error("oversized 502 body treated as Komodo's answer")
	}
	b, _ := io.ReadAll(resp.Body)
	if string(b) != big {
		t.Errorf("body lost: got %d bytes, want %d", len(b), len(big))
	}
}

// TestBackoff runs in a synctest bubble: its clock stands still, so that a Retry-After date
// 12 s ahead is exactly 12 s away.
func TestBackoff(t *testing.T) { synctest.Test(t, testBackoff) }

func testBackoff(t *testing.T) {
	now := time.Now()

	withRA := func(status int, v string) *http.Response {
		return &http.Response{StatusCode: status, Header: http.Header{"Retry-After": {v}}}
	}
	s := time.Second
	tests := []struct {
		name    string
		attempt int
		resp    *http.Response
		want    time.Duration
	}{
		{"first", 0, nil, 1 * s},
		{"second", 1, nil, 2 * s},
		{"third", 2, nil, 4 * s},
		{"fourth", 3, nil, 8 * s},
		{"capped", 5, nil, 30 * s},
		{"far", 200, nil, 30 * s},
		{"503 without header", 1, &http.Response{StatusCode: 503}, 2 * s},
		{"429 seconds", 0, withRA(429, "7"), 7 * s},
		{"503 seconds", 2, withRA(503, "3"), 3 * s},
		{"429 seconds capped", 0, withRA(429, "120"), 30 * s},
		{"429 huge seconds capped", 0, withRA(429, "99999999999999"), 30 * s},
		{"429 http date", 0, withRA(429, now.Add(12*s).Format(http.TimeFormat)), 12 * s},
		{"429 date in the past", 0, withRA(429, now.Add(-time.Hour).Format(http.TimeFormat)), 0},
		{"429 negative", 1, withRA(429, "-5"), 2 * s},
		{"429 garbage", 1, withRA(429, "soon"), 2 * s},
		{"502 ignores Retry-After", 0, withRA(502, "9"), 1 * s},
	}
	for _, tt := range tests {
		if got := Backoff(s, 30*s, tt.attempt, tt.resp); got != tt.want {
			t.Errorf("%s: Backoff = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// timeoutErr is a net.Error that timed out.
type timeoutErr struct{}

func (*timeoutErr) Error() string   { return "i/o timeout" }
func (*timeoutErr) Timeout() bool   { return true }
func (*timeoutErr) Temporary() bool { return true }
