package httpserve

import (
	"context"
	"crypto/sha256"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
)

// Identity is who made one HTTP request.
type Identity struct {
	// Name is what the audit log records: the token's name, the Komodo username behind
	// pass-through credentials, or "local" for an unauthenticated loopback caller.
	Name string
	// UserID binds a session to the caller that opened it ("token:<name>" or
	// "komodo:<user id>"); empty for unauthenticated loopback callers.
	UserID string
	// Caller holds pass-through credentials; zero when the server uses its own.
	Caller auth.Caller
}

// User is the Komodo user behind pass-through credentials.
type User struct {
	ID       string
	Username string
}

// UserLookup asks Komodo whose credentials c are (GET /user). An *errcode.Error with code
// AUTH_ERROR means Komodo refused them; any other error means Komodo could not be asked.
type UserLookup func(ctx context.Context, c auth.Caller) (User, error)

// userCache remembers, briefly, which Komodo user a credential belongs to, so that a busy
// caller does not cost a GET /user per request. It is keyed by a hash of the credential:
// the credential itself is never kept.
type userCache struct {
	lookup UserLookup
	ttl    time.Duration
	max    int

	mu sync.Mutex
	m  map[[sha256.Size]byte]cachedUser
}

type cachedUser struct {
	user    User
	expires time.Time
}

var timeNow = time.Now // only tests change this

func newUserCache(lookup UserLookup, ttl time.Duration, max int) *userCache {
	return &userCache{lookup: lookup, ttl: ttl, max: max, m: map[[sha256.Size]byte]cachedUser{}}
}

func credentialHash(c auth.Caller) [sha256.Size]byte {
	if c.JWT != "" {
		return sha256.Sum256([]byte("jwt\x00" + c.JWT))
	}
	return sha256.Sum256([]byte("key\x00" + c.APIKey + "\x00" + c.APISecret))
}

// user returns the Komodo user of c, from the cache or from Komodo. Failures are not cached.
func (uc *userCache) user(ctx context.Context, c auth.Caller) (User, error) {
	k := credentialHash(c)
	now := timeNow()
	uc.mu.Lock()
	if e, ok := uc.m[k]; ok && now.Before(e.expires) {
		uc.mu.Unlock()
		return e.user, nil
	}
	uc.mu.Unlock()

	u, err := uc.lookup(ctx, c)
	if err != nil {
		return User{}, err
	}
	uc.mu.Lock()
	defer uc.mu.Unlock()
	if len(uc.m) >= uc.max {
		for key, e := range uc.m { // drop the expired; if none, an arbitrary one
			if now.After(e.expires) || len(uc.m) >= uc.max {
				delete(uc.m, key)
			}
			if len(uc.m) < uc.max/2 {
				break
			}
		}
	}
	uc.m[k] = cachedUser{user: u, expires: now.Add(uc.ttl)}
	return u, nil
}
