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

// curation is api/mcp.yaml.
type curation struct {
	Toolsets []struct {
		ID          string   `yaml:"id"`
		Description string   `yaml:"description"`
		Words       []string `yaml:"words"`
	} `yaml:"toolsets"`
	Operations           map[string]string                    `yaml:"operations"`
	Default              []string                             `yaml:"default"`
	Aliases              map[string]alias                     `yaml:"aliases"`
	Parameters           map[string]map[string]map[string]any `yaml:"parameters"`
	IdempotentVerbs      []string                             `yaml:"idempotent_verbs"`
	MaxOutputSchemaBytes int                                  `yaml:"max_output_schema_bytes"`
	// Defaults are values the server fills in for fields Komodo requires but an assistant
	// rarely cares about (a log's tail, the services of a stack): tool -> field -> value.
	Defaults map[string]map[string]any `yaml:"defaults"`
	// Descriptions replace the generated description of the tools an operator meets first.
	Descriptions map[string]string `yaml:"descriptions"`
	// BriefNestedSchemaBytes: a nested input object larger than this is described by its
	// field names instead of being inlined (see shrink).
	BriefNestedSchemaBytes int `yaml:"brief_nested_schema_bytes"`
	// Renamed maps an operation's name in an older Komodo to its newest name
	// (ListDockerContainers: ListContainers): the older version's tool keeps the newest
	// tool name and calls the operation under the name that Core knows.
	Renamed map[string]string `yaml:"renamed"`
	// NotTools are operations that take a credential as an argument: never tools.
	NotTools []string `yaml:"not_tools"`
}

// alias is a usage-guide tool name for an operation named differently in Komodo.
type alias struct {
	Operation   string `yaml:"operation"`
	Description string `yaml:"description"`
}

// tool is one generated catalog entry.
type tool struct {
	Name, Title, Description          string
	Module, Operation, Method, Path   string
	Toolset                           string
	Effect                            string // api/effects.yaml
	ReadOnly, Destructive, Idempotent bool   // derived from Effect (Idempotent: and the verb)
	InputSchema, OutputSchema         []byte
	ResultWrap                        string
	Paged                             bool
	ListKey                           string
	TargetField                       string
	Params                            []string
	Defaults                          []byte // JSON object, or nil
}

// modules maps a path prefix to the tool module. Auth paths are not tools: they carry
// passwords and API secrets, which must never travel in tool arguments or results.
var modules = []struct{ prefix, module string }{
	{"/read/", "read"}, {"/write/", "write"}, {"/execute/", "execute"},
}

