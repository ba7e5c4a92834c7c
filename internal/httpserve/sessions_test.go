package httpserve_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/httpserve"
	"github.com/komodo-mcp/komodo-mcp/internal/memnet"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
)

// memEnv is the HTTP service in front of a simulator, both on in-memory networks, for a
// test in a testing/synctest bubble: the session timeout, the janitor and Komodo's
// executions run on the bubble's clock.
type memEnv struct {
	client *http.Client
	stop   func()
}

func startMem(t *testing.T, opts httpserve.Options) *memEnv {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	s := sim.New(sim.Options{})
	komodo := memnet.NewServer(s.Handler())
	client, err := rpc.NewWithTransport(&config.Config{URL: komodo.URL, AuthMode: auth.ModeAPIKey, APIKey: sim.DemoAPIKey,
		APISecret: sim.DemoAPISecret, Timeout: 10 * time.Second, RetryDelay: time.Second}, komodo.Transport(), logger)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(client, server.Selection{Tools: []string{"komodo_read_ListServers"}}, logger)
	if err != nil {
		t.Fatal(err)
	}
	opts.Addr, opts.Logger = "127.0.0.1:8080", logger
	svc, err := httpserve.New(srv.MCP(), opts)
	if err != nil {
		t.Fatal(err)
	}
	ln := memnet.Listen()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Serve(ctx, ln) }()
	transport := &http.Transport{DialContext: ln.DialContext}
	e := &memEnv{client: &http.Client{Transport: transport}}
	e.stop = func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
		transport.CloseIdleConnections()
		komodo.Close()
		s.Close()
	}
	return e
}

// post sends one MCP message, in session id when not empty, and returns the status and the
// session id answered.
func (e *memEnv) post(t *testing.T, body, id string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8080/mcp", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json, text/event-stream")
	if id != "" {
		req.Header.Set("Mcp-Session-Id", id)
		req.Header.Set("Mcp-Protocol-Version", "2025-06-18")
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode, resp.Header.Get("Mcp-Session-Id")
}

// TestSessions_IdleTimeout: with the default idle timeout (30 minutes, on the bubble's
// clock), a session nobody uses is ended and answers 404, while one used meanwhile lives on:
// the timeout counts from the last request, not from the session's start.
func TestSessions_IdleTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		e := startMem(t, httpserve.Options{})
		defer e.stop()
		const ping = `{"jsonrpc":"2.0","id":2,"method":"ping"}`
		_, idle := e.post(t, initBody, "")
		_, used := e.post(t, initBody, "")
		if idle == "" || used == "" || idle == used {
			t.Fatalf("session ids %q and %q", idle, used)
		}
		// 29 minutes: both alive. From then on, only one is used.
		<-time.After(httpserve.DefaultSessionIdle - time.Minute) // the bubble's clock
		for _, id := range []string{idle, used} {
			if status, _ := e.post(t, ping, id); status != http.StatusOK {
				t.Fatalf("a minute before the timeout: %d, want 200", status)
			}
		}
		// 58 minutes: the used one, idle for 29 minutes, lives.
		<-time.After(httpserve.DefaultSessionIdle - time.Minute)
		if status, _ := e.post(t, ping, used); status != http.StatusOK {
			t.Fatalf("a session used 29 minutes ago: %d, want 200", status)
		}
		// 60 minutes: the other, idle for 31 minutes, is gone; the used one is not.
		<-time.After(2 * time.Minute)
		if status, _ := e.post(t, ping, idle); status != http.StatusNotFound {
			t.Errorf("a session idle for 31 minutes: %d, want 404", status)
		}
		if status, _ := e.post(t, ping, used); status != http.StatusOK {
			t.Errorf("a session used 2 minutes ago: %d, want 200", status)
		}
	})
}
