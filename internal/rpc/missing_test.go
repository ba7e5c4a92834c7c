package rpc_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

func client(t *testing.T, url string) *rpc.Client {
	t.Helper()
	c, err := rpc.New(&config.Config{URL: url, AuthMode: auth.ModeAPIKey, APIKey: sim.DemoAPIKey, APISecret: sim.DemoAPISecret,
		RetryCount: 0, RetryDelay: time.Millisecond, Timeout: 5 * time.Second}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func classified(t *testing.T, err error) *errcode.Error {
	t.Helper()
	var e *errcode.Error
	if !errors.As(err, &e) {
		t.Fatalf("%v is not a classified error", err)
	}
	return e
}

// A Core without one operation answers it as Komodo answers any unknown operation (500,
// serde's "unknown variant"); the error says this Core lacks it, with its version, and
// does not blame KOMODO_URL.
func TestCall_MissingOperation(t *testing.T) {
	s := simtest.Start(t, simtest.WithLacks("ListSwarms"))
	c := client(t, s.URL())
	ctx := context.Background()
	if _, err := c.Call(ctx, "POST", "/read/ListServers", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Call(ctx, "POST", "/read/ListSwarms", []byte(`{}`))
	e := classified(t, err)
	if e.Code != errcode.NotFound || !strings.Contains(e.Message, "Komodo Core (version "+sim.DefaultVersion()+") has no operation ListSwarms") {
		t.Errorf("missing operation: %s: %s", e.Code, e.Message)
	}
	if !strings.Contains(e.Hint, "generated for Komodo "+rpc.GeneratedFor()) || strings.Contains(e.Hint, "must be the Komodo Core base URL") {
		t.Errorf("hint %q", e.Hint)
	}
	// Other serde refusals stay what they are.
	_, err = c.Call(ctx, "POST", "/read/GetServer", []byte(`{}`))
	if e := classified(t, err); e.Code != errcode.ValidationError {
		t.Errorf("missing field: %s %s", e.Code, e.Message)
	}
}

// A Komodo 1 Core has no GET /version (bin/core/src/main.rs at v1.19.5: the path reaches
// its UI) and answers its version to GetVersion: an operation it lacks still says which
// version this Core runs.
func TestCall_MissingOperationKomodo1(t *testing.T) {
	s := simtest.Start(t, func(o *sim.Options) { o.KomodoVersion = "1.19.5" })
	c := client(t, s.URL())
	_, err := c.Call(context.Background(), "POST", "/execute/CancelAction", []byte(`{"action":"x"}`))
	e := classified(t, err)
	if e.Code != errcode.NotFound || !strings.Contains(e.Message, "Komodo Core (version 1.19.5) has no operation CancelAction") {
		t.Errorf("missing operation on Komodo 1: %s: %s (%s)", e.Code, e.Message, e.Hint)
	}
}

// A module the Core does not route at all falls through to its web UI (405, empty body):
// one operation answered that way while the Core answers its version (here as Komodo 1
// does: GetVersion, no GET /version) is a missing operation; when everything is answered
// that way, KOMODO_URL is wrong.
func TestCall_NotRoutedModule(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /read/GetVersion", func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, `{"version":"1.19.5"}`) })
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, "<html><title>Komodo</title></html>")
			return
		}
		w.WriteHeader(http.StatusMethodNotAllowed)
	})
	core := httptest.NewServer(mux)
	t.Cleanup(core.Close)
	ctx := context.Background()

	_, err := client(t, core.URL).Call(ctx, "POST", "/terminal/execute", []byte(`{}`))
	if e := classified(t, err); e.Code != errcode.NotFound || !strings.Contains(e.Message, "(version 1.19.5) has no operation terminal/execute") {
		t.Errorf("one module not routed: %s %s", e.Code, e.Message)
	}
	// A wrong base path: /version is not answered either.
	_, err = client(t, core.URL+"/komodo").Call(ctx, "POST", "/read/ListServers", []byte(`{}`))
	if e := classified(t, err); e.Code != errcode.NetworkError || !strings.Contains(e.Hint, "KOMODO_URL") {
		t.Errorf("wrong base path: %s %s (%s)", e.Code, e.Message, e.Hint)
	}
}
