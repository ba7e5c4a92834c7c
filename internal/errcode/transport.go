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

// The advice for a network failure.
const hintNetwork = "Verify KOMODO_URL is correct, check network connectivity, and ensure Komodo Core is running."

// Transport is the one reading of a round trip that produced no answer at all. The retry
// policy (internal/retry) asks it whether the request may be repeated - NeverSent, Permanent
// - and FromTransport turns it into what the user is told.
type Transport int

// The kinds of transport failure, in the order Classify tests them.
const (
	TransportOther       Transport = iota // anything else: the request may have reached Komodo
	TransportAuth                         // a refused login (an AUTH_ERROR *Error from internal/auth)
	TransportCancelled                    // context.Canceled
	TransportDNS                          // the host name did not resolve: nothing was sent
	TransportRefused                      // connection refused: nothing was sent
	TransportDial                         // dial or proxy CONNECT failed (unreachable, dial timeout): nothing was sent
	TransportCertificate                  // TLS certificate rejected
	TransportPlainHTTP                    // TLS spoken to a plain HTTP port
	TransportBadURL                       // KOMODO_URL has no usable scheme or host
	TransportBadHeader                    // a header value HTTP does not allow (a credential with a newline)
	TransportTimeout                      // no answer in time (after connecting): it may have been applied
	TransportDropped                      // reset or EOF after sending: it may have been applied
)

// NeverSent reports failures raised before a single byte of the request left (DNS, the
// TCP dial, the proxy CONNECT): only these make repeating a write or execute safe.
func (k Transport) NeverSent() bool {
	return k == TransportDNS || k == TransportRefused || k == TransportDial
}

// MayHaveBeenApplied reports failures after which the request may have reached Komodo:
// everything but the failures raised before sending (NeverSent) and the configuration
// errors that stop a request before it leaves.
func (k Transport) MayHaveBeenApplied() bool {
	return !k.NeverSent() && !k.Permanent()
}

// Permanent reports failures no retry can fix: the configuration is wrong, and repeating
// only delays saying so.
func (k Transport) Permanent() bool {
	switch k {
	case TransportAuth, TransportCertificate, TransportPlainHTTP, TransportBadURL, TransportBadHeader:
		return true
	}
	return false
}

// ClassifyTransport reads a transport error (nil for no error: TransportOther).
func ClassifyTransport(err error) Transport {
	if err == nil {
		return TransportOther
	}
	if e, ok := errors.AsType[*Error](err); ok && e.Code == AuthError {
		return TransportAuth
	}
	text := err.Error()
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recErr tls.RecordHeaderError
	switch {
	case errors.Is(err, context.Canceled):
		return TransportCancelled
	case errors.As(err, &dnsErr):
		return TransportDNS
	case errors.Is(err, syscall.ECONNREFUSED):
		return TransportRefused
	case dialFailed(err):
		return TransportDial
	case errors.As(err, &certErr):
		return TransportCertificate
	case errors.As(err, &recErr) || strings.Contains(text, "server gave HTTP response to HTTPS client"):
		return TransportPlainHTTP
	case strings.Contains(text, "unsupported protocol scheme") || strings.Contains(text, "no Host in request URL"):
		return TransportBadURL
	case strings.Contains(text, "invalid header field"):
		return TransportBadHeader
	case timedOut(err):
		return TransportTimeout
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return TransportDropped
	}
	return TransportOther
}

// FromTransport classifies a round trip that produced no answer at all (see
// ClassifyTransport). It returns nil for a nil error and err itself when it already is
// an *Error.
//
//	context.Canceled                     TIMEOUT ("request cancelled")
//	DNS failure, refused or failed dial  NETWORK_ERROR (what to check in KOMODO_URL)
//	TLS certificate or scheme mismatch   NETWORK_ERROR
//	invalid header value                 NETWORK_ERROR (what to check in the credentials)
//	context.DeadlineExceeded, timeouts   TIMEOUT
//	reset or EOF after sending           NETWORK_ERROR (a write may have been applied)
//	anything else                        NETWORK_ERROR
//
// A cancelled call is reported as TIMEOUT because there is no code of its own for it
// and both mean the same to the caller: no answer, and a write or execute may or may
// not have happened.
func FromTransport(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e
	}
	text := err.Error()
	kind := ClassifyTransport(err)
	e := &Error{Code: NetworkError, Err: err, Message: truncate("network request failed: "+text, maxMessage), Hint: hintNetwork,
		MayHaveBeenApplied: kind.MayHaveBeenApplied()}
	switch kind {
	case TransportCancelled:
		e.Code = Timeout
		e.Message = truncate("request cancelled before Komodo answered: "+text, maxMessage)
		e.Hint = "The call was cancelled; a write or execute may still have been applied, so check recent updates before repeating it."
	case TransportDNS:
		e.Message = truncate("cannot resolve the Komodo host: "+text, maxMessage)
		e.Hint = "Check the host name in KOMODO_URL and that DNS works from this machine."
	case TransportRefused:
		e.Message = truncate("connection refused: "+text, maxMessage)
		e.Hint = "Nothing is listening at KOMODO_URL: check the host and port, and that Komodo Core is running."
	case TransportDial:
		e.Message = truncate("cannot connect to Komodo: "+text, maxMessage)
	case TransportCertificate:
		e.Message = truncate("TLS certificate rejected: "+text, maxMessage)
		e.Hint = "Komodo's TLS certificate is not trusted here: check the host name in KOMODO_URL and the certificate chain (or the CA trusted by this machine)."
	case TransportPlainHTTP:
		e.Message = truncate("TLS spoken to a plain HTTP port: "+text, maxMessage)
		e.Hint = "KOMODO_URL says https:// but the server speaks plain http: fix the scheme or the port."
	case TransportBadURL:
		e.Message = truncate("invalid Komodo URL: "+text, maxMessage)
		e.Hint = "KOMODO_URL must be an http:// or https:// URL with a host, for example https://komodo.example.com."
	case TransportBadHeader:
		e.Message = truncate("a request header is not valid HTTP: "+text, maxMessage)
		e.Hint = "A configured credential (KOMODO_API_KEY, KOMODO_API_SECRET, KOMODO_JWT) contains a character HTTP does not allow, such as a line break: set it again without it."
	case TransportTimeout:
		e.Code = Timeout
		e.Message = truncate("Komodo did not answer in time: "+text, maxMessage)
		e.Hint = hintTimeout
	case TransportDropped:
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
