package server

import (
	"context"
	"fmt"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
)

// Read results are compact by default (internal/compact): an assistant reads every byte.
// `raw: true` returns Komodo's answer as it came (redacted), `fields` keeps only the
// fields asked for.

// readShape is what a read call asked of its result.
type readShape struct {
	raw    bool
	fields []string
	names  compact.Names
}

// shapeOf reads `raw` and `fields` of a read call; a malformed `fields` is refused.
func (s *Server) shapeOf(t *catalog.Tool, args map[string]any, session any) (readShape, *errcode.Error) {
	var sh readShape
	if t.Module != "read" {
		return readShape{raw: true}, nil
	}
	sh.raw, _ = args["raw"].(bool)
	fields, err := compact.ParseFields(args["fields"])
	if err != nil {
		return sh, invalid(err.Error(), "")
	}
	sh.fields = fields
	sh.names = s.namesFor(session)
	return sh, nil
}

// namesFor is the id -> name cache of a session (one shared cache for calls without one).
func (s *Server) namesFor(session any) *names.Cache {
	if session == nil {
		session = s
	}
	return s.names.For(session)
}

// sessionKey identifies a call's MCP session for per-session caches.
func sessionKey(req *mcp.CallToolRequest) any {
	if req == nil || req.Session == nil {
		return nil
	}
	return req.Session
}

// object shapes a single answer (a Get), in place of Komodo's.
func (sh readShape) object(ctx context.Context, v map[string]any) map[string]any {
	if sh.raw {
		return v
	}
	out, _ := compact.Value(ctx, v, compact.Options{Names: sh.names, KeepNoise: len(sh.fields) > 0}).(map[string]any)
	if len(sh.fields) == 0 {
		return out
	}
	picked, missing := compact.Project(out, sh.fields)
	if len(missing) > 0 {
		picked["missing_fields"] = missingNote(missing)
	}
	return picked
}

// items shapes list items in place; fields that matched no item are reported once.
func (sh readShape) items(ctx context.Context, items []any) ([]any, string) {
	if sh.raw {
		return items, ""
	}
	opts := compact.Options{Names: sh.names, ListItem: true, KeepNoise: len(sh.fields) > 0}
	found := map[string]bool{}
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		out, _ := compact.Value(ctx, m, opts).(map[string]any)
		if len(sh.fields) > 0 {
			var missing []string
			out, missing = compact.Project(out, sh.fields)
			for _, f := range sh.fields {
				if !contains(missing, f) {
					found[f] = true
				}
			}
		}
		items[i] = out
	}
	var missing []string
	for _, f := range sh.fields {
		if !found[f] && len(items) > 0 {
			missing = append(missing, f)
		}
	}
	if len(missing) == 0 {
		return items, ""
	}
	return items, missingNote(missing)
}

func missingNote(missing []string) string {
	return fmt.Sprintf("no such field (or it is empty): %s; `raw: true` shows every field Komodo sent", strings.Join(missing, ", "))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// shapeWrapped shapes a read answer already wrapped as structuredContent: an object, or
// {"items": [...]} for answers that are arrays.
func (sh readShape) wrapped(ctx context.Context, how string, v map[string]any) map[string]any {
	if sh.raw {
		return v
	}
	switch how {
	case "items":
		list, _ := v["items"].([]any)
		list, note := sh.items(ctx, list)
		v["items"] = list
		if note != "" {
			v["missing_fields"] = note
		}
		return v
	case "value":
		return v
	}
	return sh.object(ctx, v)
}
