package retry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/memnet"
)

// komodo is a test server mounted under /komodo (to catch absolute-path bugs)
// that answers each request with the next scripted reply and records what it
// received, and when. It is served on an in-memory network (memnet) so that the
// tests run in testing/synctest bubbles: the retry layer's waits pass on the
// bubble's clock, exactly, and take no real time.
type komodo struct {
	mu      sync.Mutex
	replies []reply
	bodies  []string
	sigs    []string
	at      []time.Time
	*memnet.Server
}

type reply struct {
	status int
	body   string
	header map[string]string
}

func newKomodo(t *testing.T, replies ...reply) *komodo {
	k := &komodo{replies: replies}
	mux := http.NewServeMux()
	mux.HandleFunc("/komodo/", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		k.mu.Lock()
		k.bodies = append(k.bodies, string(b))
		k.sigs = append(k.sigs, r.Header.Get("X-Test-Signature"))
		k.at = append(k.at, time.Now())
		rep := reply{status: 200, body: `{"ok":true}`}
		if n := len(k.bodies) - 1; n < len(k.replies) {
			rep = k.replies[n]
		} else if len(k.replies) > 0 {
			rep = k.replies[len(k.replies)-1]
		}
		k.mu.Unlock()
		for h, v := range rep.header {
			w.Header().Set(h, v)
		}
		w.WriteHeader(rep.status)
		io.WriteString(w, rep.body)
	})
	k.Server = memnet.NewServer(mux)
	t.Cleanup(k.Close)
	return k
}

// waits are the pauses between the requests Komodo received.
func (k *komodo) waits() []time.Duration {
	k.mu.Lock()
	defer k.mu.Unlock()
	var w []time.Duration
	for i := 1; i < len(k.at); i++ {
		w = append(w, k.at[i].Sub(k.at[i-1]))
	}
	return w
}

func (k *komodo) requests() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.bodies)
}

// signer stands in for the signing transport: it stamps every attempt with a
// fresh signature and counts the attempts, including those that never reach a
// server.
type signer struct {
	calls atomic.Int32
	next  http.RoundTripper
}

func (s *signer) RoundTrip(req *http.Request) (*http.Response, error) {
	n := s.calls.Add(1)
	req = req.Clone(req.Context())
	req.Header.Set("X-Test-Signature", fmt.Sprintf("sig-%d", n))
	return s.next.RoundTrip(req)
}

// transport returns a Transport with the given retries (waits of 1s, 2s, 4s... up to
// 30s) over a signer sending to next.
func transport(retries int, next http.RoundTripper) (*Transport, *signer) {
	s := &signer{next: next}
	return New(s, Options{Retries: retries, BaseDelay: time.Second, MaxDelay: 30 * time.Second,
		Logger: slog.New(slog.DiscardHandler)}), s
}

func post(t *testing.T, ctx context.Context, rt http.RoundTripper, url, body string) (*http.Response, string, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, "POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return resp, string(b), nil
}

const (
	notFound = `{"error":"Did not find any Server matching prod-9","trace":["failed to get server"]}`
	html502  = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
)

func TestTransport_RoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		op         string
		replies    []reply
		wantStatus int
		wantBody   string
		wantCalls  int
		wantWaits  []time.Duration
	}{
		{
			name:    "read recovers after two 503",
			op:      "read/ListServers",
			replies: []reply{{status: 503, body: "busy"}, {status: 503, body: "busy"}, {status: 200, body: `[]`}},
			// exactly 3 requests, waits 1s then 2s
			wantStatus: 200, wantBody: `[]`, wantCalls: 3, wantWaits: []time.Duration{time.Second, 2 * time.Second},
		},
		{
			name:       "read Komodo 500 is final, body intact",
			op:         "read/GetServer",
			replies:    []reply{{status: 500, body: notFound}},
			wantStatus: 500, wantBody: notFound, wantCalls: 1,
		},
		{
			name:       "read 502 from Komodo itself is final",
			op:         "read/GetServer",
			replies:    []reply{{status: 502, body: `{"error":"failed to reach periphery","trace":[]}`}},
			wantStatus: 502, wantBody: `{"error":"failed to reach periphery","trace":[]}`, wantCalls: 1,
		},
		{
			name:       "read proxy 502 until retries run out returns the last answer",
			op:         "read/ListStacks",
			replies:    []reply{{status: 502, body: html502}},
			wantStatus: 502, wantBody: html502, wantCalls: 4,
			wantWaits: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second},
		},
		{
			name:       "execute 502 is never repeated",
			op:         "execute/DeployStack",
			replies:    []reply{{status: 502, body: html502}, {status: 200, body: `{}`}},
			wantStatus: 502, wantBody: html502, wantCalls: 1,
		},
		{
			name:       "execute Komodo 500 is never repeated",
			op:         "execute/DeployStack",
			replies:    []reply{{status: 500, body: `{"error":"missing field ` + "`stack`" + `","trace":[]}`}},
			wantStatus: 500, wantBody: `{"error":"missing field ` + "`stack`" + `","trace":[]}`, wantCalls: 1,
		},
		{
			name:       "write 503 is never repeated",
			op:         "write/UpdateStack",
			replies:    []reply{{status: 503, body: "down"}},
			wantStatus: 503, wantBody: "down", wantCalls: 1,
		},
		{
			name: "read Retry-After seconds is honoured",
			op:   "read/ListServers",
			replies: []reply{
				{status: 429, body: "slow down", header: map[string]string{"Retry-After": "7"}},
				{status: 200, body: `[]`},
			},
			wantStatus: 200, wantBody: `[]`, wantCalls: 2, wantWaits: []time.Duration{7 * time.Second},
		},
		{
			name: "read Retry-After beyond the cap returns the 429 at once",
			op:   "read/ListServers",
			replies: []reply{
				{status: 429, body: "slow down", header: map[string]string{"Retry-After": "3600"}},
				{status: 200, body: `[]`},
			},
			wantStatus: 429, wantBody: "slow down", wantCalls: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				k := newKomodo(t, tt.replies...)
				tr, s := transport(3, k.Transport())
				resp, body, err := post(t, context.Background(), tr, k.URL+"/komodo/"+tt.op, `{"server":"prod-9"}`)
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
					t.Errorf("got %d %q, want %d %q", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
				}
				if got := k.requests(); got != tt.wantCalls {
					t.Errorf("Komodo saw %d requests, want %d", got, tt.wantCalls)
				}
				if got := int(s.calls.Load()); got != tt.wantCalls {
					t.Errorf("inner transport called %d times, want %d", got, tt.wantCalls)
				}
				if got := k.waits(); fmt.Sprint(got) != fmt.Sprint(tt.wantWaits) {
					t.Errorf("waits = %v, want %v", got, tt.wantWaits)
				}
			})
		})
	}
}

