package params

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
)

// ListUpdates answers "what failed?" and "what changed since...?" (our own filters, not
// the seed guide's): since, operation, target and success become Komodo's Mongo query on
// the updates - ListUpdates takes `query: Option<Document>`
// (komodo_client/src/api/read/update.rs) - and are checked again on the items.

// timeNow is the clock of `since` durations; only tests change it.
var timeNow = time.Now

// targetTypes are the resource types whose lists a target name is looked up in.
var targetTypes = []string{"Server", "Stack", "Deployment", "Build", "Repo", "Procedure", "Action", "Builder", "Alerter", "ResourceSync", "Swarm"}

func listUpdates(ctx context.Context, k Komodo, params map[string]any, p Plan) (*Plan, error) {
	q, _ := p.Args["query"].(map[string]any)
	q = maps.Clone(q)
	if q == nil {
		q = map[string]any{}
	}
	if v, ok := params["since"].(string); ok {
		ms, err := ParseSince(v, timeNow())
		if err != nil {
			return nil, invalid(err.Error(), "write since as 2026-01-15T08:00:00Z, 2026-01-15, or a duration back from now such as 90m, 1h, 2d")
		}
		q["start_ts"] = map[string]any{"$gte": ms}
		p = p.keep(func(u map[string]any) bool { ts, ok := Millis(u["start_ts"]); return ok && ts >= ms })
	}
	if op, ok := params["operation"].(string); ok {
		q["operation"] = op
		p = p.keep(func(u map[string]any) bool { return u["operation"] == op })
	}
	if want, ok := params["success"].(bool); ok {
		q["success"] = want
		p = p.keep(func(u map[string]any) bool { return u["success"] == want })
	}
	if ref, ok := params["target"].(string); ok {
		ids, err := targetIDs(ctx, k, ref, params)
		if err != nil {
			return nil, err
		}
		list := make([]any, len(ids))
		for i, id := range ids {
			list[i] = id
		}
		q["target.id"] = map[string]any{"$in": list}
		p = p.keep(func(u map[string]any) bool {
			t, _ := u["target"].(map[string]any)
			id, _ := t["id"].(string)
			return slices.Contains(ids, id)
		})
	}
	if len(q) > 0 {
		p = p.with("query", q)
	}
	return &p, nil
}

// targetIDs resolves a target given by id or by name, of any resource type (a build and
// the deployment of its image often share a name: both are matched), or of the type the
// operation filter says (a Deploy's target is a Deployment).
func targetIDs(ctx context.Context, k Komodo, ref string, params map[string]any) ([]string, error) {
	if objectID.MatchString(ref) {
		return []string{ref}, nil
	}
	types := targetTypes
	if op, ok := params["operation"].(string); ok {
		if typ, ok := operationTarget(op); ok {
			types = []string{typ}
		}
	}
	refs, err := namesOf(k).IDs(ctx, ref, types)
	if errors.Is(err, names.ErrUnknown) {
		return nil, &errcode.Error{Code: errcode.NotFound, Message: fmt.Sprintf("Did not find any resource matching %s", ref),
			Hint: "give the target's exact name or id; komodo_read_FindResources finds names"}
	}
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	return ids, nil
}

var durationRE = regexp.MustCompile(`^(\d+)\s*(s|m|h|d|w)$`)

// ParseSince reads a point in time as Unix milliseconds: RFC 3339, a date (midnight UTC),
// or a duration back from now ("90m", "1h", "2d", "1w").
func ParseSince(v string, now time.Time) (int64, error) {
	v = strings.TrimSpace(v)
	if m := durationRE.FindStringSubmatch(strings.ToLower(v)); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := map[string]time.Duration{"s": time.Second, "m": time.Minute, "h": time.Hour, "d": 24 * time.Hour, "w": 7 * 24 * time.Hour}[m[2]]
		if n > 100000 {
			return 0, fmt.Errorf("since %q reaches too far back", v)
		}
		return now.Add(-time.Duration(n) * unit).UnixMilli(), nil
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, fmt.Errorf("since %q is neither a time nor a duration", v)
}
