package main

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// An assistant reads a tool's description to decide whether to call it: each says what the
// tool does (Komodo's words), what it returns and when to use it. api/mcp.yaml's
// `descriptions` replace the generated text for the tools an operator meets first.

var responseName = regexp.MustCompile(`Response:\s*\[?([A-Za-z0-9_]+)`)

// toolDescription is the description of a tool: the curated one, else Komodo's first
// paragraph with what it returns and when to use it.
func toolDescription(name, module string, op *openapi3.Operation, cur *curation) string {
	if d, ok := cur.Descriptions[name]; ok {
		return strings.TrimSpace(d)
	}
	base := describe(op)
	if !strings.HasSuffix(base, ".") {
		base += "."
	}
	return base + " " + returns(module, op)
}

// returns says what a tool answers, from the operation's "Response: X" note and its verb.
func returns(module string, op *openapi3.Operation) string {
	words := splitWords(op.OperationID)
	verb := words[0]
	noun := strings.ToLower(strings.Join(words[1:], " "))
	resp := ""
	if m := responseName.FindStringSubmatch(op.Description); m != nil {
		resp = m[1]
	}
	switch {
	case module == "execute" && strings.HasPrefix(op.OperationID, "Batch"):
		return "Starts the work on every match and returns one Update per match (job_id, status); wait: true waits for all of them."
	case module == "execute" || resp == "Update":
		return "Starts the work in Komodo and returns its Update (job_id, status); wait: true waits for the outcome (success, failed_stage)."
	case resp == "NoData":
		return "Returns nothing on success."
	case verb == "List" || verb == "Search" || strings.HasPrefix(resp, "List"):
		return "Returns the matching items, compact (fields, raw: true for Komodo's full answer)."
	case module == "read":
		thing := strings.TrimSuffix(resp, "Response")
		if thing == "" || thing == op.OperationID {
			thing = noun
		} else {
			thing = strings.ToLower(strings.Join(splitWords(thing), " "))
		}
		return fmt.Sprintf("Returns the %s, compact (fields, raw: true for Komodo's full answer).", thing)
	case verb == "Delete":
		return "Returns what was deleted."
	case resp != "" && !strings.HasSuffix(resp, "Response"):
		return fmt.Sprintf("Returns the resulting %s.", strings.ToLower(strings.Join(splitWords(resp), " ")))
	}
	return "Returns Komodo's answer."
}

// briefObject is how a nested object of an input schema looks once described briefly:
// the assistant learns its fields, Komodo (which accepts partial configs and checks every
// field itself) answers a mistake with a VALIDATION_ERROR naming the field.
func briefObject(s map[string]any) map[string]any {
	props, _ := s["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	desc, _ := s["description"].(string)
	desc = strings.TrimSpace(desc)
	if desc != "" && !strings.HasSuffix(desc, ".") {
		desc += "."
	}
	if len(names) > 0 {
		desc = strings.TrimSpace(desc + " Fields: " + strings.Join(names, ", ") + ".")
	}
	out := map[string]any{"type": "object"}
	if desc != "" {
		out["description"] = desc
	}
	if t, ok := s["type"].([]any); ok && slices.Contains(t, "null") {
		out["type"] = []any{"object", "null"}
	}
	return out
}

// briefAlternatives is a union (an enum of shapes) described briefly: its variants' type
// names when they are {type, params} pairs, as Komodo's Execution and ResourceTarget are.
func briefAlternatives(s map[string]any) map[string]any {
	alts, _ := s["anyOf"].([]any)
	var kinds []string
	for _, a := range alts {
		m, _ := a.(map[string]any)
		props, _ := m["properties"].(map[string]any)
		typ, _ := props["type"].(map[string]any)
		if e, ok := typ["enum"].([]any); ok && len(e) == 1 {
			kinds = append(kinds, fmt.Sprint(e[0]))
		}
	}
	desc, _ := s["description"].(string)
	desc = strings.TrimSpace(desc)
	if desc != "" && !strings.HasSuffix(desc, ".") {
		desc += "."
	}
	if len(kinds) > 0 {
		desc = strings.TrimSpace(desc + ` An object {"type": T, "params": {...}}, T one of: ` + strings.Join(kinds, ", ") + ".")
	}
	out := map[string]any{"type": "object"}
	if desc != "" {
		out["description"] = desc
	}
	return out
}

// shrink describes briefly every object or union nested deeper than the arguments' own
// fields whose schema is larger than limit bytes: a tool's definition then stays a few
// kilobytes however deep Komodo's config types go (a procedure's stages held the
// 82-variant Execution union several times over).
// maxArgumentBytes: an argument larger than this (a resource's whole partial config, which
// Komodo merges field by field) is described by its field names too; the Get tool of the
// resource shows every field with its current value.
const maxArgumentBytes = 2500

// maxFieldDescription is the longest field description kept whole.
const maxFieldDescription = 120

func shrink(s map[string]any, depth, limit int) map[string]any {
	if d, ok := s["description"].(string); ok && depth >= 1 {
		// Fields keep their first paragraph: the notes and examples after it are for
		// Komodo's UI and docs.
		if i := strings.Index(d, "\n\n"); i > 0 {
			d = strings.TrimSpace(d[:i])
		}
		// A long one keeps its first sentence: what the field is; defaults and bounds
		// are in the schema itself.
		if len(d) > maxFieldDescription {
			if i := strings.Index(d, ". "); i > 0 {
				d = d[:i+1]
			}
		}
		s["description"] = d
	}
	if (depth >= 2 && size(s) > limit) || (depth == 1 && size(s) > maxArgumentBytes) {
		if _, union := s["anyOf"]; union {
			return briefAlternatives(s)
		}
		if _, obj := s["properties"]; obj {
			return briefObject(s)
		}
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			if m, ok := v.(map[string]any); ok {
				props[k] = shrink(m, depth+1, limit)
			}
		}
	}
	if items, ok := s["items"].(map[string]any); ok {
		// An array's items sit at the array's own depth: [{...}] is as deep as {...}.
		s["items"] = shrink(items, depth, limit)
	}
	if ap, ok := s["additionalProperties"].(map[string]any); ok {
		s["additionalProperties"] = shrink(ap, depth+1, limit)
	}
	if alts, ok := s["anyOf"].([]any); ok {
		for i, a := range alts {
			if m, ok := a.(map[string]any); ok {
				alts[i] = shrink(m, depth, limit)
			}
		}
	}
	return s
}

