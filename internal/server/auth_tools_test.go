package server_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

var authToolNames = []string{"komodo_auth_Login", "komodo_auth_Logout", "komodo_auth_RefreshToken", "komodo_auth_Status"}

// jwtRe matches any JWT (header.payload.signature, the header starting with `{"`).
var jwtRe = regexp.MustCompile(`eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+`)

// jwtConfig is testConfig in jwt mode, logging in with the given password.
func jwtConfig(url, password string) *config.Config {
	cfg := testConfig(url)
	cfg.AuthMode = auth.ModeJWT
	cfg.APIKey, cfg.APISecret = "", ""
	cfg.Username, cfg.Password = sim.DemoUsername, password
	return cfg
}

// noSecrets fails when a secret or any JWT appears in the result's text or structuredContent.
func noSecrets(t *testing.T, res *mcp.CallToolResult, secrets ...string) {
	t.Helper()
	var all strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			all.WriteString(tc.Text)
		}
	}
	sc, _ := json.Marshal(res.StructuredContent)
	all.Write(sc)
	out := all.String()
	for _, s := range append(secrets, sim.DemoAPISecret, sim.DemoPassword) {
		if strings.Contains(out, s) {
			t.Errorf("a secret appears in the result: %s", out)
		}
	}
	if jwtRe.MatchString(out) {
		t.Errorf("a JWT appears in the result: %s", out)
	}
}

// authCall calls an auth tool and checks that the result carries no secret.
func authCall(t *testing.T, cs *mcp.ClientSession, name string, secrets ...string) *mcp.CallToolResult {
	t.Helper()
	res := call(t, cs, name, `{}`)
	noSecrets(t, res, secrets...)
	return res
}

func TestAuthTools_Selection(t *testing.T) {
	s := simtest.Start(t)
	cfg := testConfig(s.URL())
	listed := func(sel server.Selection) map[string]*mcp.Tool {
		out := map[string]*mcp.Tool{}
		for tool, err := range connect(t, cfg, sel).Tools(context.Background(), nil) {
			if err != nil {
				t.Fatal(err)
			}
			out[tool.Name] = tool
		}
		return out
	}
	def := listed(server.Selection{})
	for _, n := range authToolNames {
		if def[n] != nil {
			t.Errorf("%s is in the default surface; the auth toolset is off by default", n)
		}
	}
	for _, ts := range []string{"auth", "all"} {
		got := listed(server.Selection{Toolsets: []string{ts}})
		for _, n := range authToolNames {
			tool := got[n]
			if tool == nil {
				t.Errorf("--toolsets %s: %s missing", ts, n)
				continue
			}
			a := tool.Annotations
			if a == nil || a.DestructiveHint == nil || *a.DestructiveHint || a.OpenWorldHint == nil || a.Title == "" || tool.Description == "" {
				t.Errorf("%s: annotations %+v", n, a)
			}
			if a != nil && a.ReadOnlyHint != (n == "komodo_auth_Status") {
				t.Errorf("%s: readOnlyHint %t", n, a.ReadOnlyHint)
			}
		}
	}
	ro := listed(server.Selection{Toolsets: []string{"auth"}, ReadOnly: true})
	if len(ro) != 1 || ro["komodo_auth_Status"] == nil {
		t.Errorf("--toolsets auth --read-only = %v, want only komodo_auth_Status", ro)
	}
}

func TestAuthTools_APIKey(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"auth"}})

	st := structured(t, authCall(t, cs, "komodo_auth_Status"))
	user, _ := st["user"].(map[string]any)
	if st["mode"] != "api-key" || st["session"] != false || user["username"] != sim.DemoUsername || user["admin"] != true || user["id"] == "" {
		t.Errorf("status = %v", st)
	}

	login := structured(t, authCall(t, cs, "komodo_auth_Login"))
	if login["session"] != false || !strings.Contains(login["message"].(string), "no session") || login["user"].(map[string]any)["username"] != sim.DemoUsername {
		t.Errorf("login = %v", login)
	}

	for _, name := range []string{"komodo_auth_Logout", "komodo_auth_RefreshToken"} {
		got := structured(t, authCall(t, cs, name))
		if got["mode"] != "api-key" || got["session"] != false || got["changed"] == true || got["refreshed"] == true ||
			!strings.Contains(got["message"].(string), "nothing changed") && !strings.Contains(got["message"].(string), "Nothing changed") {
			t.Errorf("%s = %v", name, got)
		}
	}
	// Logging out changed nothing: the key still works.
	structured(t, authCall(t, cs, "komodo_auth_Status"))
}

