package params

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/names"
)

// Names work wherever Komodo takes ids. Komodo's Get and execute requests take a name or
// an id, but its list filters take ids only (query.specific.server_ids: "Only accepts
// Server id (not name)"), and an update's target is an id: a name sent there filters
// everything out and answers an empty list. Every such parameter is resolved here, or the
// call is refused with Komodo's own not-found words, naming what was not found.

// Names resolves resource names to ids. The server passes a Komodo whose per-session
// index (internal/names.Cache) satisfies it; any other Komodo is asked with one list call
// per type.
type Names interface {
	IDs(ctx context.Context, ref string, types []string) ([]names.Ref, error)
}

// namesOf is k's index, or lookups through k's list operations.
func namesOf(k Komodo) Names {
	if n, ok := k.(Names); ok {
		return n
	}
	return listLookup{k}
}

// listLookup resolves a name with one list call per type (Komodo's query.names).
type listLookup struct{ k Komodo }

func (l listLookup) IDs(ctx context.Context, ref string, types []string) ([]names.Ref, error) {
	body, _ := json.Marshal(map[string]any{"query": map[string]any{"names": []string{ref}}, "limit": 0})
	var found []names.Ref
	var failed error
	for _, typ := range types {
		data, err := l.k.Call(ctx, "POST", "/read/List"+typ+"s", body)
		if err != nil {
			failed = err
			continue
		}
		var list []struct{ ID, Name string }
		if json.Unmarshal(data, &list) != nil {
			continue
		}
		for _, it := range list {
			if it.Name == ref || it.ID == ref {
				found = append(found, names.Ref{Type: typ, ID: it.ID, Name: it.Name})
			}
		}
	}
	switch {
	case len(found) > 0:
		return found, nil
	case failed != nil:
		return nil, failed
	}
	return nil, names.ErrUnknown
}

// resolveID turns a name into the id of the resource of type typ (ids pass through).
func resolveID(ctx context.Context, k Komodo, typ, ref string) (string, error) {
	if objectID.MatchString(ref) {
		return ref, nil
	}
	refs, err := namesOf(k).IDs(ctx, ref, []string{typ})
	if err != nil {
		return "", notFound(err, typ, ref, "")
	}
	return refs[0].ID, nil
}

// notFound words an unknown name as Komodo does ("Did not find any Server matching X"),
// so that the server adds the closest names; other errors pass.
func notFound(err error, typ, ref, where string) error {
	if !errors.Is(err, names.ErrUnknown) {
		return err
	}
	hint := "give the " + strings.ToLower(typ) + "'s exact name or id; the list tools show them"
	if where != "" {
		hint = where + " takes " + typ + " names or ids; " + hint
	}
	return &errcode.Error{Code: errcode.NotFound, Message: fmt.Sprintf("Did not find any %s matching %s", typ, ref), Hint: hint}
}

// specificTypes are the fields of Komodo's query.specific that hold ids, and the type of
// resource each names (client/core/rs/src/entities/*.rs *QuerySpecifics at v2.3.2; a test
// checks this table against every id list of the document's *QuerySpecifics).
var specificTypes = map[string]string{
	"server_ids":   "Server",
	"swarm_ids":    "Swarm",
	"build_ids":    "Build",
	"builder_ids":  "Builder",
	"linked_repos": "Repo",
	"servers":      "Server", // SwarmQuerySpecifics
}

// resolveSpecific resolves the names in the plan's query.specific id lists; the client's
// query is copied, not modified. A name that matches nothing refuses the call.
func resolveSpecific(ctx context.Context, k Komodo, p Plan) (Plan, error) {
	q, _ := p.Args["query"].(map[string]any)
	spec, _ := q["specific"].(map[string]any)
	if len(spec) == 0 {
		return p, nil
	}
	var out map[string]any
	for _, key := range slices.Sorted(maps.Keys(spec)) {
		typ, ok := specificTypes[key]
		list, isList := spec[key].([]any)
		if !ok || !isList {
			continue
		}
		resolved := make([]any, len(list))
		changed := false
		for i, v := range list {
			resolved[i] = v
			ref, ok := v.(string)
			if !ok || objectID.MatchString(ref) {
				continue
			}
			refs, err := namesOf(k).IDs(ctx, ref, []string{typ})
			if err != nil {
				return p, notFound(err, typ, ref, "query.specific."+key)
			}
			resolved[i], changed = refs[0].ID, true
		}
		if changed {
			if out == nil {
				out = maps.Clone(spec)
			}
			out[key] = resolved
		}
	}
	if out == nil {
		return p, nil
	}
	q = maps.Clone(q)
	q["specific"] = out
	return p.with("query", q), nil
}

// targetField are the target fields of the catalog's tools and the resource type each
// names: an update's operation tells which type its target is.
var targetField = map[string]string{
	"server": "Server", "stack": "Stack", "deployment": "Deployment", "build": "Build", "repo": "Repo",
	"procedure": "Procedure", "action": "Action", "builder": "Builder", "alerter": "Alerter",
	"sync": "ResourceSync", "swarm": "Swarm",
}

// operationTarget is the resource type an operation's updates target ("Deploy":
// Deployment), when the catalog says.
func operationTarget(op string) (string, bool) {
	for i := range catalog.Tools {
		t := &catalog.Tools[i]
		if t.Operation == op && t.TargetField != "" {
			typ, ok := targetField[t.TargetField]
			return typ, ok
		}
	}
	return "", false
}

// resolveTargetQuery resolves a name given as "target.id" in the Mongo query of
// ListUpdates or ListAlerts (of the type "target.type" names, if any): Komodo would
// compare it with ids and answer nothing.
func resolveTargetQuery(ctx context.Context, k Komodo, p Plan) (Plan, error) {
	q, _ := p.Args["query"].(map[string]any)
	ref, ok := q["target.id"].(string)
	if !ok || objectID.MatchString(ref) {
		return p, nil
	}
	types := targetTypes
	if typ, ok := q["target.type"].(string); ok {
		types = []string{typ}
	}
	refs, err := namesOf(k).IDs(ctx, ref, types)
	if err != nil {
		typ := "resource"
		if len(types) == 1 {
			typ = types[0]
		}
		return p, notFound(err, typ, ref, "query \"target.id\"")
	}
	ids := make([]any, len(refs))
	for i, r := range refs {
		ids[i] = r.ID
	}
	q = maps.Clone(q)
	q["target.id"] = map[string]any{"$in": ids}
	return p.with("query", q), nil
}
