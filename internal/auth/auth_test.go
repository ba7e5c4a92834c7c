package auth

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testKey    = "K-key"
	testSecret = "S-secret"
)

// seen is what the fake server received.
type seen struct {
	method, uri string
	header      http.Header
	body        string
}

// recorder is an httptest server that answers 200 {} and records every request.
func recorder(t *testing.T) (*httptest.Server, func() []seen) {
	t.Helper()
	var mu sync.Mutex
	var got []seen
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, "{}")
	}))
	t.Cleanup(srv.Close)
	return srv, func() []seen {
		mu.Lock()
		defer mu.Unlock()
		return append([]seen(nil), got...)
	}
}

func newRequest(t *testing.T, method, url, body string) *http.Request {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	return req
}

func do(t *testing.T, rt http.RoundTripper, req *http.Request) *http.Response {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatalf("RoundTrip: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func TestAPIKey_RoundTrip(t *testing.T) {
	srv, got := recorder(t)
	rt := NewAPIKey(testKey, testSecret, nil)
	req := newRequest(t, http.MethodPost, srv.URL+"/read/ListServers", `{}`)
	before := req.Header.Clone()

	do(t, rt, req)

	g := got()[0]
	if g.header.Get("x-api-key") != testKey || g.header.Get("x-api-secret") != testSecret {
		t.Errorf("headers = %v", g.header)
	}
	if g.body != "{}" || g.uri != "/read/ListServers" {
		t.Errorf("body %q uri %q", g.body, g.uri)
	}
	if fmt.Sprint(req.Header) != fmt.Sprint(before) {
		t.Errorf("caller's request was modified: %v", req.Header)
	}
}

// hmacHex is the signature computed here, independently of Sign.
func hmacHex(secret, msg string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(msg))
	return hex.EncodeToString(m.Sum(nil))
}

func fixTime(t *testing.T, times ...int64) {
	t.Helper()
	var mu sync.Mutex
	i := 0
	timeNow = func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		ts := times[min(i, len(times)-1)]
		i++
		return time.Unix(ts, 0)
	}
	t.Cleanup(func() { timeNow = time.Now })
}

func TestSign_KnownVectors(t *testing.T) {
	// Computed outside Go: python3 hmac.new(b"S-secret", msg, hashlib.sha256).hexdigest(),
	// cross-checked with openssl dgst -sha256 -hmac S-secret.
	tests := []struct {
		method, endpoint, body, ts, want string
	}{
		{"POST", "/read/ListServers", "{}", "1700000000", "2e0fcb2e12be13e4796c495b654a1d2448e91cc27327f7fd783ec2d0e30788d0"},
		{"GET", "/version", "", "1700000000", "5418fb71d7cd4fdd87ac81ef8fd479701262b797475004e5e3281e0d62496488"},
		{"POST", "/komodo/read/ListServers?x=1", `{"query":{}}`, "1700000000", "087cf3e4897ef7a7c4316dbecef96451958daa005b283fe184a58ba67580ab07"},
	}
	for _, tt := range tests {
		if got := Sign(testSecret, tt.method, tt.endpoint, []byte(tt.body), tt.ts); got != tt.want {
			t.Errorf("Sign(%s %s) = %s, want %s", tt.method, tt.endpoint, got, tt.want)
		}
	}
}

func TestHMAC_RoundTrip(t *testing.T) {
	srv, got := recorder(t)
	tests := []struct {
		name     string
		method   string
		path     string // appended to the server URL
		body     string
		wantURI  string
		wantSign string // known vector at timestamp 1700000000
	}{
		{"post with body", "POST", "/read/ListServers", "{}", "/read/ListServers",
			"2e0fcb2e12be13e4796c495b654a1d2448e91cc27327f7fd783ec2d0e30788d0"},
		{"get without body", "GET", "/version", "", "/version",
			"5418fb71d7cd4fdd87ac81ef8fd479701262b797475004e5e3281e0d62496488"},
		{"base path and query", "POST", "/komodo/read/ListServers?x=1", `{"query":{}}`, "/komodo/read/ListServers?x=1",
			"087cf3e4897ef7a7c4316dbecef96451958daa005b283fe184a58ba67580ab07"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fixTime(t, 1700000000)
			req := newRequest(t, tt.method, srv.URL+tt.path, tt.body)
			do(t, NewHMAC(testKey, testSecret, nil), req)

			g := got()[i]
			if g.uri != tt.wantURI || g.body != tt.body {
				t.Fatalf("server saw %s %q", g.uri, g.body)
			}
			if g.header.Get("X-Komodo-Api-Key") != testKey || g.header.Get("X-Komodo-Timestamp") != "1700000000" {
				t.Errorf("headers = %v", g.header)
			}
			if sig := g.header.Get("X-Komodo-Signature"); sig != tt.wantSign {
				t.Errorf("signature = %s, want %s", sig, tt.wantSign)
			}
			// What a verifying gateway computes from what it received.
			if want := hmacHex(testSecret, g.method+g.uri+g.body+"1700000000"); g.header.Get("X-Komodo-Signature") != want {
				t.Errorf("gateway check failed")
			}
			if req.Header.Get("X-Komodo-Signature") != "" {
				t.Error("caller's request was modified")
			}
			if strings.Contains(fmt.Sprint(g.header), testSecret) {
				t.Error("secret sent in a header")
			}
		})
	}
}

