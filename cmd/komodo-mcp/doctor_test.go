package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// runDoctor runs `komodo-mcp doctor args...` against url with the demo admin's API key.
func runDoctor(t *testing.T, url string, args ...string) (int, string) {
	t.Helper()
	env := map[string]string{"KOMODO_URL": url, "KOMODO_API_KEY": sim.DemoAPIKey, "KOMODO_API_SECRET": sim.DemoAPISecret}
	var out, errOut bytes.Buffer
	code := run(context.Background(), append([]string{"doctor"}, args...), strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String() + errOut.String()
}

// TestDoctor_Docs: doctor compares Core's GET /docs operation list with the document,
// allowing for Komodo 2.3.2's three known differences, and names real drift.
func TestDoctor_Docs(t *testing.T) {
	s := simtest.Start(t)
	code, out := runDoctor(t, s.URL(), "--docs")
	if code != 0 || !strings.Contains(out, "ok   Core's operation list (GET /docs) matches the tools of Komodo "+catalog.KomodoVersion+": 333 operations") {
		t.Errorf("doctor --docs against a 2.3.2 Core: exit %d\n%s", code, out)
	}

	drifted := simtest.Start(t, func(o *sim.Options) {
		o.DocsAdd = []string{"/read/ListWidgets"}
		o.DocsRemove = []string{"/execute/Deploy"}
	})
	code, out = runDoctor(t, drifted.URL())
	if code == 0 || !strings.Contains(out, "FAIL Core's operation list (GET /docs) differs") ||
		!strings.Contains(out, "1 added in Core [/read/ListWidgets]") || !strings.Contains(out, "1 gone from Core [/execute/Deploy]") {
		t.Errorf("doctor against a drifted Core: exit %d\n%s", code, out)
	}

	// A Core (or proxy) without /docs: skipped by default, a failure with --docs.
	mux := http.NewServeMux()
	mux.HandleFunc("GET /docs", func(w http.ResponseWriter, _ *http.Request) { http.Error(w, "gone", http.StatusNotFound) })
	mux.Handle("/", s.Handler())
	noDocs := httptest.NewServer(mux)
	defer noDocs.Close()
	if code, out := runDoctor(t, noDocs.URL); code != 0 || !strings.Contains(out, "skip Core's operation list") {
		t.Errorf("doctor without /docs: exit %d\n%s", code, out)
	}
	if code, out := runDoctor(t, noDocs.URL, "--docs"); code == 0 || !strings.Contains(out, "FAIL Core's operation list (GET /docs): GET /docs answered HTTP 404") {
		t.Errorf("doctor --docs without /docs: exit %d\n%s", code, out)
	}
}

// TestDoctor_Versions: doctor names the catalog served for the Core's version, for a
// Komodo 1.19.5 (no GET /version, /user or /docs: GetVersion and /auth/GetUser) and a 2.1.
func TestDoctor_Versions(t *testing.T) {
	for _, v := range []string{"1.19.5", "2.1.2"} {
		s := simtest.Start(t, func(o *sim.Options) { o.KomodoVersion = v })
		code, out := runDoctor(t, s.URL())
		if code != 0 || !strings.Contains(out, "ok   Komodo Core at "+s.URL()+" answers, version "+v) ||
			!strings.Contains(out, "ok   tools: the catalog of Komodo "+v) || !strings.Contains(out, "ok   credentials (api-key mode) accepted: user admin") {
			t.Errorf("doctor against a %s Core: exit %d\n%s", v, code, out)
		}
	}
}

// TestDoctor_WrongBasePath: KOMODO_URL with a path Core does not serve is reported as a
// KOMODO_URL problem naming the path tried, not as bad parameters.
func TestDoctor_WrongBasePath(t *testing.T) {
	s := simtest.Start(t)
	code, out := runDoctor(t, s.URL()+"/komodo")
	if code == 0 || !strings.Contains(out, "FAIL KOMODO_URL "+s.URL()+"/komodo does not lead to Komodo Core's API: NETWORK_ERROR") ||
		!strings.Contains(out, "Tried: "+s.URL()+"/komodo/version") || strings.Contains(out, "VALIDATION_ERROR") {
		t.Errorf("doctor with a wrong base path: exit %d\n%s", code, out)
	}
}

// TestCall_WrongBasePath: a tool's POST to a path Core does not route meets the web UI (405,
// empty body); the result is a NETWORK_ERROR naming KOMODO_URL and the path tried.
func TestCall_WrongBasePath(t *testing.T) {
	s := simtest.Start(t)
	env := map[string]string{"KOMODO_URL": s.URL() + "/komodo", "KOMODO_API_KEY": sim.DemoAPIKey, "KOMODO_API_SECRET": sim.DemoAPISecret}
	var out, errOut bytes.Buffer
	code := run(context.Background(), []string{"call", "komodo_read_ListServers", "{}"}, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	got := out.String()
	if code == 0 || !strings.Contains(got, `"code":"NETWORK_ERROR"`) || !strings.Contains(got, "KOMODO_URL") ||
		!strings.Contains(got, s.URL()+"/komodo/read/ListServers") || strings.Contains(got, "VALIDATION_ERROR") {
		t.Errorf("call with a wrong base path: exit %d\n%s\n%s", code, got, errOut.String())
	}
}

// TestDoctor_OneAttempt: doctor says at once what it finds - a refused connection is
// "unreachable", and even an answer the server would retry (a proxy's 503) is asked once.
func TestDoctor_OneAttempt(t *testing.T) {
	var requests atomic.Int32
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer proxy.Close()
	code, out := runDoctor(t, proxy.URL)
	if code == 0 || requests.Load() != 1 {
		t.Errorf("doctor against a 503: exit %d after %d requests, want 1\n%s", code, requests.Load(), out)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	code, out = runDoctor(t, closed)
	if code == 0 || !strings.Contains(out, "FAIL Komodo Core at "+closed+" is unreachable: NETWORK_ERROR: connection refused") {
		t.Errorf("doctor against a closed port: exit %d\n%s", code, out)
	}
}
