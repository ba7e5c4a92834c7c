package follow

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// TestDialLogin_NoRedirect: an update websocket handshake redirected to another host
// fails; the other host never sees the handshake, so never the login message with the
// credentials.
func TestDialLogin_NoRedirect(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	defer front.Close()
	msg := []byte(`{"type":"ApiKeys","params":{"key":"K","secret":"S-secret"}}`)
	_, _, err := dialLogin(context.Background(), "ws"+strings.TrimPrefix(front.URL, "http")+"/ws/update", nil, msg)
	if err == nil {
		t.Fatal("a redirected handshake succeeded")
	}
	if n := elsewhere.Load(); n != 0 {
		t.Fatalf("the redirect target received %d requests", n)
	}
}