func TestTransport_RetryAfterDate(t *testing.T) { synctest.Test(t, testRetryAfterDate) }

func testRetryAfterDate(t *testing.T) {
	k := newKomodo(t,
		reply{status: 503, body: "maintenance", header: map[string]string{"Retry-After": time.Now().Add(9 * time.Second).Format(http.TimeFormat)}},
		reply{status: 200, body: `"v2.3.2"`})
	tr, _ := transport(3, k.Transport())
	resp, _, err := post(t, context.Background(), tr, k.URL+"/komodo/read/GetVersion", `{}`)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("got %v, %v", resp, err)
	}
	if got := k.waits(); fmt.Sprint(got) != "[9s]" {
		t.Errorf("waits = %v, want [9s]", got)
	}
}

// closedURL returns the address of a port that refuses connections.
func closedURL(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return "http://" + addr + "/komodo"
}

// TestTransport_ConnectionRefused: a refused connection (a real one: the error must be
// the system's ECONNREFUSED) is retried whatever the operation, since nothing was sent.
// The waits pass on a synctest bubble's clock; the connection attempts are real.
func TestTransport_ConnectionRefused(t *testing.T) {
	for _, op := range []string{"execute/DeployStack", "write/CreateServer", "read/ListServers"} {
		t.Run(op, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var at []time.Time
				tr, s := transport(3, roundTripFunc(func(r *http.Request) (*http.Response, error) {
					at = append(at, time.Now())
					return http.DefaultTransport.RoundTrip(r)
				}))
				_, _, err := post(t, context.Background(), tr, closedURL(t)+"/"+op, `{"stack":"web"}`)
				if !errors.Is(err, syscall.ECONNREFUSED) {
					t.Fatalf("error = %v, want connection refused", err)
				}
				if got := s.calls.Load(); got != 4 {
					t.Errorf("attempts = %d, want 4 (1 + 3 retries)", got)
				}
				var waits []time.Duration
				for i := 1; i < len(at); i++ {
					waits = append(waits, at[i].Sub(at[i-1]))
				}
				if fmt.Sprint(waits) != "[1s 2s 4s]" {
					t.Errorf("waits = %v, want [1s 2s 4s]", waits)
				}
			})
		})
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestTransport_ResetAfterSend: the server reads the request and drops the
// connection without answering. A read may be repeated; an execute may have
// run, so it is not.
func TestTransport_ResetAfterSend(t *testing.T) { synctest.Test(t, testResetAfterSend) }

func testResetAfterSend(t *testing.T) {
	var hits atomic.Int32
	srv := memnet.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		io.ReadAll(r.Body)
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	for _, tt := range []struct {
		op   string
		want int32
	}{{"execute/DeployStack", 1}, {"read/ListServers", 4}} {
		hits.Store(0)
		// Disable keep-alives so net/http's own replay of requests on a stale
		// pooled connection does not blur the count.
		tr, _ := transport(3, &http.Transport{DialContext: srv.Listener.DialContext, DisableKeepAlives: true})
		if _, _, err := post(t, context.Background(), tr, srv.URL+"/komodo/"+tt.op, `{}`); err == nil {
			t.Fatalf("%s: expected an error", tt.op)
		}
		if got := hits.Load(); got != tt.want {
			t.Errorf("%s: server saw %d requests, want %d", tt.op, got, tt.want)
		}
	}
}

