package sim

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// authenticate finds the calling user from x-api-key/x-api-secret, a raw JWT in
// authorization, or (with Options.AcceptHMAC) the hmac mode's signed headers.
func (s *Server) authenticate(r *http.Request, body []byte) (*user, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if key := r.Header.Get("x-api-key"); key != "" {
		return s.userByAPIKey(key, r.Header.Get("x-api-secret"))
	}
	if tok := r.Header.Get("authorization"); tok != "" {
		return s.userByJWT(tok)
	}
	if s.opts.AcceptHMAC {
		if key := r.Header.Get("X-Komodo-Api-Key"); key != "" {
			u, aerr := s.verifyHMAC(r, key, body)
			if aerr == nil && u.Disabled {
				return nil, unauthorized("Invalid user credentials")
			}
			return u, aerr
		}
	}
	// moghtech/lib auth/server/src/middleware.rs:37-38.
	return nil, unauthorized("Invalid client credentials")
}

// userByAPIKey checks an API key and secret; call with mu held.
func (s *Server) userByAPIKey(key, secret string) (*user, *apiError) {
	for _, u := range s.w.users {
		if u.APIKey != "" && u.APIKey == key && subtle.ConstantTimeCompare([]byte(u.APISecret), []byte(secret)) == 1 && !u.Disabled {
			return u, nil
		}
	}
	for _, k := range s.w.apiKeys {
		if k.Key == key && subtle.ConstantTimeCompare([]byte(k.Secret), []byte(secret)) == 1 {
			if u := s.w.findUser(k.UserID); u != nil && !u.Disabled {
				return u, nil
			}
		}
	}
	return nil, unauthorized("Invalid user credentials")
}

// userByJWT checks a JWT issued by LoginLocalUser; call with mu held. A token that does not
// decode (expired, malformed, signed with another secret) is a 500, as in Komodo: the decode
// error of moghtech/lib's middleware (auth/server/src/provider/jwt.rs:93,101; middleware.rs:98)
// carries no status and mogh_error defaults to 500. A valid token of a disabled or removed user
// is refused by Komodo's own user check with 401 (bin/core/src/auth/mod.rs:183).
func (s *Server) userByJWT(tok string) (*user, *apiError) {
	id, ok := s.verifyJWT(strings.TrimPrefix(strings.TrimSpace(tok), "Bearer "))
	if !ok {
		return nil, &apiError{Status: http.StatusInternalServerError, Msg: "Invalid user credentials"}
	}
	if u := s.w.findUser(id); u != nil && !u.Disabled {
		return u, nil
	}
	return nil, unauthorized("Invalid user credentials")
}

// SetState sets the state Komodo reports for a resource (a deployment "unhealthy", a server
// "NotOk"), as the Core's monitoring would after a change on the host.
func (s *Server) SetState(kind, name, state string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.w.find(kind, name)
	if r == nil {
		return fmt.Errorf("no %s %q", kind, name)
	}
	r.State = state
	return nil
}

func unauthorized(msg string) *apiError {
	return &apiError{Status: http.StatusUnauthorized, Msg: msg}
}

// verifyHMAC checks X-Komodo-Signature = hex(HMAC-SHA256(METHOD + PATH + BODY + TIMESTAMP, secret)).
func (s *Server) verifyHMAC(r *http.Request, key string, body []byte) (*user, *apiError) {
	ts := r.Header.Get("X-Komodo-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return nil, unauthorized("Invalid X-Komodo-Timestamp")
	}
	if d := time.Since(time.Unix(sec, 0)); d > s.opts.HMACSkew || d < -s.opts.HMACSkew {
		return nil, unauthorized("X-Komodo-Timestamp is outside the accepted window")
	}
	got, err := hex.DecodeString(r.Header.Get("X-Komodo-Signature"))
	if err != nil {
		return nil, unauthorized("Invalid X-Komodo-Signature")
	}
	for _, u := range s.w.users {
		if u.APIKey == "" || u.APIKey != key {
			continue
		}
		mac := hmac.New(sha256.New, []byte(u.APISecret))
		mac.Write([]byte(r.Method + r.URL.Path))
		mac.Write(body)
		mac.Write([]byte(ts))
		if hmac.Equal(mac.Sum(nil), got) {
			return u, nil
		}
	}
	return nil, unauthorized("Invalid user credentials")
}

var b64 = base64.RawURLEncoding

