// Package authtools is the auth toolset: login, logout and token refresh of the server's
// own session with Komodo, and a status tool. No secret ever travels in their arguments or
// results.
package authtools

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Account is the server's own standing with Komodo (internal/rpc's client): how it
// authenticates, its session in jwt mode (nil otherwise), and who it is.
type Account interface {
	AuthMode() auth.Mode
	Session() *auth.JWT
	User(ctx context.Context) ([]byte, error)
}

// Deps are what the auth tools' handlers use.
type Deps interface {
	Account() Account
}

// The auth module: login, logout and token refresh (planned by the seed contract), plus a status
// tool. The tools act on the server's own session and take no arguments, so that no secret
// ever travels in a tool call: credentials come only from the server's configuration, and
// results name the user but never carry a token, key, secret or password.

// modeJWT is how the auth tools report jwt mode; the other modes report the configured
// mode (api-key or hmac), which both authenticate every request with the API key.
const modeJWT = "jwt"

// noArgsSchema is the input schema of the auth tools.
const noArgsSchema = `{"type":"object","properties":{},"additionalProperties":false}`

// Tools are the tools of the auth toolset, off by default.
func Tools() []*tool.Tool {
	return []*tool.Tool{
		authTool("komodo_auth_Login", "Log in to Komodo",
			"Establish the server's session with Komodo using the credentials in the server's configuration, and report the user they belong to. "+
				"In jwt mode this logs in with KOMODO_USERNAME/KOMODO_PASSWORD (when no session is held). "+
				"In api-key and hmac modes there is no session: every request is authenticated with the API key, so this only checks that Komodo accepts it. "+
				"Takes no arguments: credentials never travel through tool calls.",
			catalog.EffectSession, true, true, authLogin),
		authTool("komodo_auth_Logout", "Log out of Komodo",
			"Forget the server's JWT session. Komodo keeps no server-side session, so nothing is sent to Komodo; the next call logs in again when a username and password are configured. "+
				"In api-key and hmac modes there is no session and nothing changes. Takes no arguments.",
			catalog.EffectSession, true, false, authLogout),
		authTool("komodo_auth_RefreshToken", "Refresh the Komodo token",
			"Replace the server's JWT with a fresh one by logging in again with the configured username and password. "+
				"In api-key and hmac modes there is no token to refresh and nothing changes. Takes no arguments.",
			catalog.EffectSession, true, true, authRefresh),
		authTool("komodo_auth_Status", "Komodo authentication status",
			"Report the auth mode, whether a session is held, and the calling user (username, id, admin flags). "+
				"Never returns a token or secret, and never logs in: with no session held it says so instead of asking Komodo.",
			catalog.EffectRead, true, true, authStatus),
	}
}

// authTool builds one auth tool; run does the work. The input schema admits no
// argument, so a call with one (a credential the user hoped to pass) is refused by name
// before run, never echoing its value.
func authTool(name, title, description string, effect catalog.Effect, idempotent, openWorld bool, run func(context.Context, Account) (*mcp.CallToolResult, error)) *tool.Tool {
	// Forgetting a token is undone by logging in again: no auth tool is destructive.
	ann := tool.Annotations(title, effect, idempotent)
	ann.OpenWorldHint = &openWorld
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:        name,
			Title:       title,
			Description: description,
			InputSchema: json.RawMessage(noArgsSchema),
			Annotations: ann,
		},
		Effect:    effect,
		Operation: strings.TrimPrefix(name, "komodo_auth_"),
		Module:    "auth",
		Toolset:   "auth",
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, _ *tool.Call) (*mcp.CallToolResult, error) {
				return run(ctx, d.Account())
			}
		}),
	}
}

func authLogin(ctx context.Context, s Account) (*mcp.CallToolResult, error) {
	jwt := s.Session()
	if jwt == nil {
		u, err := currentUser(ctx, s)
		if err != nil {
			return nil, authFailure(err)
		}
		return tool.Success(map[string]any{
			"mode": string(s.AuthMode()), "session": false, "user": u,
			"message": fmt.Sprintf("API-key mode has no session to log in to: every request is authenticated with the configured API key and secret. Komodo accepts them as user %s.", u["username"]),
		}), nil
	}
	loggedIn := false
	if !jwt.HasSession() {
		if err := jwt.Refresh(ctx); err != nil {
			return nil, authFailure(err)
		}
		loggedIn = true
	}
	// Asking for the user proves the session works; a token Komodo rejects is replaced by
	// a fresh login inside the transport when a username and password are configured.
	u, err := currentUser(ctx, s)
	if err != nil {
		return nil, authFailure(err)
	}
	msg := fmt.Sprintf("Logged in to Komodo as %s.", u["username"])
	if !loggedIn {
		msg = fmt.Sprintf("Already logged in to Komodo as %s; the session works. Use komodo_auth_RefreshToken for a fresh token.", u["username"])
	}
	return tool.Success(map[string]any{"mode": modeJWT, "session": jwt.HasSession(), "logged_in": loggedIn, "user": u, "message": msg}), nil
}

