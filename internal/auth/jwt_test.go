package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/memnet"
)

const testPassword = "hunter2-pw"

// fakeKomodo serves LoginLocalUser and an API that accepts only the tokens it considers valid.
// It is mounted under /komodo, so a login URL that forgets the base path fails. It is served
// on an in-memory network (memnet), so that a test may run in a testing/synctest bubble.
type fakeKomodo struct {
	srv *memnet.Server

	mu          sync.Mutex
	logins      int
	loginBodies []string
	loginTypes  []string
	valid       map[string]bool
	disabled    map[string]bool // tokens that decode but whose user is disabled: 401
	failWith    string          // when set, valid calls answer 500 with this Komodo error
	api         []seen
	gate        chan struct{} // when set, logins wait for it to close
	// answer, when set, replaces the normal login answer ({"type":"Jwt"} with token jwt-<n>).
	answer func(n int) (status int, body string)
}

func newFakeKomodo(t *testing.T, valid ...string) *fakeKomodo {
	t.Helper()
	f := &fakeKomodo{valid: map[string]bool{}, disabled: map[string]bool{}}
	for _, v := range valid {
		f.valid[v] = true
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /komodo/auth/login/LoginLocalUser", f.login)
	mux.HandleFunc("/komodo/", f.serveAPI)
	f.srv = memnet.NewServer(mux)
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeKomodo) url() string { return f.srv.URL + "/komodo" }

func (f *fakeKomodo) login(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.logins++
	n := f.logins
	f.loginBodies = append(f.loginBodies, string(b))
	f.loginTypes = append(f.loginTypes, r.Header.Get("Content-Type"))
	gate, answer := f.gate, f.answer
	f.mu.Unlock()
	if gate != nil {
		<-gate
	}
	status, body := http.StatusOK, ""
	if answer != nil {
		status, body = answer(n)
	} else {
		var in struct{ Username, Password string }
		if json.Unmarshal(b, &in) != nil || in.Username != "admin" || in.Password != testPassword {
			status, body = http.StatusUnauthorized, `{"error":"Invalid login credentials","trace":[]}`
		} else {
			tok := fmt.Sprintf("jwt-%d", n)
			f.mu.Lock()
			f.valid[tok] = true
			f.mu.Unlock()
			body = fmt.Sprintf(`{"type":"Jwt","data":{"jwt":%q}}`, tok)
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	io.WriteString(w, body)
}

func (f *fakeKomodo) serveAPI(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.api = append(f.api, seen{r.Method, r.RequestURI, r.Header.Clone(), string(b)})
	tok := r.Header.Get("Authorization")
	ok, disabled, failWith := f.valid[tok], f.disabled[tok], f.failWith
	f.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case disabled: // decodes, but Komodo's user check refuses it: 401
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, `{"error":"Invalid user credentials","trace":[]}`)
	case !ok: // an expired or foreign token fails to decode: Komodo answers 500
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, `{"error":"Invalid user credentials","trace":[]}`)
	case failWith != "":
		w.WriteHeader(http.StatusInternalServerError)
		io.WriteString(w, failWith)
	default:
		io.WriteString(w, "{}")
	}
}

func (f *fakeKomodo) invalidate(tok string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.valid, tok)
}

func (f *fakeKomodo) stats() (logins int, api []seen) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins, append([]seen(nil), f.api...)
}

