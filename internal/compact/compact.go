// Package compact shapes Komodo's answers for an assistant that pays for every byte it
// reads: nulls, empty values and Komodo's noise fields are dropped, times become ISO 8601
// (UTC), tag ids and update/alert targets get their names. Komodo's own field names are
// kept, so the typed client and Komodo's documentation still describe what is left.
//
// The rules, applied to a decoded JSON value (maps, slices, json.Number or float64):
//
//   - null, "", [] and {} are dropped (after their children are compacted);
//   - false is dropped, except for fields whose false is news (success, resolved, enabled...);
//   - a time field (ts, *_ts, *_at, next_scheduled_run, expires, and a numeric created or
//     start_time) holding Unix milliseconds (or seconds) becomes "2026-01-15T08:00:00Z"; 0
//     (never) is dropped;
//   - the text of a Komodo Log (stage, stdout, stderr) loses Komodo's HTML markup;
//   - in a resource's config (Get, ListFull), the fields still at Komodo's default
//     (Options.Defaults) and an X_id whose X_name the resource's info gives;
//   - an alert's data {"type", "data": {...}} flattened to {"type", ...}, without the id
//     and name that repeat its target;
//   - noise: alert thresholds that are 0 (unset), alerting_thresholds, base_permission "None",
//     Periphery's public_key, a server's stats bookkeeping (polling_rate, refresh_list_ts),
//     an update's operator id next to its username, X_id next to X_name (Komodo already named it),
//     the resource type repeated in every list item, and a latest_X (not a hash) equal to the
//     deployed_X, built_X or cloned_X beside it;
//   - in list items, a server's stats (GetServer and GetSystemStats carry them), and in
//     resource list items everything but what an operator scans (see glance.go);
//   - floats are cut to two decimals (load averages come with sixteen);
//   - tags (ids) become tag names, and a target {type, id} becomes {type, name} (the id
//     stays when the name cannot be found).
//
// Project keeps only the fields an assistant asked for.
package compact

import (
	"context"
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// Names resolves Komodo ids to names. Typ is Komodo's type name: "Tag", "Server",
// "Deployment", ... (a ResourceTarget's type). It reports false when it cannot say.
type Names interface {
	Name(ctx context.Context, typ, id string) (string, bool)
}

// Options say how to compact one answer.
type Options struct {
	// Names resolves tag and target ids; nil leaves ids as they are.
	Names Names
	// ListItem is set for the items of a list: list-only noise is dropped too, and a
	// resource list item keeps what an operator scans (glance.go) unless KeepNoise.
	ListItem bool
	// KeepNoise keeps the noise fields (nulls, empties and times are still handled):
	// used when the assistant asked for fields by name.
	KeepNoise bool
	// Defaults are the values Komodo gives a resource's configuration fields when nobody
	// set them (api/komodo.serde.json, by the answer's config type): a field of the
	// resource's `config` still at its default is left out, unless KeepNoise.
	Defaults map[string]any
}

// keepFalse are fields whose false value says something an assistant must see.
var keepFalse = map[string]bool{
	"success": true, "resolved": true, "enabled": true, "healthy": true, "ok": true,
}

// Value returns the compact form of v. It does not modify v.
func Value(ctx context.Context, v any, o Options) any {
	if m, ok := v.(map[string]any); ok && o.ListItem && !o.KeepNoise {
		v = glance(m)
	}
	c := compactor{ctx: ctx, o: o}
	if m, ok := v.(map[string]any); ok && !o.KeepNoise {
		c.named = namedInInfo(m)
	}
	out, _ := c.value("", v, 0)
	return out
}

type compactor struct {
	ctx context.Context
	o   Options
	// named are the fields of a resource's config that its info names already (see
	// namedInInfo).
	named map[string]bool
}

// namedInInfo finds, in a resource {config, info}, the config's X_id fields whose X_name
// the info gives (a stack's config.server_id beside info.server_name): the same rule as
// X_id next to X_name in one object, for Komodo's split of a resource in two.
func namedInInfo(resource map[string]any) map[string]bool {
	config, _ := resource["config"].(map[string]any)
	info, _ := resource["info"].(map[string]any)
	var named map[string]bool
	for k := range config {
		if !strings.HasSuffix(k, "_id") {
			continue
		}
		if name, _ := info[strings.TrimSuffix(k, "_id")+"_name"].(string); name != "" {
			if named == nil {
				named = map[string]bool{}
			}
			named[k] = true
		}
	}
	return named
}

// atDefault reports whether field k of a resource's config holds Komodo's default for it.
// A false that is news (enabled: false) is never left out.
func (c compactor) atDefault(k string, v any) bool {
	d, ok := c.o.Defaults[k]
	if !ok {
		return false
	}
	if b, isBool := v.(bool); isBool && !b && keepFalse[k] {
		return false
	}
	return sameJSON(v, d)
}

// sameJSON compares two decoded JSON values whatever their number representation.
func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && string(ja) == string(jb)
}

