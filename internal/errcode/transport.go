package errcode

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// The guide's advice for a network failure.
const hintNetwork = "Verify KOMODO_URL is correct, check network connectivity, and ensure Komodo Core is running."

// FromTransport classifies a round trip that produced no answer at all. It
// returns nil for a nil error and err itself when it already is an *Error.
//
//	context.Canceled                     TIMEOUT ("request cancelled")
//	DNS failure, refused or failed dial  NETWORK_ERROR (what to check in KOMODO_URL)
//	TLS certificate or scheme mismatch   NETWORK_ERROR
//	context.DeadlineExceeded, timeouts   TIMEOUT
//	reset or EOF after sending           NETWORK_ERROR (a write may have been applied)
//	anything else                        NETWORK_ERROR
//
// A cancelled call is reported as TIMEOUT because the guide has no code of its
// own for it and both mean the same to the caller: no answer, and a write or
// execute may or may not have happened.
func FromTransport(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	text := err.Error()
	e := &Error{Code: NetworkError, Err: err, Message: truncate("network request failed: "+text, maxMessage), Hint: hintNetwork}

	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.Canceled):
		e.Code = Timeout
		e.Message = truncate("request cancelled before Komodo answered: "+text, maxMessage)
		e.Hint = "The call was cancelled; a write or execute may still have been applied, so check recent updates before repeating it."
	case errors.As(err, &dnsErr):
		e.Message = truncate("cannot resolve the Komodo host: "+text, maxMessage)
		e.Hint = "Check the host name in KOMODO_URL and that DNS works from this machine."
	case errors.Is(err, syscall.ECONNREFUSED):
		e.Message = truncate("connection refused: "+text, maxMessage)
		e.Hint = "Nothing is listening at KOMODO_URL: check the host and port, and that Komodo Core is running."
	case dialFailed(err):
		e.Message = truncate("cannot connect to Komodo: "+text, maxMessage)
		e.Hint = hintNetwork
	case errors.As(err, &certErr):
		e.Message = truncate("TLS certificate rejected: "+text, maxMessage)
		e.Hint = "Komodo's TLS certificate is not trusted here: check the host name in KOMODO_URL and the certificate chain (or the CA trusted by this machine)."
	case errors.As(err, &recErr) || strings.Contains(text, "server gave HTTP response to HTTPS client"):
		e.Message = truncate("TLS spoken to a plain HTTP port: "+text, maxMessage)
		e.Hint = "KOMODO_URL says https:// but the server speaks plain http: fix the scheme or the port."
	case strings.Contains(text, "unsupported protocol scheme") || strings.Contains(text, "no Host in request URL"):
		e.Message = truncate("invalid Komodo URL: "+text, maxMessage)
		e.Hint = "KOMODO_URL must be an http:// or https:// URL with a host, for example https://komodo.example.com."
	case timedOut(err):
		e.Code = Timeout
		e.Message = truncate("Komodo did not answer in time: "+text, maxMessage)
		e.Hint = hintTimeout
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		e.Message = truncate("connection to Komodo dropped: "+text, maxMessage)
		e.Hint = "The connection dropped before Komodo answered; a write or execute may still have been applied, so check recent updates before repeating it. " + hintNetwork
	}
	return e
}

// dialFailed reports a failed TCP dial or proxy CONNECT (unreachable host,
// dial timeout): the request never left.
func dialFailed(err error) bool {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if op, ok := e.(*net.OpError); ok && (op.Op == "dial" || op.Op == "proxyconnect") {
			return true
		}
	}
	return false
}

func timedOut(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	ne, ok := errors.AsType[net.Error](err)
	return ok && ne.Timeout()
}