// The retry transport calls RoundTrip again with the same request for each attempt; each
// attempt must carry its own timestamp and a signature over the same body.
func TestHMAC_EachAttemptSignedAfresh(t *testing.T) {
	srv, got := recorder(t)
	fixTime(t, 1700000000, 1700000003)
	rt := NewHMAC(testKey, testSecret, nil)
	req := newRequest(t, "POST", srv.URL+"/execute/Deploy", `{"deployment":"web"}`)

	do(t, rt, req)
	do(t, rt, req) // second attempt: the body is rewound through GetBody

	g := got()
	if len(g) != 2 {
		t.Fatalf("%d requests", len(g))
	}
	ts1, ts2 := g[0].header.Get("X-Komodo-Timestamp"), g[1].header.Get("X-Komodo-Timestamp")
	if ts1 != "1700000000" || ts2 != "1700000003" {
		t.Errorf("timestamps %s, %s", ts1, ts2)
	}
	for _, s := range g {
		if s.body != `{"deployment":"web"}` {
			t.Errorf("body %q", s.body)
		}
		want := hmacHex(testSecret, "POST/execute/Deploy"+s.body+s.header.Get("X-Komodo-Timestamp"))
		if s.header.Get("X-Komodo-Signature") != want {
			t.Errorf("attempt at %s: bad signature", s.header.Get("X-Komodo-Timestamp"))
		}
	}
	if g[0].header.Get("X-Komodo-Signature") == g[1].header.Get("X-Komodo-Signature") {
		t.Error("both attempts carry the same signature")
	}
}

// A body without GetBody (a plain io.Reader) is still signed exactly as sent.
func TestHMAC_BodyWithoutGetBody(t *testing.T) {
	srv, got := recorder(t)
	fixTime(t, 1700000000)
	req := newRequest(t, "POST", srv.URL+"/read/ListServers", "")
	req.Body = io.NopCloser(bytes.NewBufferString("{}"))
	req.ContentLength = -1
	do(t, NewHMAC(testKey, testSecret, nil), req)
	if sig := got()[0].header.Get("X-Komodo-Signature"); sig != "2e0fcb2e12be13e4796c495b654a1d2448e91cc27327f7fd783ec2d0e30788d0" {
		t.Errorf("signature = %s", sig)
	}
}

// errTransport fails every request with an error that quotes the URL, as net/http does.
type errTransport struct{}

func (errTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Body.Close()
	return nil, fmt.Errorf("dial tcp: connection refused (%s)", r.URL)
}

func TestTransports_ErrorsCarryNoSecret(t *testing.T) {
	for _, rt := range []http.RoundTripper{
		NewAPIKey(testKey, testSecret, errTransport{}),
		NewHMAC(testKey, testSecret, errTransport{}),
	} {
		_, err := rt.RoundTrip(newRequest(t, "POST", "https://k.example.com/read/ListServers", "{}"))
		if err == nil || strings.Contains(err.Error(), testSecret) {
			t.Errorf("%v: err = %v", rt, err)
		}
		for _, s := range []string{fmt.Sprint(rt), fmt.Sprintf("%+v", rt), fmt.Sprintf("%#v", rt)} {
			if strings.Contains(s, testSecret) {
				t.Errorf("rendering leaks the secret: %s", s)
			}
		}
	}
}

func TestNew(t *testing.T) {
	creds := Credentials{APIKey: testKey, APISecret: testSecret, Username: "admin", Password: "pw"}
	tests := []struct {
		mode    Mode
		creds   Credentials
		want    string // type name, or error text
		wantErr bool
	}{
		{ModeAPIKey, creds, "*auth.APIKey", false},
		{ModeHMAC, creds, "*auth.HMAC", false},
		{ModeJWT, creds, "*auth.JWT", false},
		{ModeJWT, Credentials{JWT: "t"}, "*auth.JWT", false},
		{ModeAPIKey, Credentials{APIKey: testKey}, "auth: api-key mode needs an API key and an API secret", true},
		{ModeHMAC, Credentials{APISecret: testSecret}, "auth: hmac mode needs an API key and an API secret", true},
		{ModeJWT, Credentials{Username: "admin"}, "auth: jwt mode needs a token, or a username and password", true},
		{"basic", creds, `auth: unknown mode "basic": use api-key, jwt or hmac`, true},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode)+" "+tt.want, func(t *testing.T) {
			rt, err := New(tt.mode, "https://k.example.com", tt.creds, nil, nil)
			if tt.wantErr {
				if err == nil || err.Error() != tt.want {
					t.Errorf("err = %v, want %s", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", rt); got != tt.want {
				t.Errorf("type %s, want %s", got, tt.want)
			}
		})
	}
	if _, err := New(ModeJWT, "komodo.example.com", creds, nil, nil); err == nil {
		t.Error("jwt mode accepted a base URL without scheme")
	}
}
