package catalogtools

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/suggest"
)

// Misses teach: a name Komodo does not know comes back with the closest names that exist.

// komodoNotFound is Komodo's not-found phrasing for resources, e.g. "Did not find any
// Deployment matching api" (bin/core/src/resource/mod.rs, get_check_permissions).
var komodoNotFound = regexp.MustCompile(`^Did not find any (\w+) matching (.+)$`)

// didYouMean adds the closest existing names to a NOT_FOUND about a resource name.
func didYouMean(ctx context.Context, index *names.Cache, e *errcode.Error) *errcode.Error {
	if e == nil || e.Code != errcode.NotFound {
		return e
	}
	m := komodoNotFound.FindStringSubmatch(strings.TrimSpace(e.Message))
	if m == nil {
		return e
	}
	typ, ref := m[1], strings.TrimSpace(m[2])
	close := suggest.Closest(ref, index.Names(ctx, typ), 3)
	if len(close) == 0 {
		return e
	}
	c := *e
	c.Hint = strings.TrimSpace(fmt.Sprintf("Did you mean %s? %s", suggest.OrList(close), e.Hint))
	return &c
}