func newJWT(t *testing.T, f *fakeKomodo, c Credentials) *JWT {
	t.Helper()
	rt, err := NewJWT(f.url(), c, f.srv.Transport(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return rt
}

var adminCreds = Credentials{Username: "admin", Password: testPassword}

func TestJWT_GivenToken(t *testing.T) {
	f := newFakeKomodo(t, "given-token")
	rt := newJWT(t, f, Credentials{JWT: "given-token"})
	if !rt.HasSession() {
		t.Error("HasSession() = false with a given token")
	}
	resp := do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
	logins, api := f.stats()
	if resp.StatusCode != 200 || logins != 0 {
		t.Fatalf("status %d, %d logins", resp.StatusCode, logins)
	}
	if got := api[0].header.Get("Authorization"); got != "given-token" {
		t.Errorf("authorization = %q, want the raw token", got)
	}
}

func TestJWT_LogsInLazilyOnce(t *testing.T) {
	f := newFakeKomodo(t)
	rt := newJWT(t, f, adminCreds)
	if rt.HasSession() {
		t.Error("HasSession() before the first request")
	}
	if logins, _ := f.stats(); logins != 0 {
		t.Fatal("logged in at construction")
	}
	for range 3 {
		if resp := do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}")); resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	logins, api := f.stats()
	if logins != 1 {
		t.Errorf("%d logins, want 1", logins)
	}
	if got := f.loginBodies[0]; got != `{"username":"admin","password":"hunter2-pw"}` {
		t.Errorf("login body %s", got)
	}
	if f.loginTypes[0] != "application/json" {
		t.Errorf("login content-type %q", f.loginTypes[0])
	}
	for _, s := range api {
		if s.header.Get("Authorization") != "jwt-1" {
			t.Errorf("authorization %q", s.header.Get("Authorization"))
		}
	}
	if !rt.HasSession() {
		t.Error("HasSession() = false after login")
	}
}

// TestJWT_ConcurrentRequestsShareOneLogin: requests that arrive while the login is under
// way wait for it (synctest.Wait: until every goroutine of the bubble is blocked) instead
// of logging in again, and all go out with its token.
func TestJWT_ConcurrentRequestsShareOneLogin(t *testing.T) {
	synctest.Test(t, testConcurrentRequestsShareOneLogin)
}

func testConcurrentRequestsShareOneLogin(t *testing.T) {
	f := newFakeKomodo(t)
	f.gate = make(chan struct{})
	rt := newJWT(t, f, adminCreds)

	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		req := newRequest(t, "POST", f.url()+"/read/ListStacks", "{}")
		wg.Go(func() {
			resp, err := rt.RoundTrip(req)
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				errs <- fmt.Errorf("status %d", resp.StatusCode)
			}
		})
	}
	synctest.Wait() // every request is waiting, one of them in the login held at the gate
	if logins, api := f.stats(); logins != 1 || len(api) != 0 {
		t.Errorf("while the login waits: %d logins and %d API calls, want 1 and 0", logins, len(api))
	}
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if logins, api := f.stats(); logins != 1 || len(api) != n {
		t.Errorf("%d logins and %d API calls, want 1 and %d", logins, len(api), n)
	}
}

// TestJWT_ReloginWhenTokenRejected: an expired token is a 500 "Invalid user credentials" in
// Komodo 2.3.2, a disabled user's token a 401; both log in again once and resend.
func TestJWT_ReloginWhenTokenRejected(t *testing.T) {
	tests := []struct {
		name       string
		creds      Credentials
		prepare    func(*testing.T, *fakeKomodo, *JWT) // runs before the request under test
		wantLogins int                                 // in total
		wantToken  string                              // on the resent request
	}{
		{"given token expired", Credentials{JWT: "expired", Username: "admin", Password: testPassword},
			func(*testing.T, *fakeKomodo, *JWT) {}, 1, "jwt-1"},
		{"session token expired (500)", adminCreds,
			func(t *testing.T, f *fakeKomodo, rt *JWT) {
				do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
				f.invalidate("jwt-1")
			}, 2, "jwt-2"},
		{"session token refused (401)", adminCreds,
			func(t *testing.T, f *fakeKomodo, rt *JWT) {
				do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
				f.mu.Lock()
				f.disabled["jwt-1"] = true
				f.mu.Unlock()
			}, 2, "jwt-2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKomodo(t)
			rt := newJWT(t, f, tt.creds)
			tt.prepare(t, f, rt)
			_, before := f.stats()

			req := newRequest(t, "POST", f.url()+"/execute/Deploy", `{"deployment":"web"}`)
			req.GetBody = nil // the transport must cope with a body it cannot rewind itself
			resp := do(t, rt, req)

			logins, api := f.stats()
			api = api[len(before):]
			if resp.StatusCode != 200 || logins != tt.wantLogins || len(api) != 2 {
				t.Fatalf("status %d, %d logins, %d API calls", resp.StatusCode, logins, len(api))
			}
			if api[0].header.Get("Authorization") == tt.wantToken || api[1].header.Get("Authorization") != tt.wantToken {
				t.Errorf("tokens sent: %q then %q", api[0].header.Get("Authorization"), api[1].header.Get("Authorization"))
			}
			for _, s := range api {
				if s.body != `{"deployment":"web"}` {
					t.Errorf("body %q", s.body)
				}
			}
			if req.Header.Get("Authorization") != "" {
				t.Error("caller's request was modified")
			}
		})
	}
}

