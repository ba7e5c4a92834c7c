// Package names is the per-session index of Komodo resources: ids to names for compact
// results (tag ids in `tags`, the ids of update and alert targets) and names to ids for
// every parameter where Komodo takes an id (a target filter, query.specific.server_ids...).
// One Cache serves one MCP session; it learns every name of a type with one list call,
// keeps at most MaxPerType of them for TTL, and asks Komodo again on a miss - no more often
// than every Retry for an id (an id that names nothing does not cost a call per lookup),
// and after a second for a name (a resource created a moment ago is found). A full list
// the session reads anyway teaches the index its type for free (Learn).
package names

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// Caller calls Komodo (rpc.Client satisfies it).
type Caller interface {
	Call(ctx context.Context, method, path string, body []byte) ([]byte, error)
}

// Options bound a cache; zero values mean the defaults.
type Options struct {
	TTL        time.Duration // how long a type's names are trusted (default 5m)
	Retry      time.Duration // least time between two fetches of a type on misses (default 10s)
	MaxPerType int           // most names kept per type (default 5000)
}

func (o Options) withDefaults() Options {
	if o.TTL <= 0 {
		o.TTL = 5 * time.Minute
	}
	if o.Retry <= 0 {
		o.Retry = 10 * time.Second
	}
	if o.MaxPerType <= 0 {
		o.MaxPerType = 5000
	}
	return o
}

// Cache resolves ids to names for one session. It is safe for concurrent use.
type Cache struct {
	call  Caller
	o     Options
	mu    sync.Mutex
	types map[string]*typeNames
}

type typeNames struct {
	byID    map[string]string
	byName  map[string]string // name -> id (Komodo names are unique within a type)
	fetched time.Time         // when byID was read
	tried   time.Time         // when a read was last attempted
	err     error             // why the last read failed, nil when it did not
}

// set replaces the names of a type, read at t.
func (t *typeNames) set(byID map[string]string, at time.Time) {
	t.byID, t.fetched, t.err = byID, at, nil
	t.byName = make(map[string]string, len(byID))
	for id, name := range byID {
		t.byName[name] = id
	}
}

// New returns an empty cache reading names through call.
func New(call Caller, o Options) *Cache {
	return &Cache{call: call, o: o.withDefaults(), types: map[string]*typeNames{}}
}

// Name returns the name of the resource of Komodo type typ ("Tag", "Server", ...) with
// id, fetching the type's names when they are unknown, stale, or miss this id.
func (c *Cache) Name(ctx context.Context, typ, id string) (string, bool) {
	path, ok := listPaths[typ]
	if !ok || id == "" {
		return "", false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.types[typ]
	if t != nil {
		name, hit := t.byID[id]
		if hit && time.Since(t.fetched) < c.o.TTL {
			return name, true
		}
		if time.Since(t.tried) < c.o.Retry {
			return name, hit // a stale name beats none
		}
	} else {
		t = &typeNames{byID: map[string]string{}}
		c.types[typ] = t
	}
	t.tried = time.Now()
	// Names are a convenience: when the list fails, an answer keeps its ids (or stale
	// names) rather than failing, and the list is not asked again before Retry.
	if byID, err := c.fetch(ctx, path); err == nil {
		t.set(byID, t.tried)
	}
	name, ok := t.byID[id]
	return name, ok
}

// listPaths are the list operations naming every resource of a type.
var listPaths = map[string]string{
	"Tag":          "/read/ListTags",
	"Server":       "/read/ListServers",
	"Swarm":        "/read/ListSwarms",
	"Stack":        "/read/ListStacks",
	"Deployment":   "/read/ListDeployments",
	"Build":        "/read/ListBuilds",
	"Repo":         "/read/ListRepos",
	"Procedure":    "/read/ListProcedures",
	"Action":       "/read/ListActions",
	"Builder":      "/read/ListBuilders",
	"Alerter":      "/read/ListAlerters",
	"ResourceSync": "/read/ListResourceSyncs",
}

// fetch lists one type: resource lists answer items {id, name}, ListTags answers full
// tags {_id: {$oid}, name}. limit 0 asks Komodo for every item (2.3 paginates lists).
func (c *Cache) fetch(ctx context.Context, path string) (map[string]string, error) {
	body := []byte(`{"limit":0}`)
	if path == "/read/ListTags" {
		body = []byte(`{}`)
	}
	data, err := c.call.Call(ctx, "POST", path, body)
	if err != nil {
		return nil, err
	}
	var items []struct {
		ID  string `json:"id"`
		OID struct {
			Oid string `json:"$oid"`
		} `json:"_id"`
		Name string `json:"name"`
	}
	if err := json.Unmarshal(data, &items); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	byID := make(map[string]string, min(len(items), c.o.MaxPerType))
	for _, it := range items {
		if len(byID) >= c.o.MaxPerType {
			break
		}
		id := it.ID
		if id == "" {
			id = it.OID.Oid
		}
		if id != "" && it.Name != "" {
			byID[id] = it.Name
		}
	}
	return byID, nil
}

// Sessions keeps one Cache per session key, at most Max of them (the least recently used
// is dropped), so that a long-running HTTP server does not grow with every session.
type Sessions struct {
	call Caller
	o    Options
	max  int

	mu    sync.Mutex
	tick  uint64
	cache map[any]*sessionCache
}

type sessionCache struct {
	c    *Cache
	used uint64
}

// NewSessions returns per-session caches; max <= 0 means 256.
func NewSessions(call Caller, o Options, max int) *Sessions {
	if max <= 0 {
		max = 256
	}
	return &Sessions{call: call, o: o, max: max, cache: map[any]*sessionCache{}}
}

// For returns the cache of a session (any comparable key, e.g. *mcp.ServerSession).
func (s *Sessions) For(key any) *Cache {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tick++
	if sc, ok := s.cache[key]; ok {
		sc.used = s.tick
		return sc.c
	}
	if len(s.cache) >= s.max {
		var oldest any
		var used uint64 = 1<<64 - 1
		for k, sc := range s.cache {
			if sc.used < used {
				oldest, used = k, sc.used
			}
		}
		delete(s.cache, oldest)
	}
	c := New(s.call, s.o)
	s.cache[key] = &sessionCache{c: c, used: s.tick}
	return c
}

// Len is the number of sessions with a cache.
func (s *Sessions) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.cache)
}

