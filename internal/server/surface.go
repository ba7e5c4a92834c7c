package server

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/arguments"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/gateway"
	"github.com/komodo-mcp/komodo-mcp/internal/policy"
	"github.com/komodo-mcp/komodo-mcp/internal/selection"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
	"github.com/komodo-mcp/komodo-mcp/internal/toolsearch"
)

// surface is everything about the server that depends on the Komodo version it serves:
// the catalog, the tools it builds and lists, and what is built from them on first use.
// UseKomodo replaces it whole, so a call sees one version from start to end.
type surface struct {
	catalog  *catalog.Catalog
	exposed  []*Tool             // listed in tools/list
	all      map[string]*Tool    // the whole inventory, by name
	names    []string            // the whole inventory's names, sorted
	listed   map[string]struct{} // names in tools/list
	gateway  bool                // komodo_call_tool is listed
	policy   *policy.Policy      // the server's, for the permit
	checker  arguments.Checker   // compiled input schemas, by tool name
	handlers map[string]Handler

	searchOnce sync.Once
	search     *toolsearch.Index // komodo_search_tools' index, built on first use
}

var _ tool.Surface = (*surface)(nil)

// newSurface builds the tools of sel.Catalog (nil: the newest version) that sel selects.
func newSurface(sel Selection, pol *policy.Policy) (*surface, error) {
	c := sel.Catalog
	if c == nil {
		c = catalog.Newest()
	}
	all := InventoryFor(c)
	if sel.ReadOnly {
		all = gateway.ReadOnly(all)
	}
	chosen, err := selection.Select(all, sel)
	if err != nil {
		return nil, err
	}
	sf := &surface{
		catalog:  c,
		exposed:  chosen,
		all:      make(map[string]*Tool, len(all)),
		listed:   make(map[string]struct{}, len(chosen)),
		gateway:  gateway.Listed(chosen),
		policy:   pol,
		handlers: map[string]Handler{},
	}
	for _, t := range all {
		sf.all[t.Def.Name] = t
		sf.names = append(sf.names, t.Def.Name)
	}
	sort.Strings(sf.names)
	for _, t := range chosen {
		sf.listed[t.Def.Name] = struct{}{}
	}
	return sf, nil
}

// Lookup finds a tool of the whole inventory.
func (sf *surface) Lookup(name string) (*Tool, bool) {
	t, ok := sf.all[name]
	return t, ok
}

// Listed reports whether a tool is in tools/list.
func (sf *surface) Listed(name string) bool {
	_, ok := sf.listed[name]
	return ok
}

// Gateway reports whether komodo_call_tool is listed.
func (sf *surface) Gateway() bool { return sf.gateway }

// ReadOnly reports whether only tools that change nothing may be called.
func (sf *surface) ReadOnly() bool { return sf.policy.ReadOnly }

// Permit is the one decision whether a tool may be called - directly, by name, or
// through komodo_call_tool: the tool exists in this Komodo version, and the policy allows
// it (not excluded; on a read-only server, it changes nothing). It returns the tool, or a
// refusal.
func (sf *surface) Permit(name string) (*Tool, *errcode.Error) {
	t, ok := sf.all[name]
	if !ok {
		if msg := sf.notInThisVersion(name); msg != "" {
			return nil, tool.Invalid(msg, "this Core cannot do it; komodo_read_KomodoChanges says what an upgrade brings")
		}
		return nil, &errcode.Error{Code: errcode.NotFound, Message: fmt.Sprintf("no tool named %q", name), Hint: gateway.Closest(sf, sf.names, name)}
	}
	if e := sf.policy.Allows(t); e != nil {
		return nil, e
	}
	return t, nil
}

// searchIndex is komodo_search_tools' index, built on first use.
func (sf *surface) searchIndex() *toolsearch.Index {
	sf.searchOnce.Do(func() { sf.search = gateway.Index(sf, sf.names) })
	return sf.search
}

// sf is the surface in use.
func (s *Server) sf() *surface { return s.surface.Load() }

// Catalog is the catalog of the Komodo version the server serves.
func (s *Server) Catalog() *catalog.Catalog { return s.sf().catalog }

