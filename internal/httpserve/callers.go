package httpserve

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
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
// caller does not cost a GET /user per request, and which credentials Komodo refused, so
// that a wrong key costs Komodo at most one check per failTTL: asking Komodo is otherwise
// an unthrottled oracle for guessing keys. Checks that fail are also limited per client
// address (failPerAddr in failWindow), against guessing many keys. Entries are keyed by a
// hash of the credential: the credential itself is never kept. Concurrent checks of one
// credential share one request to Komodo.
type userCache struct {
	lookup UserLookup
	ttl    time.Duration
	max    int

	mu       sync.Mutex
	m        map[[sha256.Size]byte]cachedUser
	failed   map[[sha256.Size]byte]cachedFailure
	addrs    map[string]*addrFailures
	inflight map[[sha256.Size]byte]*flight
}

type cachedUser struct {
	user    User
	expires time.Time
}

type cachedFailure struct {
	err     error
	expires time.Time
}

// addrFailures counts the failed checks of one client address in the current window.
type addrFailures struct {
	start time.Time
	n     int
}

// flight is one request to Komodo that concurrent checks of a credential wait for.
type flight struct {
	done chan struct{}
	user User
	err  error
}

// Limits of the failed-check throttle.
const (
	failTTL     = 30 * time.Second // a refused credential is refused without asking for this long
	failWindow  = time.Minute      // the window of failPerAddr
	failPerAddr = 10               // checks Komodo may refuse per client address and window
)

// ErrTooManyFailures is the answer to a client address whose checks Komodo refused too
// often: no further credential is checked until the window ends.
var ErrTooManyFailures = errors.New("too many refused credentials from this address")

func newUserCache(lookup UserLookup, ttl time.Duration, max int) *userCache {
	return &userCache{lookup: lookup, ttl: ttl, max: max,
		m: map[[sha256.Size]byte]cachedUser{}, failed: map[[sha256.Size]byte]cachedFailure{},
		addrs: map[string]*addrFailures{}, inflight: map[[sha256.Size]byte]*flight{}}
}

func credentialHash(c auth.Caller) [sha256.Size]byte {
	if c.JWT != "" {
		return sha256.Sum256([]byte("jwt\x00" + c.JWT))
	}
	return sha256.Sum256([]byte("key\x00" + c.APIKey + "\x00" + c.APISecret))
}

// user returns the Komodo user of c, sent from client address addr: from the cache, or
// from Komodo. A credential Komodo refused is refused again without asking for failTTL;
// an address with failPerAddr refusals in failWindow gets ErrTooManyFailures for any
// credential not already known good.
func (uc *userCache) user(ctx context.Context, c auth.Caller, addr string) (User, error) {
	k := credentialHash(c)
	uc.mu.Lock()
	now := time.Now()
	if e, ok := uc.m[k]; ok && now.Before(e.expires) {
		uc.mu.Unlock()
		return e.user, nil
	}
	if f, ok := uc.failed[k]; ok && now.Before(f.expires) {
		uc.mu.Unlock()
		return User{}, f.err
	}
	if a := uc.addrs[addr]; a != nil && now.Sub(a.start) < failWindow && a.n >= failPerAddr {
		uc.mu.Unlock()
		return User{}, ErrTooManyFailures
	}
	if fl, ok := uc.inflight[k]; ok { // the same credential is being checked: wait for it
		uc.mu.Unlock()
		select {
		case <-fl.done:
			return fl.user, fl.err
		case <-ctx.Done():
			return User{}, ctx.Err()
		}
	}
	fl := &flight{done: make(chan struct{})}
	uc.inflight[k] = fl
	uc.mu.Unlock()

	fl.user, fl.err = uc.lookup(ctx, c)

	uc.mu.Lock()
	defer uc.mu.Unlock()
	delete(uc.inflight, k)
	close(fl.done)
	now = time.Now()
	if fl.err != nil {
		if e, ok := errors.AsType[*errcode.Error](fl.err); ok && e.Code == errcode.AuthError {
			uc.prune(now)
			uc.failed[k] = cachedFailure{err: fl.err, expires: now.Add(failTTL)}
			a := uc.addrs[addr]
			if a == nil || now.Sub(a.start) >= failWindow {
				a = &addrFailures{start: now}
				uc.addrs[addr] = a
			}
			a.n++
		}
		return User{}, fl.err
	}
	uc.prune(now)
	uc.m[k] = cachedUser{user: fl.user, expires: now.Add(uc.ttl)}
	return fl.user, nil
}

// prune keeps every map under max entries: the expired go first, then arbitrary ones.
func (uc *userCache) prune(now time.Time) {
	pruneMap(uc.m, uc.max, func(e cachedUser) bool { return now.After(e.expires) })
	pruneMap(uc.failed, uc.max, func(e cachedFailure) bool { return now.After(e.expires) })
	pruneMap(uc.addrs, uc.max, func(a *addrFailures) bool { return now.Sub(a.start) >= failWindow })
}

// pruneMap, once m holds limit entries, deletes stale entries and then, if that is not
// enough, arbitrary ones, until m is down to half of limit: the next prune is limit/2
// insertions away.
func pruneMap[K comparable, V any](m map[K]V, limit int, stale func(V) bool) {
	if len(m) < limit {
		return
	}
	for key, v := range m {
		if len(m) < limit/2 {
			return
		}
		if stale(v) {
			delete(m, key)
		}
	}
	for key := range m {
		if len(m) < limit/2 {
			return
		}
		delete(m, key)
	}
}