// TestTransport_ContextCancelStopsRetrying: the caller gives up half-way through the
// first wait (1 s); the wait ends then, not at its end, and nothing more is sent.
func TestTransport_ContextCancelStopsRetrying(t *testing.T) {
	synctest.Test(t, testContextCancelStopsRetrying)
}

func testContextCancelStopsRetrying(t *testing.T) {
	k := newKomodo(t, reply{status: 503, body: "busy"})
	tr, _ := transport(3, k.Transport())
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	time.AfterFunc(500*time.Millisecond, cancel)
	start := time.Now()
	_, _, err := post(t, ctx, tr, k.URL+"/komodo/read/ListServers", `{}`)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d != 500*time.Millisecond {
		t.Errorf("gave up after %v, want 500ms: the wait must end with the context", d)
	}
	if got := k.requests(); got != 1 {
		t.Errorf("Komodo saw %d requests after cancel, want 1", got)
	}
}

func TestTransport_RetriedBodyIsIdenticalAndResigned(t *testing.T) {
	synctest.Test(t, testRetriedBodyIsIdenticalAndResigned)
}

func testRetriedBodyIsIdenticalAndResigned(t *testing.T) {
	const body = `{"server":"prod-1","query":{"tags":["a","b"]}}`
	k := newKomodo(t, reply{status: 503}, reply{status: 504}, reply{status: 200, body: `{}`})
	tr, s := transport(3, k.Transport())

	req, _ := http.NewRequest("POST", k.URL+"/komodo/read/GetServer", bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	if s.calls.Load() != 3 {
		t.Errorf("inner transport called %d times, want 3", s.calls.Load())
	}
	for i, got := range k.bodies {
		if got != body {
			t.Errorf("attempt %d body = %q, want %q", i+1, got, body)
		}
	}
	if want := "[sig-1 sig-2 sig-3]"; fmt.Sprint(k.sigs) != want {
		t.Errorf("signatures seen = %v, want %v (each attempt signed afresh)", k.sigs, want)
	}
	if req.Header.Get("X-Test-Signature") != "" {
		t.Error("caller's request was modified")
	}
}

func TestTransport_Logging(t *testing.T) { synctest.Test(t, testLogging) }

func testLogging(t *testing.T) {
	k := newKomodo(t, reply{status: 503}, reply{status: 200, body: `{}`})
	var buf bytes.Buffer
	tr := New(k.Transport(), Options{Retries: 2, BaseDelay: time.Second,
		Logger: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))})

	req, _ := http.NewRequest("POST", k.URL+"/komodo/read/ListServers", strings.NewReader(`{}`))
	req.Header.Set("X-Api-Key", "key-abcdef")
	req.Header.Set("X-Api-Secret", "secret-123456")
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	out := buf.String()
	for _, want := range []string{"level=WARN", "retrying komodo request", "operation=read/ListServers", "attempt=2", "max_attempts=3", "wait=1s", "status=503"} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"key-abcdef", "secret-123456"} {
		if strings.Contains(out, secret) {
			t.Errorf("log contains header value %q:\n%s", secret, out)
		}
	}
}

func TestNew_options(t *testing.T) {
	tests := []struct {
		in          Options
		retries     int
		base, limit time.Duration
	}{
		{DefaultOptions(), 3, time.Second, 30 * time.Second},
		{Options{}, 0, time.Second, 30 * time.Second},
		{Options{Retries: -2}, 0, time.Second, 30 * time.Second},
		{Options{Retries: 5, BaseDelay: 2 * time.Second, MaxDelay: time.Second}, 5, 2 * time.Second, 2 * time.Second},
	}
	for _, tt := range tests {
		tr := New(nil, tt.in)
		if tr.retries != tt.retries || tr.base != tt.base || tr.limit != tt.limit || tr.log == nil {
			t.Errorf("New(%+v) = retries %d base %v limit %v", tt.in, tr.retries, tr.base, tr.limit)
		}
	}
}

// BenchmarkTransport compares a successful read through the retry layer with
// the same read over a plain http.Transport.
func BenchmarkTransport(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `[{"id":"66113df3abe32960b87018dd","name":"prod-1"}]`)
	}))
	defer srv.Close()
	plain := &http.Transport{MaxIdleConnsPerHost: 4}
	defer plain.CloseIdleConnections()
	retrying := New(&http.Transport{MaxIdleConnsPerHost: 4}, Options{Retries: 3, Logger: slog.New(slog.DiscardHandler)})

	for _, bc := range []struct {
		name string
		rt   http.RoundTripper
	}{{"plain", plain}, {"retry", retrying}} {
		b.Run(bc.name, func(b *testing.B) {
			client := &http.Client{Transport: bc.rt}
			b.ReportAllocs()
			for b.Loop() {
				req, _ := http.NewRequest("POST", srv.URL+"/read/ListServers", strings.NewReader(`{"query":{}}`))
				req.Header.Set("Content-Type", "application/json")
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		})
	}
}