// UseKomodo makes the server serve the tools of the Komodo version a Core reported
// (catalog.ForCore chooses the catalog): tools that version lacks leave tools/list, the
// others take its schemas, and clients get notifications/tools/list_changed. changed is
// false when the catalog was already in use.
func (s *Server) UseKomodo(version string) (m catalog.Match, changed bool, err error) {
	m, err = catalog.ForCore(version)
	if err != nil {
		return m, false, err
	}
	s.mu.Lock()
	old := s.sf()
	if old.catalog == m.Catalog {
		s.mu.Unlock()
		return m, false, nil
	}
	sel := s.sel
	sel.Catalog = m.Catalog
	sel.SkipMissing = true // checked against the starting catalog; this version may lack some
	sf, err := newSurface(sel, s.policy)
	if err != nil {
		s.mu.Unlock()
		return m, false, err
	}
	if err := s.env.provides(sf.all); err != nil {
		s.mu.Unlock()
		return m, false, err
	}
	s.surface.Store(sf)
	s.mu.Unlock()

	var gone []string
	for name := range old.listed {
		if _, ok := sf.listed[name]; !ok {
			gone = append(gone, name)
		}
	}
	sort.Strings(gone)
	if len(gone) > 0 {
		s.mcp.RemoveTools(gone...)
	}
	for _, t := range sf.exposed {
		s.mcp.AddTool(t.Def, s.handler(t))
	}
	s.logger.Info("serving the tools of a Komodo version", "komodo_version", version, "catalog", m.Catalog.Version,
		"tools_listed", len(sf.exposed), "tools_removed", len(gone))
	return m, true, nil
}

// DetectKomodo asks the Core its version and serves that version's tools (UseKomodo).
func (s *Server) DetectKomodo(ctx context.Context) (catalog.Match, error) {
	v, err := s.rpc.Version(ctx)
	if err != nil {
		return catalog.Match{}, err
	}
	m, _, err := s.UseKomodo(v)
	if err != nil {
		return m, &serveError{version: v, err: err}
	}
	if !m.Exact {
		s.logger.Warn(m.Warning, "komodo_version", v, "catalog", m.Catalog.Version)
	}
	return m, nil
}

// serveError is DetectKomodo's failure to serve the version the Core answered, told apart
// from a Core that does not answer.
type serveError struct {
	version string
	err     error
}

func (e *serveError) Error() string {
	return fmt.Sprintf("cannot serve the tools of Komodo %s: %v", e.version, e.err)
}

func (e *serveError) Unwrap() error { return e.err }

// WatchKomodo keeps the tools those of the version the Core runs until ctx ends: it asks
// every up while Komodo answers and every down while it does not, so that a Core that comes
// back from an outage (an upgrade, often) is met with its own version's tools.
func (s *Server) WatchKomodo(ctx context.Context, up, down time.Duration) {
	go func() {
		answering := true
		for {
			wait := up
			c, cancel := context.WithTimeout(ctx, 10*time.Second)
			_, err := s.DetectKomodo(c)
			cancel()
			var cannot *serveError
			switch {
			case ctx.Err() != nil:
				return
			case errors.As(err, &cannot):
				// The Core answers; asking again soon would only repeat the failure.
				s.logger.Error("keeping the tools served so far", "err", err)
			case err != nil:
				if answering {
					s.logger.Warn("Komodo does not answer its version: asking again until it does", "err", err)
				}
				answering, wait = false, down
			case !answering:
				s.logger.Info("Komodo answers again", "catalog", s.Catalog().Version)
				answering = true
			}
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
		}
	}()
}

// notInThisVersion explains a tool of the newest Komodo that the Core's version lacks, or
// says nothing ("") when that is not why the tool is unknown.
func (sf *surface) notInThisVersion(name string) string {
	c := sf.catalog
	if c == catalog.Newest() {
		return ""
	}
	t, ok := catalog.Newest().ByName(name)
	if !ok {
		return ""
	}
	if _, here := c.ByName(name); here {
		return ""
	}
	return fmt.Sprintf("%s is not available: this Komodo Core runs %s, which has no %s operation (Komodo %s has it)", name, c.Version, t.Operation, catalog.KomodoVersion)
}