// Ref is a resource found by name.
type Ref struct {
	Type, ID, Name string
}

// Types are the resource types a Cache can name, in the order Find reports them.
var Types = []string{"Server", "Stack", "Deployment", "Build", "Repo", "Procedure", "Action", "Builder", "Alerter", "ResourceSync", "Swarm"}

// Find returns the resources of every type whose name matches: exactly (case
// insensitive) when exact, else containing query. Types whose list fails are skipped.
func (c *Cache) Find(ctx context.Context, query string, exact bool) []Ref {
	q := strings.ToLower(strings.TrimSpace(query))
	if q == "" {
		return nil
	}
	var out []Ref
	for _, typ := range Types {
		for id, name := range c.all(ctx, typ) {
			n := strings.ToLower(name)
			if n == q || (!exact && strings.Contains(n, q)) {
				out = append(out, Ref{Type: typ, ID: id, Name: name})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return slices.Index(Types, out[i].Type) < slices.Index(Types, out[j].Type)
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Names returns every name of a type (for suggestions), sorted.
func (c *Cache) Names(ctx context.Context, typ string) []string {
	var out []string
	for _, name := range c.all(ctx, typ) {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// all is a copy of the id -> name map of a type, read from Komodo when unknown or older
// than TTL (at most once per Retry).
func (c *Cache) all(ctx context.Context, typ string) map[string]string {
	path, ok := listPaths[typ]
	if !ok {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.types[typ]
	if t == nil {
		t = &typeNames{byID: map[string]string{}}
		c.types[typ] = t
	}
	if time.Since(t.fetched) >= c.o.TTL && time.Since(t.tried) >= c.o.Retry {
		t.tried = time.Now()
		if byID, err := c.fetch(ctx, path); err == nil {
			t.set(byID, t.tried)
		}
	}
	return maps.Clone(t.byID)
}

// nameRetry is the least time between two reads of a type for a name it lacks: short,
// because the name may be of a resource created a moment ago, and a wrong "not found" is
// worse than a request.
const nameRetry = time.Second

// ErrUnknown is the error of a name no resource of the type has.
var ErrUnknown = errors.New("no such resource")

// ID returns the id of the resource of type typ named ref (an id is returned as it is
// when the index knows it, or when it looks like one). A name the index lacks reads the
// type again; a name still unknown is ErrUnknown, and a failed read is its error.
func (c *Cache) ID(ctx context.Context, typ, ref string) (string, error) {
	refs, err := c.IDs(ctx, ref, []string{typ})
	if err != nil {
		return "", err
	}
	return refs[0].ID, nil
}

// IDs returns the resources named ref (or with id ref) among types, read from the index;
// only when none is found are the types read again (those not read within a second). It
// is ErrUnknown when no resource matches, or the error of a read that failed.
func (c *Cache) IDs(ctx context.Context, ref string, types []string) ([]Ref, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	var failed error
	for attempt := 0; attempt < 2; attempt++ {
		var found []Ref
		for _, typ := range types {
			path, ok := listPaths[typ]
			if !ok {
				continue
			}
			t := c.types[typ]
			if t == nil {
				t = &typeNames{byID: map[string]string{}}
				c.types[typ] = t
			}
			stale := time.Since(t.fetched) >= c.o.TTL
			if (stale || attempt > 0) && time.Since(t.tried) >= nameRetry {
				t.tried = time.Now()
				if byID, err := c.fetch(ctx, path); err == nil {
					t.set(byID, t.tried)
				} else {
					t.err = err
				}
			}
			if id, ok := t.byName[ref]; ok {
				found = append(found, Ref{Type: typ, ID: id, Name: ref})
			} else if name, ok := t.byID[ref]; ok {
				found = append(found, Ref{Type: typ, ID: ref, Name: name})
			} else if t.err != nil {
				failed = t.err // the name may be among what could not be read
			}
		}
		if len(found) > 0 {
			return found, nil
		}
	}
	if failed != nil {
		return nil, failed
	}
	return nil, ErrUnknown
}

// Learn replaces the index of a type with a complete list the session read anyway: the
// items of an unfiltered List call ({id, name} resource list items), so that later
// lookups need no request.
func (c *Cache) Learn(typ string, items []any) {
	if _, ok := listPaths[typ]; !ok || typ == "Tag" {
		return
	}
	byID := make(map[string]string, min(len(items), c.o.MaxPerType))
	for _, it := range items {
		m, _ := it.(map[string]any)
		id, _ := m["id"].(string)
		name, _ := m["name"].(string)
		if id == "" || name == "" {
			return // not resource list items: learn nothing
		}
		if len(byID) < c.o.MaxPerType {
			byID[id] = name
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := c.types[typ]
	if t == nil {
		t = &typeNames{}
		c.types[typ] = t
	}
	t.tried = time.Now()
	t.set(byID, t.tried)
}

// ListType is the resource type whose names a list operation ("ListServers") answers,
// and whether it is one.
func ListType(operation string) (string, bool) {
	for typ, path := range listPaths {
		if path == "/read/"+operation {
			return typ, true
		}
	}
	return "", false
}
