package server

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
)

// Misses teach: a name Komodo does not know comes back with the closest names that
// exist, and an error that points at a tool points at one the assistant can call.

// komodoNotFound is Komodo's not-found phrasing for resources, e.g. "Did not find any
// Deployment matching api" (bin/core/src/resource/mod.rs, get_check_permissions).
var komodoNotFound = regexp.MustCompile(`^Did not find any (\w+) matching (.+)$`)

// didYouMean adds the closest existing names to a NOT_FOUND about a resource name.
func (s *Server) didYouMean(ctx context.Context, session any, e *errcode.Error) *errcode.Error {
	if e == nil || e.Code != errcode.NotFound {
		return e
	}
	m := komodoNotFound.FindStringSubmatch(strings.TrimSpace(e.Message))
	if m == nil {
		return e
	}
	typ, ref := m[1], strings.TrimSpace(m[2])
	close := suggest.Closest(ref, s.namesFor(session).Names(ctx, typ), 3)
	if len(close) == 0 {
		return e
	}
	c := *e
	c.Hint = strings.TrimSpace(fmt.Sprintf("Did you mean %s? %s", orList(close), e.Hint))
	return &c
}

func orList(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	return strings.Join(names[:len(names)-1], ", ") + " or " + names[len(names)-1]
}

var toolNameRE = regexp.MustCompile(`\bkomodo_[a-z]+_[A-Za-z]+\b`)

// reach says which tools an error names (in its message or hint) are not in the session's
// list but can be called through komodo_call_tool; "" when none. The edge puts it in the
// error's own field: the rendered JSON is never edited.
func (s *Server) reach(e *errcode.Error) string {
	if !s.sf().gateway {
		return ""
	}
	var hidden []string
	for _, name := range toolNameRE.FindAllString(e.Message+"\n"+e.Hint, -1) {
		if _, listed := s.sf().listed[name]; listed || contains(hidden, name) {
			continue
		}
		if t, refused := s.permit(name); refused == nil && !t.Dispatches && !appOnly(t) {
			hidden = append(hidden, name)
		}
	}
	if len(hidden) == 0 {
		return ""
	}
	return fmt.Sprintf("[%s: not in your tool list; call it through komodo_call_tool]", strings.Join(hidden, ", "))
}
