package names

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// fakeKomodo answers list calls from a table and counts them.
type fakeKomodo struct {
	mu     sync.Mutex
	bodies map[string]string // path -> JSON answer
	fail   bool
	calls  map[string]int
}

func (f *fakeKomodo) Call(_ context.Context, method, path string, body []byte) ([]byte, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]int{}
	}
	f.calls[path]++
	if method != "POST" {
		return nil, fmt.Errorf("method %s", method)
	}
	if path != "/read/ListTags" && !strings.Contains(string(body), `"limit":0`) {
		return nil, fmt.Errorf("%s without limit 0 reads only the first page", path)
	}
	if f.fail {
		return nil, errors.New("connection refused")
	}
	return []byte(f.bodies[path]), nil
}

func TestCache_Name(t *testing.T) { synctest.Test(t, testCacheName) }

func testCacheName(t *testing.T) {
	k := &fakeKomodo{bodies: map[string]string{
		"/read/ListTags":        `[{"_id":{"$oid":"t1"},"name":"prod","color":"Red"}]`,
		"/read/ListDeployments": `[{"id":"d1","name":"api-gateway","info":{}}]`,
	}}
	c := New(k, Options{TTL: time.Minute, Retry: 10 * time.Second})
	ctx := context.Background()
	if n, ok := c.Name(ctx, "Tag", "t1"); !ok || n != "prod" {
		t.Fatalf("tag: %q %v", n, ok)
	}
	if n, ok := c.Name(ctx, "Deployment", "d1"); !ok || n != "api-gateway" {
		t.Fatalf("deployment: %q %v", n, ok)
	}
	c.Name(ctx, "Tag", "t1")
	if k.calls["/read/ListTags"] != 1 {
		t.Fatalf("a cached name was fetched again: %d calls", k.calls["/read/ListTags"])
	}
	// A miss refetches, but not more often than Retry.
	if _, ok := c.Name(ctx, "Tag", "t2"); ok {
		t.Fatal("unknown id resolved")
	}
	if k.calls["/read/ListTags"] != 1 {
		t.Fatalf("a miss within Retry fetched again: %d calls", k.calls["/read/ListTags"])
	}
	<-time.After(11 * time.Second) // the bubble's clock moves on
	k.bodies["/read/ListTags"] = `[{"_id":{"$oid":"t1"},"name":"prod"},{"_id":{"$oid":"t2"},"name":"new"}]`
	if n, ok := c.Name(ctx, "Tag", "t2"); !ok || n != "new" {
		t.Fatalf("new tag after Retry: %q %v", n, ok)
	}
	// After TTL a known name is read again (a rename shows).
	<-time.After(2 * time.Minute) // the bubble's clock moves on
	k.bodies["/read/ListTags"] = `[{"_id":{"$oid":"t1"},"name":"production"}]`
	if n, _ := c.Name(ctx, "Tag", "t1"); n != "production" {
		t.Fatalf("renamed tag after TTL: %q", n)
	}
	if _, ok := c.Name(ctx, "NoSuchType", "x"); ok {
		t.Fatal("unknown type resolved")
	}
}

func TestCache_FailureKeepsStaleNamesAndBacksOff(t *testing.T) {
	synctest.Test(t, testCacheFailureKeepsStaleNamesAndBacksOff)
}

func testCacheFailureKeepsStaleNamesAndBacksOff(t *testing.T) {
	k := &fakeKomodo{bodies: map[string]string{"/read/ListServers": `[{"id":"s1","name":"prod-1"}]`}}
	c := New(k, Options{TTL: time.Minute, Retry: 10 * time.Second})
	ctx := context.Background()
	c.Name(ctx, "Server", "s1")
	<-time.After(2 * time.Minute) // the bubble's clock moves on
	k.fail = true
	if n, ok := c.Name(ctx, "Server", "s1"); !ok || n != "prod-1" {
		t.Fatalf("stale name on failure: %q %v", n, ok)
	}
	for range 5 {
		c.Name(ctx, "Server", "s2")
	}
	if k.calls["/read/ListServers"] != 2 {
		t.Fatalf("failing list called %d times, want 2 (first read, one retry)", k.calls["/read/ListServers"])
	}
}

func TestCache_MaxPerType(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i := range 10 {
		if i > 0 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, `{"id":"s%d","name":"n%d"}`, i, i)
	}
	b.WriteString("]")
	c := New(&fakeKomodo{bodies: map[string]string{"/read/ListServers": b.String()}}, Options{MaxPerType: 3})
	c.Name(context.Background(), "Server", "s0")
	if got := len(c.types["Server"].byID); got != 3 {
		t.Fatalf("kept %d names, want 3", got)
	}
}

