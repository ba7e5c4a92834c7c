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
	Operations           map[string]string `yaml:"operations"`
	Default              []string          `yaml:"default"`
	AdditiveVerbs        []string          `yaml:"additive_verbs"`
	IdempotentVerbs      []string          `yaml:"idempotent_verbs"`
	MaxOutputSchemaBytes int               `yaml:"max_output_schema_bytes"`
}

// tool is one generated catalog entry.
type tool struct {
	Name, Title, Description          string
	Module, Operation, Method, Path   string
	Toolset                           string
	ReadOnly, Destructive, Idempotent bool
	InputSchema, OutputSchema         []byte
	ResultWrap                        string
	Paged                             bool
}

// modules maps a path prefix to the tool module. Auth paths are not tools: they carry
// passwords and API secrets, which must never travel in tool arguments or results.
var modules = []struct{ prefix, module string }{
	{"/read/", "read"}, {"/write/", "write"}, {"/execute/", "execute"},
}

func buildTools(doc *openapi3.T, cur *curation) ([]tool, error) {
	var tools []tool
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
		t, err := buildTool(module, method, path, op, cur)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		tools = append(tools, t)
	}
	sort.Slice(tools, func(i, j int) bool { return tools[i].Name < tools[j].Name })
	for _, name := range cur.Default {
		if !slices.ContainsFunc(tools, func(t tool) bool { return t.Name == name }) {
			return nil, fmt.Errorf("default tool %s is not in the catalog", name)
		}
	}
	return tools, nil
}

func buildTool(module, method, path string, op *openapi3.Operation, cur *curation) (tool, error) {
	name := op.OperationID
	t := tool{
		Name:      "komodo_" + module + "_" + name,
		Title:     title(name),
		Module:    module,
		Operation: name,
		Method:    method,
		Path:      path,
		ReadOnly:  module == "read" || module == "user",
	}
	words := splitWords(name)
	verb := words[0]
	t.Destructive = !t.ReadOnly && !slices.Contains(cur.AdditiveVerbs, verb)
	t.Idempotent = t.ReadOnly || slices.Contains(cur.IdempotentVerbs, verb)
	toolset, err := toolsetOf(name, words, cur)
	if err != nil {
		return t, err
	}
	t.Toolset = toolset
	t.Description = describe(op)

	input := map[string]any{"type": "object", "properties": map[string]any{}}
	if op.RequestBody != nil {
		s := op.RequestBody.Value.Content.Get("application/json").Schema
		input = convert(s, inputMode, nil)
		if input["type"] != "object" {
			return t, fmt.Errorf("request schema is not an object")
		}
		props, _ := input["properties"].(map[string]any)
		_, hasPage := props["page"]
		_, hasLimit := props["limit"]
		t.Paged = hasPage && hasLimit
	}
	delete(input, "description") // the tool description says it
	// Komodo ignores unknown fields; refuse them so that a misspelt option is named, not lost.
	input["additionalProperties"] = false
	if t.InputSchema, err = marshal(input); err != nil {
		return t, err
	}

	resp := op.Responses.Status(200).Value.Content.Get("application/json")
	if resp == nil {
		return t, fmt.Errorf("no JSON 200 response")
	}
	output := convert(resp.Schema, outputMode, nil)
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