// issueJWT makes an HS256 JWT for a user id, valid for a day, with Komodo's claims: sub, and
// iat/exp in milliseconds (moghtech/lib auth/server/src/provider/jwt.rs:21-29,78-85).
func (s *Server) issueJWT(userID string) string {
	header := b64.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`))
	now := time.Now().UnixMilli()
	claims, _ := json.Marshal(map[string]any{"sub": userID, "iat": now, "exp": now + 86_400_000})
	payload := header + "." + b64.EncodeToString(claims)
	mac := hmac.New(sha256.New, s.jwtKey) // mu is held: handlers run under it
	mac.Write([]byte(payload))
	return payload + "." + b64.EncodeToString(mac.Sum(nil))
}

// RotateJWTSecret invalidates every JWT issued so far, as restarting a Komodo Core that has
// no fixed jwt_secret does: the next request with an old token is answered 500 "Invalid user
// credentials", and a client must log in again.
func (s *Server) RotateJWTSecret() {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	s.mu.Lock()
	s.jwtKey = key
	s.mu.Unlock()
}

func (s *Server) verifyJWT(tok string) (string, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return "", false
	}
	mac := hmac.New(sha256.New, s.jwtKey)
	mac.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := b64.DecodeString(parts[2])
	if err != nil || !hmac.Equal(mac.Sum(nil), sig) {
		return "", false
	}
	raw, err := b64.DecodeString(parts[1])
	if err != nil {
		return "", false
	}
	var claims struct {
		Sub string `json:"sub"`
		Exp int64  `json:"exp"`
	}
	if json.Unmarshal(raw, &claims) != nil || claims.Exp < time.Now().UnixMilli() {
		return "", false
	}
	return claims.Sub, true
}

// checkPermission: admins may do anything; other users may read, and may not write or
// execute (the seeded world grants them no permissions beyond the base Read).
// ExecuteTerminal checks its own, after resolving the target, as Komodo does.
func (s *Server) checkPermission(c *call) *apiError {
	if c.user == nil || c.user.Admin || c.op.Module == "read" || strings.HasPrefix(c.op.Module, "auth") || c.op.Module == "" ||
		c.op.ID == "PushRecentlyViewed" || c.op.ID == "SetLastSeenUpdate" || c.op.ID == "ExecuteTerminal" {
		return nil
	}
	return errf("User does not have required permissions on this resource")
}

// authHandlers registers the handlers of the auth API (/auth/login, /auth/manage) and the calling user.
func authHandlers(handle func(string, handlerFunc)) {
	handle("GetLoginOptions", func(s *Server, c *call) (any, *apiError) {
		return map[string]any{"local": true, "oidc": false, "github": false, "google": false, "registration_disabled": true, "oidc_auto_redirect": false}, nil
	})
	handle("LoginLocalUser", func(s *Server, c *call) (any, *apiError) {
		name, _ := c.body["username"].(string)
		pass, _ := c.body["password"].(string)
		u := s.w.findUser(name)
		if u == nil || u.Disabled || u.Password == "" || subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) != 1 {
			// moghtech/lib auth/server/src/api/login/local.rs:86-101.
			return nil, unauthorized("Invalid login credentials")
		}
		return map[string]any{"type": "Jwt", "data": map[string]any{"jwt": s.issueJWT(u.ID)}}, nil
	})
	handle("GetUser", func(s *Server, c *call) (any, *apiError) { return s.w.userJSON(c.user), nil })
	handle("GetCoreVersionText", func(s *Server, c *call) (any, *apiError) { return s.opts.KomodoVersion, nil })
	handle("GetVersion", func(s *Server, c *call) (any, *apiError) { return map[string]any{"version": s.opts.KomodoVersion}, nil })
}

// userJSON is a User as Komodo sends it (password hash blanked).
func (w *world) userJSON(u *user) map[string]any {
	// Komodo sanitizes users before answering: a local password hash becomes eight '#'
	// (entities/user.rs:204-210), TOTP and passkey data are cleared.
	config := map[string]any{"type": "Local", "data": map[string]any{"password": "########"}}
	if u.Service {
		config = map[string]any{"type": "Service", "data": map[string]any{"description": u.Description}}
	}
	return map[string]any{
		"_id":                       map[string]any{"$oid": u.ID},
		"username":                  u.Username,
		"enabled":                   !u.Disabled,
		"admin":                     u.Admin,
		"super_admin":               u.SuperAdmin,
		"create_server_permissions": u.Admin,
		"create_build_permissions":  u.Admin,
		"config":                    config,
		"external_skip_2fa":         false,
		"last_update_view":          seedBase,
		"recents":                   map[string]any{},
		"all":                       map[string]any{},
		"linked_logins":             map[string]any{},
		"passkey":                   nil,
		"totp":                      nil,
		"updated_at":                u.UpdatedAt,
	}
}