func authLogout(_ context.Context, s Account) (*mcp.CallToolResult, error) {
	jwt := s.Session()
	if jwt == nil {
		return tool.Success(map[string]any{
			"mode": string(s.AuthMode()), "session": false, "changed": false,
			"message": "API keys have no session, so there is nothing to log out of and nothing changed. To stop this server using the key, remove KOMODO_API_KEY/KOMODO_API_SECRET from its configuration, or delete the key in Komodo.",
		}), nil
	}
	had := jwt.HasSession()
	jwt.Logout()
	const next = "Komodo keeps no server-side session, so nothing was sent to Komodo. The next call to Komodo logs in again if KOMODO_USERNAME and KOMODO_PASSWORD are configured, and fails with AUTH_ERROR if not."
	msg := "Forgot the session token. " + next
	if !had {
		msg = "No session was held; nothing changed. " + next
	}
	return tool.Success(map[string]any{"mode": modeJWT, "session": false, "changed": had, "message": msg}), nil
}

func authRefresh(ctx context.Context, s Account) (*mcp.CallToolResult, error) {
	jwt := s.Session()
	if jwt == nil {
		return tool.Success(map[string]any{
			"mode": string(s.AuthMode()), "session": false, "refreshed": false,
			"message": "API keys have no token to refresh: every request is authenticated with the configured API key and secret, which stay valid until deleted or expired in Komodo. Nothing changed.",
		}), nil
	}
	if err := jwt.Refresh(ctx); err != nil {
		if errors.Is(err, auth.ErrNoSession) && jwt.HasSession() {
			// A token given as KOMODO_JWT without a username and password: Refresh kept it.
			return nil, &errcode.Error{Code: errcode.AuthError, Err: err,
				Message: "cannot refresh the token: no KOMODO_USERNAME/KOMODO_PASSWORD is configured to log in with; the current token (KOMODO_JWT) stays in use until Komodo rejects it",
				Hint:    "Configure KOMODO_USERNAME and KOMODO_PASSWORD to let the server log in again, or give it a new KOMODO_JWT and restart it."}
		}
		return nil, authFailure(err)
	}
	return tool.Success(map[string]any{
		"mode": modeJWT, "session": true, "refreshed": true,
		"message": "Logged in again with the configured username and password; the new token replaces the old one.",
	}), nil
}

func authStatus(ctx context.Context, s Account) (*mcp.CallToolResult, error) {
	jwt := s.Session()
	if jwt != nil && !jwt.HasSession() {
		// Asking Komodo would log in, which a status report must not do.
		return tool.Success(map[string]any{
			"mode": modeJWT, "session": false, "user": nil,
			"message": "No session is held. The next call to Komodo (or komodo_auth_Login) logs in with the configured username and password.",
		}), nil
	}
	u, err := currentUser(ctx, s)
	if err != nil {
		return nil, authFailure(err)
	}
	if jwt == nil {
		return tool.Success(map[string]any{
			"mode": string(s.AuthMode()), "session": false, "user": u,
			"message": fmt.Sprintf("Every request is authenticated with the configured API key and secret (no session). Komodo accepts them as user %s.", u["username"]),
		}), nil
	}
	return tool.Success(map[string]any{
		"mode": modeJWT, "session": jwt.HasSession(), "user": u,
		"message": fmt.Sprintf("Logged in to Komodo as %s.", u["username"]),
	}), nil
}

// currentUser asks Komodo who the credentials belong to (GET /user) and keeps only who
// they are: the full User also holds login configuration that is nobody's business here.
func currentUser(ctx context.Context, s Account) (map[string]any, error) {
	data, err := s.User(ctx) // GET /user, or Komodo 1's POST /auth/GetUser
	if err != nil {
		return nil, err
	}
	var u struct {
		ID struct {
			OID string `json:"$oid"`
		} `json:"_id"`
		Username   string `json:"username"`
		Enabled    *bool  `json:"enabled"`
		Admin      bool   `json:"admin"`
		SuperAdmin bool   `json:"super_admin"`
		Config     struct {
			Type string `json:"type"`
		} `json:"config"`
	}
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, &errcode.Error{Code: errcode.ServerError, Message: "Komodo's answer to GET /user is not a user: " + err.Error(),
			Hint: "KOMODO_URL must be the Komodo Core base URL"}
	}
	out := map[string]any{"id": u.ID.OID, "username": u.Username, "admin": u.Admin, "super_admin": u.SuperAdmin}
	if u.Enabled != nil {
		out["enabled"] = *u.Enabled
	}
	if u.Config.Type != "" {
		out["kind"] = u.Config.Type // Local, Service, Oidc, ...: a Service user is an API-only account
	}
	return out, nil
}

// loginErrors are the failures of jwt mode's login; each message says what to do.
var loginErrors = []error{auth.ErrInvalidCredentials, auth.ErrSecondFactor, auth.ErrNoSession}

// authFailure classifies err as a tool error. A failed login reaches us as a transport error
// (the JWT transport could not get a token), which would otherwise read as a network
// failure: it is an AUTH_ERROR, told in the auth package's words, which name the settings
// to check and never the password.
func authFailure(err error) *errcode.Error {
	for _, le := range loginErrors {
		if errors.Is(err, le) {
			return &errcode.Error{Code: errcode.AuthError, Message: "Komodo login failed: " + le.Error(),
				Hint: "Fix the credentials in the server's configuration and restart it; they cannot be passed as tool arguments.", Err: err}
		}
	}
	if _, ok := errors.AsType[*errcode.Error](err); ok {
		return rpc.AsError(err)
	}
	// A login that failed on the way (Komodo down, TLS, DNS) carries no code yet.
	return errcode.FromTransport(err)
}
