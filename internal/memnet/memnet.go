// Package memnet serves an http.Handler over in-memory connections (net.Pipe) instead of a
// loopback socket, so that a test can run the client, the server and the code between them
// inside a testing/synctest bubble: a goroutine waiting on a pipe is durably blocked, one
// waiting on a socket is not, so with a socket the bubble's fake clock could never advance.
// Everything else is the real thing: net/http's server and transport, keep-alive, request
// bodies, hijacked connections (websockets). Tests only: the binary never links it.
package memnet

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
)

// Host is the host name of every Server's URL; the name is never resolved.
const Host = "memnet.test"

// ErrRefused is what dialling a closed Listener returns, as a socket nobody listens on would.
var ErrRefused = errors.New("memnet: connection refused")

// Listener is a net.Listener whose connections are made by its DialContext.
type Listener struct {
	conns     chan net.Conn
	closed    chan struct{}
	closeOnce sync.Once
}

var _ net.Listener = (*Listener)(nil)

// Listen returns a Listener with nobody dialling it yet.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), closed: make(chan struct{})}
}

// Accept waits for a DialContext and returns the server's end of its pipe.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.closed:
		return nil, net.ErrClosed
	}
}

// Close stops accepting; later dials are refused. Connections already made stay open.
func (l *Listener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return nil
}

// Addr is the listener's (fake) address.
func (l *Listener) Addr() net.Addr { return addr{} }

// DialContext connects to the listener, whatever network and address it is given: it has
// the signature of net.Dialer.DialContext, for http.Transport.DialContext. It waits for
// Accept, and fails with ErrRefused once the listener is closed.
func (l *Listener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case l.conns <- server:
		return client, nil
	case <-l.closed:
		_, _ = client.Close(), server.Close()
		return nil, &net.OpError{Op: "dial", Net: "memnet", Err: ErrRefused}
	case <-ctx.Done():
		_, _ = client.Close(), server.Close()
		return nil, ctx.Err()
	}
}

type addr struct{}

func (addr) Network() string { return "memnet" }
func (addr) String() string  { return Host }

// Server is an http.Server on a Listener, the in-memory counterpart of httptest.Server.
type Server struct {
	// URL is http://memnet.test; any path may be appended.
	URL string
	// Listener is what the server accepts from; dial it for raw connections.
	Listener *Listener

	srv       *http.Server
	transport *http.Transport
	done      chan struct{}
}

// NewServer starts serving h. Close it (from the bubble that started it, when it runs in
// one) so that its goroutines end.
func NewServer(h http.Handler) *Server {
	s := &Server{
		URL:      "http://" + Host,
		Listener: Listen(),
		srv:      &http.Server{Handler: h},
		done:     make(chan struct{}),
	}
	s.transport = &http.Transport{DialContext: s.Listener.DialContext}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(s.Listener)
	}()
	return s
}

// Transport is an http.Transport whose every connection goes to the server (whatever the
// request's host), as fresh as http.DefaultTransport otherwise.
func (s *Server) Transport() *http.Transport { return s.transport }

// Client is an http.Client on Transport that, like errcode.NoRedirectClient, never follows
// a redirect.
func (s *Server) Client() *http.Client {
	return &http.Client{Transport: s.transport, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}
}

// Close stops the server: it closes the listener and every connection the server still
// tracks (hijacked ones, such as websockets, are their handlers' to close) and the
// transport's idle connections, and waits for the accept loop to end.
func (s *Server) Close() {
	_ = s.srv.Close()
	s.transport.CloseIdleConnections()
	<-s.done
}