// TestJWT_Other500IsNotARelogin: a Komodo application error (also a 500) is returned as is,
// body intact, without logging in again.
func TestJWT_Other500IsNotARelogin(t *testing.T) {
	f := newFakeKomodo(t)
	const answer = `{"error":"Did not find any Server matching prod-9","trace":[]}`
	f.failWith = answer
	rt := newJWT(t, f, adminCreds)
	resp, err := rt.RoundTrip(newRequest(t, "POST", f.url()+"/read/GetServer", `{"server":"prod-9"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	logins, api := f.stats()
	if resp.StatusCode != 500 || string(body) != answer || logins != 1 || len(api) != 1 {
		t.Errorf("status %d body %q, %d logins, %d API calls; want 500, the error, 1, 1", resp.StatusCode, body, logins, len(api))
	}
}

func TestJWT_RejectedTwiceReturnsKomodosAnswer(t *testing.T) {
	f := newFakeKomodo(t)
	f.answer = func(n int) (int, string) {
		return 200, fmt.Sprintf(`{"type":"Jwt","data":{"jwt":"never-valid-%d"}}`, n)
	}
	rt := newJWT(t, f, adminCreds)
	resp := do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
	logins, api := f.stats()
	if resp.StatusCode != http.StatusInternalServerError || logins != 2 || len(api) != 2 {
		t.Errorf("status %d, %d logins, %d API calls; want 500, 2, 2", resp.StatusCode, logins, len(api))
	}
}

func TestJWT_GivenTokenRejectedWithoutCredentials(t *testing.T) {
	f := newFakeKomodo(t)
	rt := newJWT(t, f, Credentials{JWT: "expired"})
	resp := do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
	if logins, _ := f.stats(); resp.StatusCode != http.StatusInternalServerError || logins != 0 {
		t.Errorf("status %d, %d logins", resp.StatusCode, logins)
	}
}

func TestJWT_LoginErrors(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		is      error  // nil: no sentinel
		wantMsg string // substring
	}{
		{"wrong password", 401, `{"error":"Invalid login credentials","trace":[]}`, ErrInvalidCredentials,
			`komodo login as "admin": invalid username or password: check KOMODO_USERNAME and KOMODO_PASSWORD`},
		{"login rate limit", 429, `{"error":"Too many attempts | Try again in 42s","trace":[]}`, nil,
			`komodo login as "admin": Too many attempts | Try again in 42s`},
		{"totp", 200, `{"type":"Totp","data":{"token":"abc"}}`, ErrSecondFactor, "two-factor authentication"},
		{"passkey", 200, `{"type":"Passkey","data":{}}`, ErrSecondFactor, "use an API key instead"},
		{"komodo error echoing the password", 500, `{"error":"Local login disabled (password hunter2-pw)","trace":["at login"]}`, nil,
			`komodo login as "admin": HTTP 500: Local login disabled (password REDACTED)`},
		{"proxy page", 502, `<html>Bad Gateway</html>`, nil, "HTTP 502: the answer is not a Komodo error (a proxy in the way?)"},
		{"not json", 200, `<html>login</html>`, nil, "the answer is not the JSON Komodo sends"},
		{"no token", 200, `{"type":"Jwt","data":{}}`, nil, "the answer holds no token"},
		{"unknown type", 200, `{"type":"Magic","data":{}}`, nil, `unexpected answer type "Magic"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeKomodo(t)
			f.answer = func(int) (int, string) { return tt.status, tt.body }
			rt := newJWT(t, f, adminCreds)
			_, err := rt.RoundTrip(newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
			if err == nil {
				t.Fatal("no error")
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tt.is)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q lacks %q", err, tt.wantMsg)
			}
			if tt.status == 429 {
				if e, ok := errors.AsType[*errcode.Error](err); !ok || e.Code != errcode.AuthError || !strings.Contains(e.Hint, "42s") {
					t.Errorf("rate-limited login: %#v, want AUTH_ERROR with the wait in the hint", err)
				}
			}
			if strings.Contains(err.Error(), testPassword) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error leaks the password or spans lines: %q", err)
			}
			if _, api := f.stats(); len(api) != 0 {
				t.Error("request sent without a session")
			}
			if rt.HasSession() {
				t.Error("HasSession() after a failed login")
			}
		})
	}
}