func TestSessions_Bounded(t *testing.T) {
	s := NewSessions(&fakeKomodo{}, Options{}, 2)
	a, b := s.For("a"), s.For("b")
	if s.For("a") != a {
		t.Fatal("same session, different cache")
	}
	s.For("c") // evicts b, the least recently used
	if s.Len() != 2 {
		t.Fatalf("%d sessions kept, want 2", s.Len())
	}
	if s.For("a") != a {
		t.Fatal("recently used session was evicted")
	}
	if s.For("b") == b {
		t.Fatal("least recently used session was kept")
	}
}

func TestCache_Find(t *testing.T) { synctest.Test(t, testCacheFind) }

func testCacheFind(t *testing.T) {
	k := &fakeKomodo{bodies: map[string]string{
		"/read/ListDeployments": `[{"id":"d1","name":"redis-cache"},{"id":"d2","name":"api-gateway"}]`,
		"/read/ListStacks":      `[{"id":"s1","name":"redis"}]`,
		"/read/ListServers":     `[{"id":"v1","name":"prod-1"}]`,
	}}
	c := New(k, Options{})
	ctx := context.Background()
	got := c.Find(ctx, "Redis", false)
	want := []Ref{{"Stack", "s1", "redis"}, {"Deployment", "d1", "redis-cache"}}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("Find = %v, want %v", got, want)
	}
	if got := c.Find(ctx, "redis", true); len(got) != 1 || got[0].ID != "s1" {
		t.Fatalf("exact Find = %v", got)
	}
	calls := k.calls["/read/ListDeployments"]
	c.Find(ctx, "api", false)
	if k.calls["/read/ListDeployments"] != calls {
		t.Fatal("a second Find within TTL listed again")
	}
	if got := c.Names(ctx, "Deployment"); fmt.Sprint(got) != "[api-gateway redis-cache]" {
		t.Fatalf("Names = %v", got)
	}
}

func TestCache_IDs(t *testing.T) { synctest.Test(t, testCacheIDs) }

func testCacheIDs(t *testing.T) {
	k := &fakeKomodo{bodies: map[string]string{
		"/read/ListDeployments": `[{"id":"d1","name":"api","info":{}}]`,
		"/read/ListBuilds":      `[{"id":"b1","name":"api","info":{}},{"id":"b2","name":"web","info":{}}]`,
		"/read/ListServers":     `[]`,
	}}
	c := New(k, Options{TTL: time.Minute, Retry: 10 * time.Second})
	ctx := context.Background()
	types := []string{"Server", "Deployment", "Build"}
	refs, err := c.IDs(ctx, "api", types)
	if err != nil || len(refs) != 2 || refs[0] != (Ref{"Deployment", "d1", "api"}) || refs[1] != (Ref{"Build", "b1", "api"}) {
		t.Fatalf("IDs(api) = %v, %v", refs, err)
	}
	// Known types answer from the index: no request.
	if id, err := c.ID(ctx, "Build", "web"); err != nil || id != "b2" {
		t.Fatalf("ID(Build, web) = %q, %v", id, err)
	}
	if n := k.calls["/read/ListBuilds"]; n != 1 {
		t.Fatalf("ListBuilds read %d times, want once", n)
	}
	// A name the index lacks reads the types again (after a second: it may be new).
	<-time.After(2 * time.Second) // the bubble's clock moves on
	k.bodies["/read/ListServers"] = `[{"id":"s1","name":"edge-02","info":{}}]`
	if id, err := c.ID(ctx, "Server", "edge-02"); err != nil || id != "s1" {
		t.Fatalf("new server: %q, %v", id, err)
	}
	if _, err := c.ID(ctx, "Server", "nope"); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown name: %v, want ErrUnknown", err)
	}
	// Learn: a complete list read anyway replaces the type's index.
	c.Learn("Deployment", []any{map[string]any{"id": "d9", "name": "fresh"}})
	before := k.calls["/read/ListDeployments"]
	if id, err := c.ID(ctx, "Deployment", "fresh"); err != nil || id != "d9" || k.calls["/read/ListDeployments"] != before {
		t.Fatalf("learnt name: %q, %v (%d reads)", id, err, k.calls["/read/ListDeployments"]-before)
	}
	if typ, ok := ListType("ListResourceSyncs"); !ok || typ != "ResourceSync" {
		t.Errorf("ListType = %q %v", typ, ok)
	}
	// When Komodo cannot be read, a stale name still resolves; an unknown one is the
	// read's error, not "unknown".
	k.fail = true
	<-time.After(2 * time.Minute) // the bubble's clock moves on
	if id, err := c.ID(ctx, "Build", "web"); err != nil || id != "b2" {
		t.Errorf("stale name during a failure: %q, %v", id, err)
	}
	if _, err := c.ID(ctx, "Build", "other"); err == nil || errors.Is(err, ErrUnknown) {
		t.Errorf("failed read: %v", err)
	}
}
