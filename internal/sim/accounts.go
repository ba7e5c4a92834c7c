package sim

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Git provider and image registry accounts (client/core/rs/src/entities/provider.rs,
// bin/core/src/api/{read,write}/provider.rs): a domain, a username and the access token,
// which Komodo answers whole to admins.

type account struct {
	ID, Domain, Username, Token string
	HTTPS                       bool // git providers only
}

func (a *account) json(git bool) map[string]any {
	m := map[string]any{"_id": map[string]any{"$oid": a.ID}, "domain": a.Domain, "username": a.Username, "token": a.Token}
	if git {
		m["https"] = a.HTTPS
	}
	return m
}

// accountHandlers registers List/Get/Create/Update/Delete of GitProviderAccount and
// ImageRegistryAccount.
func accountHandlers(handle func(string, handlerFunc)) {
	for _, k := range []struct {
		kind string
		git  bool
		list func(w *world) *[]*account
	}{
		{"GitProviderAccount", true, func(w *world) *[]*account { return &w.gitAccounts }},
		{"ImageRegistryAccount", false, func(w *world) *[]*account { return &w.registryAccounts }},
	} {
		find := func(s *Server, id string) (*account, int, *apiError) {
			for i, a := range *k.list(s.w) {
				if a.ID == id {
					return a, i, nil
				}
			}
			return nil, -1, errf("Failed to get %s from db | no %s found with id %s", k.kind, k.kind, id)
		}
		handle("List"+k.kind+"s", func(s *Server, c *call) (any, *apiError) {
			out := []any{}
			for _, a := range *k.list(s.w) {
				if d := str(c.body, "domain"); d != "" && d != a.Domain {
					continue
				}
				if u := str(c.body, "username"); u != "" && u != a.Username {
					continue
				}
				out = append(out, a.json(k.git))
			}
			return out, nil
		})
		handle("Get"+k.kind, func(s *Server, c *call) (any, *apiError) {
			a, _, err := find(s, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			return a.json(k.git), nil
		})
		handle("Create"+k.kind, func(s *Server, c *call) (any, *apiError) {
			in, _ := c.body["account"].(map[string]any)
			a := &account{ID: s.w.newID(), Domain: str(in, "domain"), Username: str(in, "username"), Token: str(in, "token"), HTTPS: true}
			if a.Domain == "" {
				return nil, errf("Domain cannot be empty string.")
			}
			if h, ok := in["https"].(bool); ok {
				a.HTTPS = h
			}
			*k.list(s.w) = append(*k.list(s.w), a)
			return a.json(k.git), nil
		})
		handle("Update"+k.kind, func(s *Server, c *call) (any, *apiError) {
			a, _, err := find(s, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			in, _ := c.body["account"].(map[string]any)
			for field, dst := range map[string]*string{"domain": &a.Domain, "username": &a.Username, "token": &a.Token} {
				if v, ok := in[field].(string); ok {
					*dst = v
				}
			}
			if h, ok := in["https"].(bool); ok {
				a.HTTPS = h
			}
			return a.json(k.git), nil
		})
		handle("Delete"+k.kind, func(s *Server, c *call) (any, *apiError) {
			a, i, err := find(s, str(c.body, "id"))
			if err != nil {
				return nil, err
			}
			list := k.list(s.w)
			*list = append((*list)[:i:i], (*list)[i+1:]...)
			return a.json(k.git), nil
		})
	}
}

// apiKeyHandlers registers CreateApiKey (for the caller) and CreateApiKeyForServiceUser:
// a new key and secret that authenticate as the user at once
// (bin/core/src/api/write/user.rs, moghtech/lib auth manage).
func apiKeyHandlers(handle func(string, handlerFunc)) {
	create := func(s *Server, u *user, name string, expires int64) map[string]any {
		k := apiKey{Key: "K-" + randomHex(16), Secret: "S-" + randomHex(24), UserID: u.ID, Name: name, CreatedAt: time.Now().UnixMilli(), Expires: expires}
		s.w.apiKeys = append(s.w.apiKeys, k)
		return map[string]any{"key": k.Key, "secret": k.Secret}
	}
	handle("CreateApiKey", func(s *Server, c *call) (any, *apiError) {
		expires, _ := c.body["expires"].(float64)
		return create(s, c.user, str(c.body, "name"), int64(expires)), nil
	})
	handle("CreateApiKeyForServiceUser", func(s *Server, c *call) (any, *apiError) {
		if !c.user.Admin {
			return nil, errf("This call is admin-only")
		}
		u := s.w.findUser(str(c.body, "user_id"))
		if u == nil {
			return nil, notFound("User", str(c.body, "user_id"))
		}
		if !u.Service {
			return nil, errf("Target user is not Service user")
		}
		expires, _ := c.body["expires"].(float64)
		return create(s, u, str(c.body, "name"), int64(expires)), nil
	})
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