func TestJWT_LogoutAndRefresh(t *testing.T) {
	f := newFakeKomodo(t)
	rt := newJWT(t, f, adminCreds)
	send := func() string {
		t.Helper()
		do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
		_, api := f.stats()
		return api[len(api)-1].header.Get("Authorization")
	}

	if tok := send(); tok != "jwt-1" {
		t.Fatalf("token %q", tok)
	}
	rt.Logout()
	if rt.HasSession() {
		t.Error("HasSession() after Logout")
	}
	if tok := send(); tok != "jwt-2" {
		t.Errorf("after Logout the next request used %q, want a new login", tok)
	}
	if err := rt.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	if tok := send(); tok != "jwt-3" {
		t.Errorf("after Refresh: %q", tok)
	}
	if logins, _ := f.stats(); logins != 3 {
		t.Errorf("%d logins, want 3", logins)
	}
}

func TestJWT_TokenOnlyLogout(t *testing.T) {
	f := newFakeKomodo(t, "given")
	rt := newJWT(t, f, Credentials{JWT: "given"})
	if err := rt.Refresh(context.Background()); !errors.Is(err, ErrNoSession) {
		t.Errorf("Refresh without credentials: %v", err)
	}
	rt.Logout()
	_, err := rt.RoundTrip(newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
	if !errors.Is(err, ErrNoSession) {
		t.Errorf("after Logout: err = %v, want ErrNoSession", err)
	}
}

// A request that gives up while a shared login is under way does not cancel the login for
// the others, and does not wait for it.
func TestJWT_CancelWhileWaitingForLogin(t *testing.T) {
	f := newFakeKomodo(t)
	f.gate = make(chan struct{})
	rt := newJWT(t, f, adminCreds)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req := newRequest(t, "POST", f.url()+"/read/ListServers", "{}").WithContext(ctx)
	if _, err := rt.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want deadline exceeded", err)
	}
	close(f.gate)
	do(t, rt, newRequest(t, "POST", f.url()+"/read/ListServers", "{}"))
	if logins, _ := f.stats(); logins != 1 {
		t.Errorf("%d logins, want the first one reused", logins)
	}
}

func TestJWT_StringHidesSecrets(t *testing.T) {
	f := newFakeKomodo(t, "tok-secret")
	rt := newJWT(t, f, Credentials{JWT: "tok-secret", Username: "admin", Password: testPassword})
	for _, s := range []string{fmt.Sprint(rt), fmt.Sprintf("%+v", rt), fmt.Sprintf("%#v", rt)} {
		if strings.Contains(s, testPassword) || strings.Contains(s, "tok-secret") {
			t.Errorf("rendering leaks a secret: %s", s)
		}
	}
}

// TestJWT_Renew: the update websocket renews a token Komodo refused; a caller holding a token
// already replaced gets the current one without another login.
func TestJWT_Renew(t *testing.T) {
	f := newFakeKomodo(t)
	rt := newJWT(t, f, adminCreds)
	first, err := rt.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	second, err := rt.Renew(context.Background(), first)
	if err != nil || second == first || second == "" {
		t.Fatalf("Renew(%q) = %q, %v; want a new token", first, second, err)
	}
	again, err := rt.Renew(context.Background(), first)
	if logins, _ := f.stats(); err != nil || again != second || logins != 2 {
		t.Errorf("second Renew of the old token = %q, %v after %d logins; want %q without a login", again, err, logins, second)
	}
	tokenOnly := newJWT(t, f, Credentials{JWT: "given"})
	if _, err := tokenOnly.Renew(context.Background(), "given"); !errors.Is(err, ErrNoSession) {
		t.Errorf("Renew without a password: %v, want ErrNoSession", err)
	}
}