// buildTools builds the catalog of doc. strict (the newest version) requires every curated
// name to be in the catalog; an older version lacks some operations, and the curation of
// the tools it lacks does not apply to it.
func buildTools(doc *openapi3.T, cur *curation, effects map[string]string, strict bool) ([]tool, error) {
	var tools []tool
	ops := map[string]tool{}
	for _, path := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(path)
		module := ""
		for _, m := range modules {
			if strings.HasPrefix(path, m.prefix) {
				module = m.module
			}
		}
		var op *openapi3.Operation
		method := "POST"
		switch {
		case module != "":
			op = item.Post
		case path == "/user":
			module, op, method = "user", item.Get, "GET"
		default:
			continue // auth, version, terminal: served by hand-written tools
		}
		if slices.Contains(cur.NotTools, op.OperationID) {
			continue
		}
		canon := op.OperationID
		if newer, ok := cur.Renamed[canon]; ok && !strict {
			canon = newer
		}
		name := "komodo_" + module + "_" + canon
		t, err := buildCanonTool(name, module, method, path, op, canon, cur, effects)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		tools = append(tools, t)
		ops[canon] = t
	}
	for _, name := range sortedKeys(cur.Aliases) {
		a := cur.Aliases[name]
		target, ok := ops[a.Operation]
		if !ok && !strict {
			continue
		}
		if !ok {
			return nil, fmt.Errorf("alias %s: no operation %s", name, a.Operation)
		}
		op := doc.Paths.Value(target.Path).Post
		t, err := buildCanonTool(name, target.Module, target.Method, target.Path, op, a.Operation, cur, effects)
		if err != nil {
			return nil, fmt.Errorf("alias %s: %w", name, err)
		}
		t.Title = title(strings.TrimPrefix(name, "komodo_"+t.Module+"_"))
		if d, curated := cur.Descriptions[name]; curated {
			t.Description = strings.TrimSpace(d)
		} else if a.Description != "" {
			t.Description = a.Description
		}
		tools = append(tools, t)
	}
	sort.Slice(tools, func(i, j int) bool { return tools[i].Name < tools[j].Name })
	known := map[string]bool{}
	for _, t := range tools {
		known[t.Name] = true
	}
	if !strict {
		return tools, nil
	}
	for old, newer := range cur.Renamed {
		if _, ok := ops[old]; ok {
			return nil, fmt.Errorf("renamed: %s is still an operation of the newest version", old)
		}
		if _, ok := ops[newer]; !ok {
			return nil, fmt.Errorf("renamed: %s (the new name of %s) is not an operation", newer, old)
		}
	}
	for _, name := range cur.Default {
		if !known[name] {
			return nil, fmt.Errorf("default tool %s is not in the catalog", name)
		}
	}
	for name := range cur.Parameters {
		if !known[name] {
			return nil, fmt.Errorf("parameters for %s, which is not in the catalog", name)
		}
	}
	for name := range cur.Defaults {
		if !known[name] {
			return nil, fmt.Errorf("defaults for %s, which is not in the catalog", name)
		}
	}
	for name := range cur.Descriptions {
		if !known[name] {
			return nil, fmt.Errorf("description for %s, which is not in the catalog", name)
		}
	}
	return tools, nil
}

// targetFields are the request fields that name the resource an operation acts on; a tool
// whose operation takes exactly one of them also takes `id` for it (README "Compatibility with the seed usage guide").
var targetFields = []string{"server", "deployment", "stack", "build", "repo", "procedure", "action", "builder", "alerter", "sync", "swarm"}

// buildCanonTool builds the tool of op, whose operation an older Komodo names differently
// from canon, its newest name: the curation and the tool's words follow canon, the call
// goes to the operation that Core knows.
func buildCanonTool(name, module, method, path string, op *openapi3.Operation, canon string, cur *curation, effects map[string]string) (tool, error) {
	if canon == op.OperationID {
		return buildTool(name, module, method, path, op, cur, effects)
	}
	c := *op
	c.OperationID = canon
	t, err := buildTool(name, module, method, path, &c, cur, effects)
	t.Operation = op.OperationID
	return t, err
}