func size(v any) int {
	b, err := json.Marshal(v)
	if err != nil {
		return 0
	}
	return len(b)
}

// resourceQuery is Komodo's ResourceQuery described in one line: the tools that take it
// also take plain filters (status, server_id...), and inlined it cost a kilobyte a tool.
var resourceQuery = map[string]any{
	"type":        "object",
	"description": `Komodo's filter: {"names": [...], "terms": [words in names], "tags": [...], "tag_behavior": "All"|"Any", "specific": {per-kind filters}}`,
}

// isResourceQuery recognises Komodo's ResourceQuery by its fields.
func isResourceQuery(q map[string]any) bool {
	props, _ := q["properties"].(map[string]any)
	_, names := props["names"]
	_, tags := props["tags"]
	_, behavior := props["tag_behavior"]
	return names && tags && behavior
}

// compactOutput makes an output schema describe the compact results the server returns
// as well as Komodo's full answer (raw: true): nothing below the root is required (nulls,
// empty and default values are left out, `fields` keeps only what was asked), and a time
// field (ts, *_ts, *_at) is an ISO 8601 string or Komodo's Unix milliseconds.
func compactOutput(s map[string]any) map[string]any {
	var walk func(s map[string]any)
	walk = func(s map[string]any) {
		delete(s, "required")
		if props, ok := s["properties"].(map[string]any); ok {
			for k, v := range props {
				m, ok := v.(map[string]any)
				if !ok {
					continue
				}
				if isTimeField(k) && (m["type"] == "integer" || m["type"] == "number") {
					m["type"] = []any{"string", m["type"]}
				} else if t, ok := m["type"].([]any); ok && isTimeField(k) && (slices.Contains(t, "integer") || slices.Contains(t, "number")) {
					m["type"] = append([]any{"string"}, t...)
				}
				walk(m)
			}
		}
		if items, ok := s["items"].(map[string]any); ok {
			walk(items)
		}
		if ap, ok := s["additionalProperties"].(map[string]any); ok {
			walk(ap)
		}
		if alts, ok := s["anyOf"].([]any); ok {
			for _, a := range alts {
				if m, ok := a.(map[string]any); ok {
					walk(m)
				}
			}
		}
	}
	walk(s)
	return s
}

// isTimeField is internal/compact's rule for Komodo timestamps.
func isTimeField(key string) bool {
	return key == "ts" || strings.HasSuffix(key, "_ts") || strings.HasSuffix(key, "_at")
}