// TestAuthTools_HMAC: the hmac mode's signed headers also carry an API key and secret, so the
// tools behave as in api-key mode.
func TestAuthTools_HMAC(t *testing.T) {
	s := simtest.Start(t, func(o *sim.Options) { o.AcceptHMAC = true })
	cfg := testConfig(s.URL())
	cfg.AuthMode = auth.ModeHMAC
	cs := connect(t, cfg, server.Selection{Toolsets: []string{"auth"}})
	for _, name := range []string{"komodo_auth_Status", "komodo_auth_Login"} {
		got := structured(t, authCall(t, cs, name))
		if got["mode"] == "jwt" || got["session"] != false || got["user"].(map[string]any)["username"] != sim.DemoUsername {
			t.Errorf("%s in hmac mode = %v", name, got)
		}
	}
	if got := structured(t, authCall(t, cs, "komodo_auth_Logout")); got["changed"] != false {
		t.Errorf("logout in hmac mode = %v", got)
	}
}

func TestAuthTools_APIKeyWrongSecret(t *testing.T) {
	s := simtest.Start(t)
	cfg := testConfig(s.URL())
	cfg.APISecret = "wrong-secret-value"
	cs := connect(t, cfg, server.Selection{Toolsets: []string{"auth"}})
	for _, name := range []string{"komodo_auth_Login", "komodo_auth_Status"} {
		res := authCall(t, cs, name, "wrong-secret-value")
		if code, _ := toolError(t, res); code != "AUTH_ERROR" {
			t.Errorf("%s with a wrong secret: %s", name, code)
		}
	}
}

func TestAuthTools_JWT(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, jwtConfig(s.URL(), sim.DemoPassword), server.Selection{Toolsets: []string{"auth", "default"}})
	logins := func() int { return s.Count("LoginLocalUser") }

	st := structured(t, authCall(t, cs, "komodo_auth_Status"))
	if st["mode"] != "jwt" || st["session"] != false || st["user"] != nil || logins() != 0 {
		t.Errorf("status before any call = %v, %d logins", st, logins())
	}

	login := structured(t, authCall(t, cs, "komodo_auth_Login"))
	if login["session"] != true || login["logged_in"] != true || login["user"].(map[string]any)["username"] != sim.DemoUsername || logins() != 1 {
		t.Errorf("login = %v, %d logins", login, logins())
	}
	again := structured(t, authCall(t, cs, "komodo_auth_Login"))
	if again["logged_in"] != false || logins() != 1 {
		t.Errorf("second login = %v, %d logins: a held session is verified, not replaced", again, logins())
	}

	st = structured(t, authCall(t, cs, "komodo_auth_Status"))
	if st["session"] != true || st["user"].(map[string]any)["username"] != sim.DemoUsername {
		t.Errorf("status after login = %v", st)
	}

	ref := structured(t, authCall(t, cs, "komodo_auth_RefreshToken"))
	if ref["refreshed"] != true || ref["session"] != true || logins() != 2 {
		t.Errorf("refresh = %v, %d logins", ref, logins())
	}

	out := structured(t, authCall(t, cs, "komodo_auth_Logout"))
	if out["session"] != false || out["changed"] != true {
		t.Errorf("logout = %v", out)
	}
	out = structured(t, authCall(t, cs, "komodo_auth_Logout"))
	if out["changed"] != false {
		t.Errorf("second logout = %v", out)
	}

	st = structured(t, authCall(t, cs, "komodo_auth_Status"))
	if st["session"] != false || st["user"] != nil || logins() != 2 {
		t.Errorf("status after logout = %v, %d logins: status must not log in", st, logins())
	}

	// A read tool logs in again by itself.
	res := call(t, cs, "komodo_read_ListServers", `{}`)
	noSecrets(t, res)
	if items, _ := structured(t, res)["items"].([]any); len(items) == 0 || logins() != 3 {
		t.Errorf("ListServers after logout: %d items, %d logins", len(items), logins())
	}
	if st = structured(t, authCall(t, cs, "komodo_auth_Status")); st["session"] != true {
		t.Errorf("status after the transparent login = %v", st)
	}
}

