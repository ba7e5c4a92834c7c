package rpc_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// TestCall_NeverFollowsRedirects: KOMODO_URL answering a redirect to another host is a
// NETWORK_ERROR naming both addresses, and the other host receives nothing - neither the
// credentials nor the execute request - whatever the redirect status.
func TestCall_NeverFollowsRedirects(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		elsewhere.Add(1)
		_, _ = w.Write([]byte(`[]`))
	}))
	defer other.Close()
	for _, status := range []int{301, 302, 303, 307, 308} {
		front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+r.URL.Path+"?x=1", status)
		}))
		cfg := &config.Config{URL: front.URL, AuthMode: auth.ModeAPIKey, APIKey: "K-redirect", APISecret: "S-redirect-secret", RetryCount: 2}
		c, err := rpc.New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, call := range []struct{ method, path string }{{"POST", "/execute/Deploy"}, {"GET", "/user"}} {
			var body []byte
			if call.method == "POST" {
				body = []byte(`{"deployment":"api"}`)
			}
			_, err := c.Call(context.Background(), call.method, call.path, body)
			e := rpc.AsError(err)
			if e.Code != errcode.NetworkError || e.Status != status {
				t.Fatalf("%d %s: got %v (status %d), want NETWORK_ERROR with status %d", status, call.path, err, e.Status, status)
			}
			for _, want := range []string{front.URL + call.path, other.URL + call.path, "redirect"} {
				if !strings.Contains(e.Message+e.Hint, want) {
					t.Errorf("%d %s: error %q / %q does not name %q", status, call.path, e.Message, e.Hint, want)
				}
			}
			if strings.Contains(e.Message, "x=1") || strings.Contains(e.Message, "S-redirect-secret") {
				t.Errorf("error shows the Location's query or a secret: %s", e.Message)
			}
		}
		front.Close()
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the host redirected to received %d requests, want 0", n)
	}
}
