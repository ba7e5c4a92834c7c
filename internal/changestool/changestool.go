// Package changestool is komodo_read_KomodoChanges: what changes in Komodo's API between
// two Komodo versions, from the generated changelog (gen/catalog/versions).
package changestool

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/tool"
)

// Deps are what the tool's handler uses: the catalog of the Komodo version served.
type Deps interface {
	Catalog() *catalog.Catalog
}

// Name is the tool's name. It answers "what changes if I upgrade this Core to V" from the
// generated changelog of the Komodo API (gen/catalog/versions/CHANGELOG.md and its data).
const Name = "komodo_read_KomodoChanges"

// Tool is komodo_read_KomodoChanges.
func Tool() *tool.Tool {
	return &tool.Tool{
		Def: &mcp.Tool{
			Name:  Name,
			Title: "Komodo API changes between versions",
			Description: "What changes in Komodo's API between two Komodo versions (default: from the version this Core runs to the newest komodo-mcp knows): " +
				"operations added, removed and renamed, and the request and answer fields each operation gained or lost. Use it before upgrading Komodo, " +
				"or when a tool is missing on this Core. Versions known: " + strings.Join(catalog.Versions(), ", ") + ".",
			InputSchema: json.RawMessage(`{"type":"object","additionalProperties":false,"properties":{` +
				`"to":{"type":"string","maxLength":20,"description":"The version to upgrade to, e.g. 2.3.2 (default: the newest known)."},` +
				`"from":{"type":"string","maxLength":20,"description":"The version to start from (default: the version this Core runs)."},` +
				`"operation":{"type":"string","maxLength":100,"description":"Only changes of operations whose name contains this, e.g. Container."}}}`),
			Annotations: tool.Annotations("Komodo API changes between versions", catalog.EffectRead, true),
		},
		Effect:    catalog.EffectRead,
		Operation: "KomodoChanges",
		Module:    "read",
		Toolset:   "core",
		Handler: tool.Bind(func(d Deps) tool.Handler {
			return func(ctx context.Context, c *tool.Call) (*mcp.CallToolResult, error) {
				from, _ := c.Args["from"].(string)
				to, _ := c.Args["to"].(string)
				filter, _ := c.Args["operation"].(string)
				if from == "" {
					from = d.Catalog().Version
				}
				if to == "" {
					to = catalog.KomodoVersion
				}
				out, err := apiChanges(from, to, filter)
				if err != nil {
					return nil, &errcode.Error{Code: errcode.ValidationError, Message: err.Error(),
						Hint: "versions known: " + strings.Join(catalog.Versions(), ", ")}
				}
				return tool.Success(out), nil
			}
		}),
	}
}

// apiChanges sums the changelog's steps from one served version to another (either way).
func apiChanges(from, to, filter string) (map[string]any, error) {
	resolve := func(v string) (string, error) {
		m, err := catalog.ForCore(v)
		if err != nil || !m.Exact {
			return "", fmt.Errorf("no catalog of Komodo %q", v)
		}
		return m.Catalog.Version, nil
	}
	a, err := resolve(from)
	if err != nil {
		return nil, err
	}
	b, err := resolve(to)
	if err != nil {
		return nil, err
	}
	steps, err := catalog.Changes()
	if err != nil {
		return nil, err
	}
	vs := catalog.Versions()
	i, j := slices.Index(vs, a), slices.Index(vs, b)
	down := i > j
	if down {
		i, j = j, i
	}
	keep := func(op string) bool {
		return filter == "" || strings.Contains(strings.ToLower(op), strings.ToLower(filter))
	}
	var (
		added, removed, renamed, fields []map[string]any
		path                            []string
	)
	for _, st := range steps[i:j] {
		path = append(path, st.From+" -> "+st.To)
		plus, minus := st.Added, st.Removed
		if down {
			plus, minus = minus, plus
		}
		for _, o := range plus {
			if keep(o.Operation) {
				added = append(added, map[string]any{"module": o.Module, "operation": o.Operation, "in": st.To})
			}
		}
		for _, o := range minus {
			if keep(o.Operation) {
				removed = append(removed, map[string]any{"module": o.Module, "operation": o.Operation, "in": st.To})
			}
		}
		for _, r := range st.Renamed {
			old, newer := r.From, r.To
			if down {
				old, newer = newer, old
			}
			if keep(old) || keep(newer) {
				renamed = append(renamed, map[string]any{"module": r.Module, "from": old, "to": newer, "in": st.To})
			}
		}
		for _, f := range st.Fields {
			if !keep(f.Operation) {
				continue
			}
			e := map[string]any{"operation": f.Operation, "in": st.To}
			ra, rr, pa, pr := f.RequestAdded, f.RequestRemoved, f.ResponseAdded, f.ResponseRemoved
			if down {
				ra, rr, pa, pr = rr, ra, pr, pa
			}
			for k, v := range map[string][]string{"request_added": ra, "request_removed": rr, "answer_added": pa, "answer_removed": pr} {
				if len(v) > 0 {
					e[k] = v
				}
			}
			fields = append(fields, e)
		}
	}
	if down {
		slices.Reverse(path)
	}
	out := map[string]any{
		"from": a, "to": b, "steps": path,
		"counts": map[string]any{"added": len(added), "removed": len(removed), "renamed": len(renamed), "operations_with_field_changes": len(fields)},
	}
	for k, v := range map[string][]map[string]any{"added": added, "removed": removed, "renamed": renamed, "fields": fields} {
		if len(v) > 0 {
			out[k] = v
		}
	}
	if a == b {
		out["note"] = "the same version: nothing changes"
	} else if len(fields) > 0 {
		out["note"] = "a renamed operation keeps its tool name here (komodo_read_ListContainers calls ListDockerContainers on older Cores); a field a version lacks is refused by the tool's schema, never sent"
	}
	return out, nil
}