// value compacts v found under key at depth (0: the answer or a list item itself); keep is
// false when the result is to be dropped.
func (c compactor) value(key string, v any, depth int) (any, bool) {
	switch t := v.(type) {
	case nil:
		return nil, false
	case string:
		return t, t != ""
	case bool:
		return t, t || keepFalse[key] || depth == 0
	case json.Number, float64:
		if isTimeKey(key) {
			if s, ok := timeOf(t); ok {
				return s, true
			}
			return nil, false
		}
		return round(t), true
	case []any:
		out := make([]any, 0, len(t))
		for _, item := range t {
			if cv, ok := c.value("", item, depth+1); ok {
				out = append(out, cv)
			}
		}
		if key == "tags" {
			out = c.tagNames(out)
		}
		return out, len(out) > 0 || depth == 0
	case map[string]any:
		return c.object(key, t, depth)
	}
	return v, true
}

func (c compactor) object(key string, m map[string]any, depth int) (any, bool) {
	out := make(map[string]any, len(m))
	log := isLog(m)
	config := key == "config" && depth == 1 && !c.o.KeepNoise
	for k, v := range m {
		if !c.o.KeepNoise && c.noise(k, v, m, depth) {
			continue
		}
		if config && (c.named[k] || c.atDefault(k, v)) {
			continue
		}
		if s, ok := v.(string); ok && log && logText[k] {
			v = StripMarkup(s)
		}
		if cv, ok := c.value(k, v, depth+1); ok {
			out[k] = cv
		}
	}
	if key == "target" {
		c.targetName(out)
	}
	if !c.o.KeepNoise {
		out = untag(out)
		dropTargetRepeats(m, out)
	}
	return out, len(out) > 0 || depth == 0
}

// untag flattens a value of an adjacently tagged Rust enum (serde tag "type", content
// "data": an alert's AlertData) into one object, {"type", ...its fields}, when none of its
// fields is called type. Other objects are returned as they are.
func untag(m map[string]any) map[string]any {
	content, ok := m["data"].(map[string]any)
	if _, typed := m["type"].(string); !ok || !typed || len(m) != 2 {
		return m
	}
	if _, clash := content["type"]; clash {
		return m
	}
	out := make(map[string]any, len(content)+1)
	for k, v := range content {
		out[k] = v
	}
	out["type"] = m["type"]
	return out
}

// dropTargetRepeats leaves out, from the data of an object with a target (an alert), the
// id and name that repeat the target's: the target says once what the object is about.
// in is the object as Komodo sent it (its target still has the id), out its compact form.
func dropTargetRepeats(in, out map[string]any) {
	data, _ := out["data"].(map[string]any)
	target, _ := in["target"].(map[string]any)
	if data == nil || target == nil {
		return
	}
	if id, _ := target["id"].(string); id != "" && data["id"] == id {
		delete(data, "id")
	}
	named, _ := out["target"].(map[string]any)
	if name, _ := named["name"].(string); name != "" && data["name"] == name {
		delete(data, "name")
	}
}

