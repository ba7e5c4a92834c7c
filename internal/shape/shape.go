// Package shape makes Komodo's answers fit an assistant: compact by default (`raw: true`
// for Komodo's own, `fields` to keep only some), and with every credential hidden - those
// Komodo holds, by type (api/secrets.yaml), and the configured ones wherever they appear.
package shape

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Read results are compact by default (internal/compact): an assistant reads every byte.
// `raw: true` returns Komodo's answer as it came (redacted), `fields` keeps only the
// fields asked for.

// Read is what a read call asked of its result.
type Read struct {
	raw      bool
	fields   []string
	names    compact.Names
	defaults map[string]any // of the answer's config fields, when it is a resource
}

// Of reads `raw` and `fields` of a call of t; a malformed `fields` is refused. Answers of
// tools other than reads are left as they are. names turns ids into names.
func Of(t *catalog.Tool, args map[string]any, names compact.Names) (Read, *errcode.Error) {
	var sh Read
	if t.Module != "read" {
		return Read{raw: true}, nil
	}
	sh.raw, _ = args["raw"].(bool)
	fields, err := compact.ParseFields(args["fields"])
	if err != nil {
		return sh, &errcode.Error{Code: errcode.ValidationError, Message: err.Error()}
	}
	sh.fields = fields
	sh.names = names
	sh.defaults = configDefaults(t.Operation)
	return sh, nil
}

// Raw reports whether Komodo's answer is returned as it came.
func (sh Read) Raw() bool { return sh.raw }

// object shapes a single answer (a Get), in place of Komodo's.
func (sh Read) object(ctx context.Context, v map[string]any) map[string]any {
	if sh.raw {
		return v
	}
	out, _ := compact.Value(ctx, v, compact.Options{Names: sh.names, KeepNoise: len(sh.fields) > 0, Defaults: sh.defaults}).(map[string]any)
	if len(sh.fields) == 0 {
		return out
	}
	picked, missing := compact.Project(out, sh.fields)
	if len(missing) > 0 {
		picked["missing_fields"] = missingNote(missing)
	}
	return picked
}

// Items shapes list items in place; fields that matched no item are reported once.
func (sh Read) Items(ctx context.Context, items []any) ([]any, string) {
	if sh.raw {
		return items, ""
	}
	opts := compact.Options{Names: sh.names, ListItem: true, KeepNoise: len(sh.fields) > 0, Defaults: sh.defaults}
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
				if !slices.Contains(missing, f) {
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

// Wrapped shapes a read answer already wrapped as structuredContent (tool.Wrap): an
// object, or {"items": [...]} for answers that are arrays.
func (sh Read) Wrapped(ctx context.Context, how string, v map[string]any) map[string]any {
	if sh.raw {
		return v
	}
	switch how {
	case "items":
		list, _ := v["items"].([]any)
		list, note := sh.Items(ctx, list)
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
