// Package params translates the curated parameters of the generated tools - `id`, `page`
// and `page_size`, the status and other filters, the execute options and `wait` - into
// the request Komodo gets, and explains in plain words every value it refuses
// (README "Compatibility with the seed usage guide"). It also builds the {items, total,
// page, pageSize} list envelope and the job_id/status execute result.
//
// The MCP glue calls one seam per tool call: Translate turns the validated arguments into
// a Plan - the request Komodo gets, the filters applied to list items, what to wait for -
// or refuses the call with a VALIDATION_ERROR that names the option and says why.
// Translations never modify their input; Komodo gets the plan's arguments (Plan.Body).
package params

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/compact"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// Komodo is how a translation reads from Komodo (to resolve a name, or read what list
// items do not say). *rpc.Client satisfies it.
type Komodo interface {
	Call(ctx context.Context, method, path string, body []byte) ([]byte, error)
}

// Wait is what an execute call does after Komodo accepted the work.
type Wait struct {
	Enabled bool
	Limit   time.Duration // 0: the server's wait cap
	Healthy bool          // also wait for the server to report Ok (StartServer, RestartServer)
}

// Plan is what a tool call becomes: the request Komodo gets, the filters list items must
// pass, the page of the envelope, and what to wait for.
type Plan struct {
	// Args is the request body sent to Komodo.
	Args map[string]any
	// Keep are filters applied to list items after fetching (all must pass).
	Keep []func(item map[string]any) bool
	// Page (1-based) and PageSize cut the envelope of a list tool.
	Page, PageSize int
	// Wait says whether and how an execute call waits for its Update.
	Wait Wait
}

// Bounds of the paging parameters (the catalog's schemas say the same).
const (
	maxPage     = 1_000_000
	maxPageSize = 1000
)

// Translate turns the validated arguments of a catalog tool's call into a plan, or
// refuses the call: a refusal is an *errcode.Error (VALIDATION_ERROR or what a lookup in
// Komodo failed with). args is not modified.
func Translate(ctx context.Context, k Komodo, t *catalog.Tool, args map[string]any) (*Plan, error) {
	p := Plan{Args: maps.Clone(args)}
	if p.Args == nil {
		p.Args = map[string]any{}
	}
	params := map[string]any{}
	for _, name := range t.Params {
		if v, ok := p.Args[name]; ok {
			params[name] = v
			delete(p.Args, name)
		}
	}
	if f := t.TargetField; f != "" {
		id, hasID := params["id"]
		_, hasField := p.Args[f]
		switch {
		case hasID && hasField:
			return nil, invalid(fmt.Sprintf("give `id` or `%s`, not both", f), "")
		case hasID:
			p.Args[f] = id
		case !hasField:
			return nil, invalid(fmt.Sprintf("missing required argument `id`: the %s's id or name", f), "use the list tools to find ids and names")
		}
	}
	p.Page = intParam(params, "page", 1, 1, maxPage)
	p.PageSize = intParam(params, "page_size", 50, 1, maxPageSize)
	if v, _ := params["wait"].(bool); v {
		p.Wait.Enabled = true
	}
	if tr := translations[t.Name].translate; tr != nil {
		planned, err := tr(ctx, k, params, p)
		if err != nil {
			return nil, err
		}
		p = *planned
	}
	p, err := resolveSpecific(ctx, k, p)
	if err != nil {
		return nil, err
	}
	if t.Operation == "ListUpdates" || t.Operation == "ListAlerts" {
		p, err = resolveTargetQuery(ctx, k, p)
	}
	return done(p, err)
}

// Body is what Komodo receives: the plan's arguments as compact JSON (numbers exactly as
// the client wrote them).
func (p *Plan) Body() ([]byte, error) {
	return compact.Marshal(p.Args)
}

// with returns a copy of the plan whose Args has key set to v; p is not modified.
func (p Plan) with(key string, v any) Plan {
	p.Args = maps.Clone(p.Args)
	p.Args[key] = v
	return p
}

// keep returns a copy of the plan with one more item filter; p is not modified.
func (p Plan) keep(f func(item map[string]any) bool) Plan {
	p.Keep = append(slices.Clip(p.Keep), f)
	return p
}

// Kept reports whether an item passes every filter of the plan.
func (p *Plan) Kept(item map[string]any) bool {
	for _, keep := range p.Keep {
		if !keep(item) {
			return false
		}
	}
	return true
}

// invalid is a VALIDATION_ERROR of our own.
func invalid(msg, hint string) *errcode.Error {
	return &errcode.Error{Code: errcode.ValidationError, Message: msg, Hint: hint}
}

// intParam reads an integer parameter with a default, clamped to [lo, hi]. The input
// schema bounds it already; the clamp keeps the arithmetic safe whatever arrives (a huge
// or fractional number, a value the schema did not bound).
func intParam(params map[string]any, name string, def, lo, hi int) int {
	var f float64
	switch v := params[name].(type) {
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