// noise reports whether field k of object m (at depth) is one of Komodo's noise fields.
func (c compactor) noise(k string, v any, m map[string]any, depth int) bool {
	switch {
	case k == "alerting_thresholds":
		return true
	case k == "base_permission":
		return v == "None"
	case k == "operator":
		_, named := m["username"]
		return named
	case strings.HasSuffix(k, "_warning") || strings.HasSuffix(k, "_critical"):
		return isZero(v)
	case strings.HasSuffix(k, "_id"):
		name, _ := m[strings.TrimSuffix(k, "_id")+"_name"].(string)
		return name != ""
	case k == "type" && depth == 0 && c.o.ListItem:
		// ResourceListItem repeats its type in every item: the tool says it once.
		_, hasInfo := m["info"]
		_, hasName := m["name"]
		return hasInfo && hasName
	case k == "stats" && depth == 1 && c.o.ListItem:
		return true
	case k == "public_key":
		// The key Core expects of a server's Periphery: identity, not state (a key that
		// fails shows as attempted_public_key, kept, and in the server's state and error).
		return true
	case k == "polling_rate" || k == "refresh_list_ts":
		// A server's stats bookkeeping: Core's polling setting, the same for every server,
		// and when the disk list was last re-read (refresh_ts, kept, dates the figures).
		_, cpu := m["cpu_perc"]
		return cpu
	case strings.HasPrefix(k, "latest_") && !strings.HasSuffix(k, "_hash"):
		// The latest commit's message or services repeated from what is deployed or built:
		// the hashes (kept) already say that nothing is newer.
		rest := strings.TrimPrefix(k, "latest_")
		for _, was := range []string{"deployed_", "built_", "cloned_"} {
			if d, ok := m[was+rest]; ok && reflect.DeepEqual(d, v) {
				return true
			}
		}
	}
	return false
}

// tagNames replaces tag ids by names where they resolve.
func (c compactor) tagNames(tags []any) []any {
	if c.o.Names == nil {
		return tags
	}
	for i, t := range tags {
		if id, ok := t.(string); ok {
			if name, ok := c.o.Names.Name(c.ctx, "Tag", id); ok {
				tags[i] = name
			}
		}
	}
	return tags
}

// targetName adds the name of a ResourceTarget {type, id}.
func (c compactor) targetName(target map[string]any) {
	if c.o.Names == nil {
		return
	}
	typ, _ := target["type"].(string)
	id, _ := target["id"].(string)
	if typ == "" || id == "" || typ == "System" {
		return
	}
	if _, has := target["name"]; has {
		return
	}
	if name, ok := c.o.Names.Name(c.ctx, typ, id); ok {
		// Named: every tool takes the name, and an id costs 24 characters a line.
		target["name"] = name
		delete(target, "id")
	}
}

func isTimeKey(key string) bool {
	return key == "ts" || strings.HasSuffix(key, "_ts") || strings.HasSuffix(key, "_at") || timeKeys[key]
}

// timeKeys are Komodo's time fields not named like one (found in the document by their
// descriptions: "next scheduled run time in unix ms", "expiry of key, or 0 if never
// expires", Docker's created and a process's start_time in seconds). Only numbers are
// converted: a created that is an object or a string is left alone.
var timeKeys = map[string]bool{"next_scheduled_run": true, "expires": true, "created": true, "Created": true, "start_time": true}

// minMillis separates Unix milliseconds from seconds: 10^11 ms is 1973, 10^11 s is year 5138.
const minMillis = 1e11

// timeOf renders a Komodo timestamp; 0 and negative values (never) report false.
func timeOf(n any) (string, bool) {
	var ms int64
	switch t := n.(type) {
	case json.Number:
		i, err := t.Int64()
		if err != nil {
			f, err := t.Float64()
			if err != nil {
				return "", false
			}
			i = int64(f)
		}
		ms = i
	case float64:
		ms = int64(t)
	}
	if ms <= 0 {
		return "", false
	}
	if ms < minMillis { // seconds
		ms *= 1000
	}
	return Time(ms), true
}

// Time renders Unix milliseconds as ISO 8601 in UTC, with milliseconds only when there are any.
func Time(ms int64) string {
	t := time.UnixMilli(ms).UTC()
	if ms%1000 == 0 {
		return t.Format(time.RFC3339)
	}
	return t.Format("2006-01-02T15:04:05.000Z07:00")
}

func isZero(v any) bool {
	switch t := v.(type) {
	case json.Number:
		f, err := t.Float64()
		return err == nil && f == 0
	case float64:
		return t == 0
	}
	return false
}

// round cuts a float to two decimals; integers pass unchanged.
func round(n any) any {
	switch t := n.(type) {
	case json.Number:
		s := t.String()
		if !strings.ContainsAny(s, ".eE") {
			return t
		}
		f, err := t.Float64()
		if err != nil {
			return t
		}
		return json.Number(strconv.FormatFloat(math.Round(f*100)/100, 'f', -1, 64))
	case float64:
		return math.Round(t*100) / 100
	}
	return n
}