func buildTool(name, module, method, path string, op *openapi3.Operation, cur *curation, effects map[string]string) (tool, error) {
	opName := op.OperationID
	t := tool{
		Name:      name,
		Title:     title(opName),
		Module:    module,
		Operation: opName,
		Method:    method,
		Path:      path,
	}
	var err error
	if t.Effect, t.ReadOnly, t.Destructive, err = effectOf(opName, module, effects); err != nil {
		return t, err
	}
	words := splitWords(opName)
	verb := words[0]
	t.Idempotent = t.ReadOnly || slices.Contains(cur.IdempotentVerbs, verb)
	toolset, err := toolsetOf(opName, words, cur)
	if err != nil {
		return t, err
	}
	t.Toolset = toolset
	t.Description = toolDescription(name, module, op, cur)

	input := map[string]any{"type": "object", "properties": map[string]any{}}
	if op.RequestBody != nil {
		s := op.RequestBody.Value.Content.Get("application/json").Schema
		input = convert(s, inputMode, nil)
		if input["type"] != "object" {
			return t, fmt.Errorf("request schema is not an object")
		}
	}
	delete(input, "description") // the tool description says it
	if input["properties"] == nil {
		input["properties"] = map[string]any{}
	}
	props := input["properties"].(map[string]any)
	_, hasPage := props["page"]
	_, hasLimit := props["limit"]
	t.Paged = hasPage && hasLimit

	resp := op.Responses.Status(200).Value.Content.Get("application/json")
	if resp == nil {
		return t, fmt.Errorf("no JSON 200 response")
	}
	output := compactOutput(convert(resp.Schema, outputMode, nil))

	// The compatibility parameters, common to families of tools (README "Compatibility with
	// the seed usage guide").
	if field := targetField(input); field != "" {
		// One required identifier: `id`, the resource's id or name. Komodo's own field
		// (deployment, server...) is not listed; the server still accepts it as an alias.
		t.TargetField = field
		delete(props, field)
		req := slices.DeleteFunc(slices.Clone(input["required"].([]string)), func(r string) bool { return r == field })
		input["required"] = append([]string{"id"}, req...)
		props["id"] = map[string]any{"type": "string", "description": fmt.Sprintf("The %s's name or id.", field)}
		t.Params = append(t.Params, "id")
	}
	if items, key, ok := listItems(opName, module, output); ok {
		t.ResultWrap, t.ListKey = "envelope", key
		if t.Paged || key != "" {
			delete(props, "page")
			delete(props, "limit")
		}
		props["page"] = map[string]any{"type": "integer", "minimum": 1, "maximum": maxPage, "default": 1, "description": "1-based."}
		props["page_size"] = map[string]any{"type": "integer", "minimum": 1, "maximum": maxPageSize, "default": 50, "description": "Items per page."}
		t.Params = append(t.Params, "page", "page_size")
		output = map[string]any{
			"type":     "object",
			"required": []string{"items", "total", "page", "pageSize"},
			"properties": map[string]any{
				"items":    map[string]any{"type": "array", "items": items},
				"total":    map[string]any{"type": "integer", "description": "Number of items matching, over all pages."},
				"page":     map[string]any{"type": "integer"},
				"pageSize": map[string]any{"type": "integer"},
			},
		}
	}
	if module == "read" {
		// internal/compact shapes read answers; these two let the assistant narrow or undo it.
		props["fields"] = map[string]any{"type": "array", "items": map[string]any{"type": "string"}, "description": "Only these fields, e.g. name, state."}
		props["raw"] = map[string]any{"type": "boolean", "description": "Komodo's full answer."}
		t.Params = append(t.Params, "fields", "raw")
	}
	if module == "execute" {
		props["wait"] = map[string]any{"type": "boolean", "description": "Wait for the outcome, up to the wait cap."}
		t.Params = append(t.Params, "wait")
	}
	for _, pname := range sortedKeys(cur.Parameters[name]) {
		if _, clash := props[pname]; clash {
			return t, fmt.Errorf("curated parameter %s clashes with a Komodo field", pname)
		}
		props[pname] = cur.Parameters[name][pname]
		t.Params = append(t.Params, pname)
	}
	if d := cur.Defaults[name]; len(d) > 0 {
		for _, field := range sortedKeys(d) {
			p, ok := props[field].(map[string]any)
			if !ok {
				return t, fmt.Errorf("default for %s, which is not a field", field)
			}
			p["default"] = d[field]
			if req, ok := input["required"].([]string); ok {
				input["required"] = slices.DeleteFunc(slices.Clone(req), func(r string) bool { return r == field })
			}
		}
		if t.Defaults, err = marshal(d); err != nil {
			return t, err
		}
	}
	if req, ok := input["required"].([]string); ok && len(req) == 0 {
		delete(input, "required")
	}
	if q, ok := props["query"].(map[string]any); ok && isResourceQuery(q) {
		props["query"] = resourceQuery
	}
	// Komodo ignores unknown fields; refuse them so that a misspelt option is named, not lost.
	input["additionalProperties"] = false
	if cur.BriefNestedSchemaBytes > 0 {
		input = shrink(input, 0, cur.BriefNestedSchemaBytes)
	}
	if t.InputSchema, err = marshal(input); err != nil {
		return t, err
	}

	switch rootType(output) {
	case "object":
	case "array":
		t.ResultWrap = "items"
		output = map[string]any{"type": "object", "properties": map[string]any{"items": output}, "required": []any{"items"}}
	default:
		t.ResultWrap = "value"
		output = map[string]any{"type": "object", "properties": map[string]any{"value": output}}
	}
	if _, isUnion := output["anyOf"]; !isUnion {
		b, err := marshal(output)
		if err != nil {
			return t, err
		}
		if len(b) <= cur.MaxOutputSchemaBytes {
			t.OutputSchema = b
		}
	}
	return t, nil
}

