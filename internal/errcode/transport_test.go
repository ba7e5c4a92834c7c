package errcode

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestFromTransport(t *testing.T) {
	wrap := func(err error) error {
		return &url.Error{Op: "Post", URL: "https://komodo.example.com/execute/DeployStack", Err: err}
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	tests := []struct {
		name    string
		err     error
		code    Code
		msgHas  string
		hintHas string
	}{
		{"refused", wrap(refused), NetworkError, "connection refused", "Komodo Core is running"},
		{"dns", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: "komodo.invalid", IsNotFound: true}}), NetworkError, "cannot resolve", "host name in KOMODO_URL"},
		{"unreachable", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.EHOSTUNREACH)}), NetworkError, "cannot connect", "KOMODO_URL"},
		{"dial timeout", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: timeout{}}), NetworkError, "cannot connect", "KOMODO_URL"},
		{"reset", wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), NetworkError, "dropped", "may still have been applied"},
		{"eof", wrap(io.EOF), NetworkError, "dropped", "check recent updates"},
		{"deadline", wrap(context.DeadlineExceeded), Timeout, "did not answer in time", "may still have been applied"},
		{"client timeout", wrap(timeout{}), Timeout, "did not answer in time", ""},
		{"canceled", wrap(context.Canceled), Timeout, "cancelled", "cancelled"},
		{"cert", wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), NetworkError, "certificate", "not trusted"},
		{"https to http port", wrap(errors.New("http: server gave HTTP response to HTTPS client")), NetworkError, "plain HTTP", "scheme"},
		{"bad scheme", wrap(errors.New(`unsupported protocol scheme "komodo"`)), NetworkError, "invalid Komodo URL", "http://"},
		{"other", errors.New("something odd"), NetworkError, "network request failed: something odd", "Verify KOMODO_URL is correct"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromTransport(tt.err)
			if e.Code != tt.code {
				t.Errorf("code = %s, want %s (%q)", e.Code, tt.code, e.Message)
			}
			if !strings.Contains(e.Message, tt.msgHas) || !strings.Contains(e.Hint, tt.hintHas) {
				t.Errorf("message %q / hint %q; want %q / %q", e.Message, e.Hint, tt.msgHas, tt.hintHas)
			}
			if e.Status != 0 {
				t.Errorf("status = %d, want 0", e.Status)
			}
			if !errors.Is(e, tt.err) {
				t.Error("Unwrap does not reach the transport error")
			}
		})
	}
	if FromTransport(nil) != nil {
		t.Error("FromTransport(nil) != nil")
	}
	orig := FromResponse(500, []byte(`{"error":"x","trace":[]}`))
	if FromTransport(fmt.Errorf("call: %w", orig)) != orig {
		t.Error("an *Error is not passed through")
	}
}

// TestFromTransport_real runs real round trips: a closed port and an
// expired deadline.
func TestFromTransport_real(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	_, err = http.Post("http://"+addr+"/execute/Deploy", "application/json", strings.NewReader(`{}`))
	if e := FromTransport(err); e.Code != NetworkError || !strings.Contains(e.Message, "connection refused") {
		t.Errorf("closed port: %s", e.ToolJSON())
	}

	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.URL+"/read/ListServers", strings.NewReader(`{}`))
	_, err = http.DefaultClient.Do(req)
	if e := FromTransport(err); e.Code != Timeout || !errors.Is(e, context.DeadlineExceeded) {
		t.Errorf("deadline: %s (%v)", e.ToolJSON(), err)
	}
}

type timeout struct{}

func (timeout) Error() string   { return "i/o timeout" }
func (timeout) Timeout() bool   { return true }
func (timeout) Temporary() bool { return true }

// TestClassifyTransport checks the reading the retry policy relies on: only failures
// before anything was sent are NeverSent, and configuration errors are Permanent.
func TestClassifyTransport(t *testing.T) {
	wrap := func(err error) error { return &url.Error{Op: "Post", URL: "https://komodo.example.com/x", Err: err} }
	dial := func(err error) error { return wrap(&net.OpError{Op: "dial", Net: "tcp", Err: err}) }
	for _, tc := range []struct {
		err                  error
		kind                 Transport
		neverSent, permanent bool
	}{
		{nil, TransportOther, false, false},
		{wrap(&net.DNSError{Err: "no such host", Name: "komodo.invalid", IsNotFound: true}), TransportDNS, true, false},
		{dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), TransportRefused, true, false},
		{dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), TransportDial, true, false},
		{wrap(&net.OpError{Op: "proxyconnect", Net: "tcp", Err: errors.New("refused")}), TransportDial, true, false},
		{wrap(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), TransportCertificate, false, true},
		{wrap(errors.New("http: server gave HTTP response to HTTPS client")), TransportPlainHTTP, false, true},
		{wrap(errors.New(`unsupported protocol scheme "ftp"`)), TransportBadURL, false, true},
		{wrap(errors.New(`net/http: invalid header field value for "X-Api-Secret"`)), TransportBadHeader, false, true},
		{fmt.Errorf("login: %w", &Error{Code: AuthError, Message: "Invalid login credentials"}), TransportAuth, false, true},
		{wrap(context.Canceled), TransportCancelled, false, false},
		{wrap(context.DeadlineExceeded), TransportTimeout, false, false},
		{wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), TransportDropped, false, false},
		{wrap(io.ErrUnexpectedEOF), TransportDropped, false, false},
		{errors.New("something else"), TransportOther, false, false},
	} {
		k := ClassifyTransport(tc.err)
		if k != tc.kind || k.NeverSent() != tc.neverSent || k.Permanent() != tc.permanent {
			t.Errorf("%v: kind %d neverSent %v permanent %v; want %d %v %v", tc.err, k, k.NeverSent(), k.Permanent(), tc.kind, tc.neverSent, tc.permanent)
		}
	}
}
