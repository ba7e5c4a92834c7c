package httpserve

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/auth"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// lookupStub is a UserLookup that knows one good key and counts what it is asked.
type lookupStub struct{ asked atomic.Int32 }

func (l *lookupStub) lookup(_ context.Context, c auth.Caller) (User, error) {
	l.asked.Add(1)
	if c.APISecret == "good" {
		return User{ID: "u-" + c.APIKey, Username: c.APIKey}, nil
	}
	return User{}, &errcode.Error{Code: errcode.AuthError, Message: "invalid api key"}
}

func key(k, secret string) auth.Caller { return auth.Caller{APIKey: k, APISecret: secret} }

// TestUserCache_Expiry runs on a synctest bubble's clock: a known user is answered from the
// cache for the ttl and checked again after it; a refused credential is refused without
// asking Komodo for failTTL; an address refused failPerAddr times is throttled for the
// rest of failWindow, but not for a credential known good.
func TestUserCache_Expiry(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		l := &lookupStub{}
		uc := newUserCache(l.lookup, userCacheTTL, 100)
		ctx := context.Background()
		asks := func() int { return int(l.asked.Load()) }

		if u, err := uc.user(ctx, key("alice", "good"), "10.0.0.1"); err != nil || u.Username != "alice" {
			t.Fatalf("alice: %+v, %v", u, err)
		}
		<-time.After(userCacheTTL - time.Second) // the bubble's clock moves on
		if _, err := uc.user(ctx, key("alice", "good"), "10.0.0.1"); err != nil || asks() != 1 {
			t.Fatalf("within the ttl: %v, %d checks; want 1", err, asks())
		}
		<-time.After(2 * time.Second)
		if _, err := uc.user(ctx, key("alice", "good"), "10.0.0.1"); err != nil || asks() != 2 {
			t.Fatalf("after the ttl: %v, %d checks; want 2", err, asks())
		}

		if _, err := uc.user(ctx, key("alice", "bad"), "10.0.0.2"); err == nil || asks() != 3 {
			t.Fatalf("bad secret: %v, %d checks", err, asks())
		}
		<-time.After(failTTL - time.Second)
		if _, err := uc.user(ctx, key("alice", "bad"), "10.0.0.2"); err == nil || asks() != 3 {
			t.Fatalf("refused again within failTTL: %v, %d checks; want no new check", err, asks())
		}
		<-time.After(2 * time.Second)
		if _, err := uc.user(ctx, key("alice", "bad"), "10.0.0.2"); err == nil || asks() != 4 {
			t.Fatalf("after failTTL: %v, %d checks; want a new check", err, asks())
		}

		// One address guesses: after failPerAddr refusals, nothing more is checked until
		// the window (opened by its first refusal) ends.
		windowStart := time.Now()
		for i := range failPerAddr {
			if _, err := uc.user(ctx, key(fmt.Sprint("guess", i), "bad"), "10.0.0.3"); err == nil || err == ErrTooManyFailures {
				t.Fatalf("guess %d: %v", i, err)
			}
		}
		before := asks()
		if _, err := uc.user(ctx, key("one-more", "bad"), "10.0.0.3"); err != ErrTooManyFailures || asks() != before {
			t.Fatalf("over the limit: %v, %d new checks; want ErrTooManyFailures without asking", err, asks()-before)
		}
		if _, err := uc.user(ctx, key("alice", "good"), "10.0.0.3"); err != nil {
			t.Fatalf("a key known good from a throttled address: %v", err)
		}
		<-time.After(failWindow - time.Since(windowStart))
		if _, err := uc.user(ctx, key("one-more", "bad"), "10.0.0.3"); err == ErrTooManyFailures || asks() != before+1 {
			t.Fatalf("after the window: %v, %d new checks; want a check", err, asks()-before)
		}
	})
}

// TestUserCache_PruneStaleFirst: a full cache drops its expired entries before any live
// one, and ends at most half full, whatever the map's order (run many times).
func TestUserCache_PruneStaleFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		for round := range 50 {
			l := &lookupStub{}
			const limit = 8
			uc := newUserCache(l.lookup, time.Minute, limit)
			ctx := context.Background()
			for i := range limit - 1 {
				if _, err := uc.user(ctx, key(fmt.Sprint("old", i), "good"), "a"); err != nil {
					t.Fatal(err)
				}
			}
			<-time.After(2 * time.Minute) // the bubble's clock: the seven are stale
			for _, k := range []string{"new1", "new2"} {
				if _, err := uc.user(ctx, key(k, "good"), "a"); err != nil {
					t.Fatal(err)
				}
			}
			uc.mu.Lock()
			n := len(uc.m)
			_, new1 := uc.m[credentialHash(key("new1", "good"))]
			uc.mu.Unlock()
			if !new1 || n > limit/2 {
				t.Fatalf("round %d: %d entries, live entry kept: %v; want the stale ones gone first and at most %d left", round, n, new1, limit/2)
			}
		}
	})
}

// TestPruneMap_FullOfLiveEntries: with nothing stale, arbitrary entries go, down to half.
func TestPruneMap_FullOfLiveEntries(t *testing.T) {
	m := map[int]bool{}
	for i := range 10 {
		m[i] = false
	}
	pruneMap(m, 10, func(stale bool) bool { return stale })
	if len(m) != 4 {
		t.Errorf("%d entries left of 10 live ones with limit 10, want 4 (under half)", len(m))
	}
}