func TestAuthTools_JWTWrongPassword(t *testing.T) {
	const wrong = "not-the-demo-password"
	s := simtest.Start(t)
	cs := connect(t, jwtConfig(s.URL(), wrong), server.Selection{Toolsets: []string{"auth"}})
	for _, name := range []string{"komodo_auth_Login", "komodo_auth_RefreshToken"} {
		res := authCall(t, cs, name, wrong)
		code, msg := toolError(t, res)
		if code != "AUTH_ERROR" || !strings.Contains(msg, "KOMODO_PASSWORD") {
			t.Errorf("%s with a wrong password: %s %q", name, code, msg)
		}
	}
	st := structured(t, authCall(t, cs, "komodo_auth_Status", wrong))
	if st["session"] != false {
		t.Errorf("status after a failed login = %v", st)
	}
}

// TestAuthTools_GivenToken covers KOMODO_JWT without a username and password: the token
// works, cannot be refreshed, and once forgotten cannot be got back.
func TestAuthTools_GivenToken(t *testing.T) {
	s := simtest.Start(t)
	resp, err := http.Post(s.URL()+auth.LoginPath, "application/json",
		strings.NewReader(`{"username":"`+sim.DemoUsername+`","password":"`+sim.DemoPassword+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var answer struct{ Data struct{ JWT string } }
	if err := json.Unmarshal(body, &answer); err != nil || answer.Data.JWT == "" {
		t.Fatalf("simulator login: %s", body)
	}
	tok := answer.Data.JWT

	cfg := jwtConfig(s.URL(), "")
	cfg.Username, cfg.JWT = "", tok
	cs := connect(t, cfg, server.Selection{Toolsets: []string{"auth"}})

	if st := structured(t, authCall(t, cs, "komodo_auth_Status", tok)); st["session"] != true || st["user"].(map[string]any)["username"] != sim.DemoUsername {
		t.Errorf("status with a given token = %v", st)
	}
	if login := structured(t, authCall(t, cs, "komodo_auth_Login", tok)); login["logged_in"] != false || login["session"] != true {
		t.Errorf("login with a given token = %v", login)
	}
	code, msg := toolError(t, authCall(t, cs, "komodo_auth_RefreshToken", tok))
	if code != "AUTH_ERROR" || !strings.Contains(msg, "stays in use") {
		t.Errorf("refresh without a password: %s %q", code, msg)
	}
	structured(t, authCall(t, cs, "komodo_auth_Status", tok)) // the token survived the failed refresh

	structured(t, authCall(t, cs, "komodo_auth_Logout", tok))
	code, msg = toolError(t, authCall(t, cs, "komodo_auth_Login", tok))
	if code != "AUTH_ERROR" || !strings.Contains(msg, "KOMODO_USERNAME") {
		t.Errorf("login after forgetting a given token: %s %q", code, msg)
	}
	if n := s.Count("LoginLocalUser"); n != 1 {
		t.Errorf("%d logins reached Komodo, want only the test's own", n)
	}
}

// TestAuthTools_NoArguments checks that the tools refuse arguments - the only thing one
// could pass is a credential - without echoing them.
func TestAuthTools_NoArguments(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, jwtConfig(s.URL(), sim.DemoPassword), server.Selection{Toolsets: []string{"auth"}})
	for _, name := range authToolNames {
		res := call(t, cs, name, `{"password":"`+sim.DemoPassword+`"}`)
		noSecrets(t, res)
		code, msg := toolError(t, res)
		if code != "VALIDATION_ERROR" || !strings.Contains(msg, "`password`") {
			t.Errorf("%s with a password argument: %s %q", name, code, msg)
		}
	}
	if n := s.Count("LoginLocalUser"); n != 0 {
		t.Errorf("refused calls logged in %d times", n)
	}
	structured(t, call(t, cs, "komodo_auth_Status", `null`))
}
