package catalogtools

import (
	"context"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// indexed is Komodo as one session's calls see it: the client, with the session's index
// of resources (internal/names) answering the name lookups of internal/params, so that a
// name costs no request once its type is known.
type indexed struct {
	tool.Komodo
	names *names.Cache
}

var _ params.Names = indexed{}

// IDs resolves a name from the session's index.
func (k indexed) IDs(ctx context.Context, ref string, types []string) ([]names.Ref, error) {
	return k.names.IDs(ctx, ref, types)
}

// learn gives the session's index a complete list the call read anyway: every item of
// an unfiltered List of a resource type (before redaction and shaping).
func learn(index *names.Cache, t *catalog.Tool, plan *params.Plan, env map[string]any) {
	typ, ok := names.ListType(t.Operation)
	items, _ := env["items"].([]any)
	total, _ := env["total"].(int)
	if !ok || total != len(items) || len(plan.Keep) > 0 || plan.Args["query"] != nil || env["more"] != nil {
		return
	}
	index.Learn(typ, items)
}
