package params

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// maxListPages bounds how many Komodo pages a list answered page by page (ListUpdates,
// ListAlerts: 100 a page) is read to compute the envelope's total.
const maxListPages = 20

// Decode parses Komodo's answer; the server passes its own decoder (numbers kept exact).
type Decode func(data []byte) (any, error)

// List answers a list tool's envelope {items, total, page, pageSize}: it reads every item
// of the operation (Komodo's own paging undone, so that total is exact), keeps those the
// plan's filters pass, and cuts the plan's page. Items come back as Komodo sent them; the
// caller redacts them.
func List(ctx context.Context, k Komodo, t *catalog.Tool, p *Plan, decode Decode) (map[string]any, error) {
	args := maps.Clone(p.Args)
	if t.Paged {
		args["limit"], args["page"] = 0, 0 // limit 0: everything
	}
	var items []any
	more := false
	for page := 0; ; page++ {
		if t.ListKey != "" {
			args["page"] = page
		}
		body, err := compact.Marshal(args)
		if err != nil {
			return nil, err
		}
		data, err := k.Call(ctx, t.Method, t.Path, body)
		if err != nil {
			return nil, err
		}
		v, err := decode(data)
		if err != nil {
			return nil, &errcode.Error{Code: errcode.ServerError, Message: err.Error()}
		}
		if t.ListKey == "" {
			items, _ = v.([]any)
			break
		}
		obj, _ := v.(map[string]any)
		got, _ := obj[t.ListKey].([]any)
		items = append(items, got...)
		if obj["next_page"] == nil || len(got) == 0 {
			break
		}
		if page+1 >= maxListPages {
			more = true
			break
		}
	}
	if len(p.Keep) > 0 {
		items = slices.DeleteFunc(items, func(it any) bool {
			m, _ := it.(map[string]any)
			return !p.Kept(m)
		})
	}
	start, end := pageBounds(len(items), p.Page, p.PageSize)
	pageItems := items[start:end]
	if pageItems == nil {
		pageItems = []any{}
	}
	env := map[string]any{
		"items":    pageItems,
		"total":    len(items),
		"page":     p.Page,
		"pageSize": p.PageSize,
	}
	if more {
		env["more"] = true
		env["note"] = fmt.Sprintf("only the newest %d pages of Komodo's answer were read: total counts those; narrow the query to see older items", maxListPages)
	}
	return env, nil
}

// pageBounds is the [start, end) slice of n items that page (1-based) of size items
// covers; both are within [0, n] for any page >= 1 and size >= 1, without overflow.
func pageBounds(n, page, size int) (start, end int) {
	skip := page - 1 // whole pages before this one
	if skip >= 0 && size > 0 && skip <= n/size {
		start = skip * size // <= n
	} else {
		start = n
	}
	return start, start + max(0, min(size, n-start))
}