// Bounds of the paging parameters (page, page_size). The server computes offsets from them
// without overflow whatever it is sent; the bounds tell the client what makes sense.
const (
	maxPage     = 1_000_000
	maxPageSize = 1000
)

// targetField is the one required resource field of a request, or "".
func targetField(input map[string]any) string {
	req, _ := input["required"].([]string)
	props, _ := input["properties"].(map[string]any)
	found := ""
	for _, r := range req {
		if slices.Contains(targetFields, r) {
			if p, _ := props[r].(map[string]any); p["type"] != "string" || found != "" {
				return ""
			}
			found = r
		}
	}
	if _, hasID := props["id"]; hasID {
		return ""
	}
	return found
}

// listItems recognises a list operation (a read named List... answering an array, or an
// object with next_page and one array) and returns the schema of its items and, for the
// object form, the key holding them.
func listItems(op, module string, output map[string]any) (items any, key string, ok bool) {
	if module != "read" || !strings.HasPrefix(op, "List") {
		return nil, "", false
	}
	switch rootType(output) {
	case "array":
		return output["items"], "", true
	case "object":
		props, _ := output["properties"].(map[string]any)
		if _, paged := props["next_page"]; !paged {
			return nil, "", false
		}
		for k, v := range props {
			if rootType(v.(map[string]any)) == "array" {
				return v.(map[string]any)["items"], k, true
			}
		}
	}
	return nil, "", false
}

// rootType is the non-null type of a converted schema ("" when it has none).
func rootType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any:
		return t[0].(string)
	}
	return ""
}

// toolsetOf finds the family toolset of an operation.
func toolsetOf(name string, words []string, cur *curation) (string, error) {
	if id, ok := cur.Operations[name]; ok {
		return id, nil
	}
	// The first word is the verb (Get, Update, Deploy...): match on the nouns after it.
	nouns := words[1:]
	if len(nouns) == 0 {
		nouns = words
	}
	for _, ts := range cur.Toolsets {
		for _, w := range nouns {
			if slices.Contains(ts.Words, w) {
				return ts.ID, nil
			}
		}
	}
	// Compound words such as GitProvider or ResourceSync span two name words.
	for _, ts := range cur.Toolsets {
		for _, w := range ts.Words {
			if strings.Contains(name, w) && len(splitWords(w)) > 1 {
				return ts.ID, nil
			}
		}
	}
	return "", fmt.Errorf("operation %s matches no toolset: add it to `operations` in api/mcp.yaml", name)
}

var wordRE = regexp.MustCompile(`[A-Z]+[a-z0-9]*`)

// splitWords splits a CamelCase operation name: "GetDeploymentActionState" ->
// [Get Deployment Action State].
func splitWords(name string) []string { return wordRE.FindAllString(name, -1) }

// title makes a human-readable title: "ListServers" -> "List servers".
func title(name string) string {
	words := splitWords(name)
	for i := 1; i < len(words); i++ {
		if len(words[i]) > 1 && strings.ToUpper(words[i]) != words[i] {
			words[i] = strings.ToLower(words[i])
		}
	}
	return strings.Join(words, " ")
}

var responseTail = regexp.MustCompile(`\s*Response: [A-Za-z0-9_, |\[\]()<>]+\.?`)

// describe is the operation's description, first paragraph only, without the
// "Response: X." note (the output schema says it).
func describe(op *openapi3.Operation) string {
	d := op.Description
	if d == "" {
		d = op.Summary
	}
	if i := strings.Index(d, "\n\n"); i >= 0 {
		d = d[:i]
	}
	d = strings.TrimSpace(responseTail.ReplaceAllString(d, ""))
	if d == "" {
		d = title(op.OperationID) + "."
	}
	return d
}

func marshal(v any) ([]byte, error) {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(b.String(), "\n")), nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
