package server

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
)

// maxListPages bounds how many Komodo pages a list answered page by page (ListUpdates,
// ListAlerts: 100 a page) is read to compute the guide's total.
const maxListPages = 20

// Bounds of the guide's paging parameters (the catalog's schemas say the same).
const (
	maxPage     = 1_000_000
	maxPageSize = 1000
)

// request is one tool call on its way to Komodo: the arguments Komodo gets, and our own
// MCP-only parameters taken out of them.
type request struct {
	tool      *catalog.Tool
	args      map[string]any              // sent to Komodo
	params    map[string]any              // MCP-only parameters (page, id, options, filters...)
	keep      []func(map[string]any) bool // filters applied to list items after fetching
	rewritten bool                        // args differ from what the client sent
	wait      waitSpec                    // what to do after an execute call
}

// newRequest splits the validated arguments of a call.
func newRequest(t *catalog.Tool, args map[string]any) (*request, *mcp.CallToolResult) {
	r := &request{tool: t, args: args, params: map[string]any{}}
	for _, p := range t.Params {
		if v, ok := args[p]; ok {
			r.params[p] = v
			delete(args, p)
			r.rewritten = true
		}
	}
	if f := t.TargetField; f != "" {
		id, hasID := r.params["id"]
		_, hasField := args[f]
		switch {
		case hasID && hasField:
			return nil, validationFailure(fmt.Sprintf("give `id` or `%s`, not both", f), "")
		case hasID:
			args[f] = id
		case !hasField:
			return nil, validationFailure(fmt.Sprintf("missing required argument `id`: the %s's id or name", f), "use the list tools to find ids and names")
		}
	}
	return r, nil
}

// body is what Komodo receives: the client's own bytes when nothing was translated.
func (r *request) body(original json.RawMessage) ([]byte, error) {
	if !r.rewritten && len(original) > 0 && string(original) != "null" {
		// Coercion of JSON-text arguments happens before the request exists: compare.
		if sent, err := decodeArgs(original); err == nil && reflect.DeepEqual(sent, r.args) {
			return original, nil
		}
	}
	return marshalCompact(r.args)
}

// intParam reads an integer MCP parameter with a default, clamped to [lo, hi]. The
// input schema bounds it already; the clamp keeps the arithmetic safe whatever arrives
// (a huge or fractional number, a value the schema did not bound).
func (r *request) intParam(name string, def, lo, hi int) int {
	var f float64
	switch v := r.params[name].(type) {
	case json.Number:
		var err error
		if f, err = v.Float64(); err != nil && !math.IsInf(f, 0) {
			return def
		}
	case float64:
		f = v
	default:
		return def
	}
	switch {
	case math.IsNaN(f):
		return def
	case f <= float64(lo):
		return lo
	case f >= float64(hi):
		return hi
	}
	return int(f)
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

// callList fetches every item of a list operation (Komodo paging undone: the guide's
// total must be exact), filters them and answers the guide's envelope.
func (s *Server) callList(ctx context.Context, r *request, original json.RawMessage) *mcp.CallToolResult {
	t := r.tool
	var items []any
	if t.Paged {
		r.args["limit"], r.args["page"] = 0, 0 // limit 0: everything
		r.rewritten = true
	}
	more := false
	for page := 0; ; page++ {
		if t.ListKey != "" {
			r.args["page"] = page
			r.rewritten = true
		}
		body, err := r.body(original)
		if err != nil {
			return failure(rpc.AsError(err), nil)
		}
		data, err := s.rpc.Call(ctx, t.Method, t.Path, body)
		if err != nil {
			return failure(rpc.AsError(err), s.rpc.Secrets())
		}
		v, err := decodeJSON(data)
		if err != nil {
			return failure(&errcode.Error{Code: errcode.ServerError, Message: err.Error()}, nil)
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
	if len(r.keep) > 0 {
		items = slices.DeleteFunc(items, func(it any) bool {
			m, _ := it.(map[string]any)
			for _, keep := range r.keep {
				if !keep(m) {
					return true
				}
			}
			return false
		})
	}
	page, size := r.intParam("page", 1, 1, maxPage), r.intParam("page_size", 50, 1, maxPageSize)
	start, end := pageBounds(len(items), page, size)
	pageItems := items[start:end]
	if pageItems == nil {
		pageItems = []any{}
	}
	env := map[string]any{
		"items":    s.redact.value(pageItems),
		"total":    len(items),
		"page":     page,
		"pageSize": size,
	}
	if more {
		env["more"] = true
		env["note"] = fmt.Sprintf("only the newest %d pages of Komodo's answer were read: total counts those; narrow the query to see older items", maxListPages)
	}
	return success(env)
}
