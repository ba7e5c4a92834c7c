package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"sort"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// clientValidators compile a tool's output schema as the clients' Ajv reads it: once as
// draft 2020-12 and once as draft-07 (schemas without $schema are read either way), with
// unknown formats tolerated (the validator asserts no format by default).
func clientValidators(t *testing.T, name string, schema any) []*jsonschema.Schema {
	t.Helper()
	raw, err := json.Marshal(schema)
	if err != nil {
		t.Fatal(err)
	}
	var out []*jsonschema.Schema
	for _, draft := range []*jsonschema.Draft{jsonschema.Draft2020, jsonschema.Draft7} {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(draft)
		url := fmt.Sprintf("mem:///%s/%d.json", name, len(out))
		if err := c.AddResource(url, doc); err != nil {
			t.Fatal(err)
		}
		s, err := c.Compile(url)
		if err != nil {
			t.Errorf("%s: output schema does not compile as %v: %v", name, draft, err)
			continue
		}
		out = append(out, s)
	}
	return out
}

// argumentValues are values for required arguments that must name something the
// simulator has (or be of a shape Komodo accepts), keyed by argument name.
var argumentValues = map[string]any{
	"tail": 10, "terms": []any{"error"}, "services": []any{}, "service": "prometheus", "container": "web-frontend",
	"image": "nginx:1.27", "name": "test-inventory", "pattern": "*",
	"user": "ci-bot", "user_id": "ci-bot", "user_group": "admins", "users": []any{},
	"config": "prometheus.yml", "secret": "db-password", "value": "v", "description": "d", "is_secret": false,
	"admin": false, "everyone": false,
}

// synthesize builds arguments that satisfy a tool's input schema: the target named by
// `id`, required fields from argumentValues, else the first enum value or a zero value.
func synthesize(schema map[string]any, target string, fill func(field string) any) map[string]any {
	args := map[string]any{}
	if target != "" {
		args["id"] = fill(target)
	}
	req, _ := schema["required"].([]any)
	props, _ := schema["properties"].(map[string]any)
	for _, r := range req {
		name := r.(string)
		if _, set := args[name]; set {
			continue // the target's `id`
		}
		p, _ := props[name].(map[string]any)
		args[name] = valueFor(name, p, fill)
	}
	return args
}

func valueFor(name string, p map[string]any, fill func(string) any) any {
	if v := fill(name); v != nil {
		return v
	}
	if v, ok := argumentValues[name]; ok {
		return v
	}
	if enum, ok := p["enum"].([]any); ok && len(enum) > 0 {
		return enum[0]
	}
	typ := p["type"]
	if list, ok := typ.([]any); ok && len(list) > 0 {
		typ = list[0]
	}
	switch typ {
	case "string":
		return "x"
	case "integer", "number":
		if m, ok := p["minimum"].(float64); ok && m > 0 {
			return m
		}
		return 0
	case "boolean":
		return false
	case "array":
		return []any{}
	case "object":
		return synthesize(p, "", fill)
	}
	if alts, ok := p["anyOf"].([]any); ok && len(alts) > 0 {
		return valueFor(name, alts[0].(map[string]any), fill)
	}
	return map[string]any{}
}

// Every tool that declares an output schema - generated or hand-written, under
// --toolsets all - answers structuredContent that its own schema (as the client reads it
// from tools/list) accepts. The official TypeScript client rejects a result that does not
// validate with -32602, so this is what keeps every result usable in Claude.
func TestInventory_OutputSchemas(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}})
	ctx := context.Background()

	// One resource name of each kind the simulator holds, for `id` and target fields.
	names := map[string]any{}
	for field, tool := range map[string]string{
		"server": "komodo_read_ListServers", "deployment": "komodo_read_ListDeployments", "stack": "komodo_read_ListStacks",
		"build": "komodo_read_ListBuilds", "repo": "komodo_read_ListRepos", "procedure": "komodo_read_ListProcedures",
		"action": "komodo_read_ListActions", "builder": "komodo_read_ListBuilders", "alerter": "komodo_read_ListAlerters",
		"sync": "komodo_read_ListResourceSyncs", "swarm": "komodo_read_ListSwarms",
	} {
		items, _ := structured(t, call(t, cs, tool, `{}`))["items"].([]any)
		if len(items) == 0 {
			t.Fatalf("%s: the simulator has none", tool)
		}
		names[field] = items[0].(map[string]any)["name"]
	}
	fill := func(field string) any { return names[field] }
	firstID := func(tool, key string, i int) any {
		v := structured(t, call(t, cs, tool, `{}`))
		items, _ := v[key].([]any)
		if len(items) <= i {
			t.Fatalf("%s: fewer than %d items", tool, i+1)
		}
		oid, _ := items[i].(map[string]any)["_id"].(map[string]any)
		return oid["$oid"]
	}
	// Tools whose required arguments must name a particular existing thing.
	overrides := map[string]map[string]any{
		"komodo_read_GetVariable":                {"name": "DOMAIN"},
		"komodo_write_UpdateVariableDescription": {"name": "DOMAIN", "description": "d"},
		"komodo_write_UpdateVariableIsSecret":    {"name": "LOG_LEVEL", "is_secret": false},
		"komodo_write_UpdateVariableValue":       {"name": "LOG_LEVEL", "value": "debug"},
		"komodo_write_CloseAlert":                {"id": firstID("komodo_read_ListAlerts", "items", 0)},
		"komodo_write_DeleteTag":                 {"id": firstID("komodo_read_ListTags", "items", 1)},
		"komodo_write_RenameTag":                 {"id": firstID("komodo_read_ListTags", "items", 0), "name": "renamed"},
		"komodo_read_GetTag":                     {"tag": "monitoring"},
		"komodo_write_UpdateTagColor":            {"tag": "monitoring", "color": "Green"},
		"komodo_write_UpdateResourceMeta":        {"target": map[string]any{"type": "Server", "id": names["server"]}},
	}
	for k, list := range map[string]string{"GitProviderAccount": "komodo_read_ListGitProviderAccounts", "ImageRegistryAccount": "komodo_read_ListImageRegistryAccounts"} {
		overrides["komodo_read_Get"+k] = map[string]any{"id": firstID(list, "items", 0)}
		overrides["komodo_write_Update"+k] = map[string]any{"id": firstID(list, "items", 0), "account": map[string]any{"username": "renamed"}}
		overrides["komodo_write_Delete"+k] = map[string]any{"id": firstID(list, "items", 1)}
		overrides["komodo_write_Create"+k] = map[string]any{"account": map[string]any{"domain": "git.acme.example", "username": "bot", "token": "t0k3n-new"}}
	}

	var tools []*mcp.Tool
	for tool, err := range cs.Tools(ctx, nil) {
		if err != nil {
			t.Fatal(err)
		}
		if tool.OutputSchema != nil {
			tools = append(tools, tool)
		}
	}
	if len(tools) < 100 {
		t.Fatalf("only %d tools declare an output schema under --toolsets all", len(tools))
	}
	validated, failedCalls := 0, map[string]string{}
	for _, tool := range tools {
		validators := clientValidators(t, tool.Name, tool.OutputSchema)
		var in map[string]any
		raw, _ := json.Marshal(tool.InputSchema)
		json.Unmarshal(raw, &in)
		target := ""
		if ct, ok := catalog.ByName(tool.Name); ok {
			target = ct.TargetField // the tool's `id` names one of these
		}
		args := synthesize(in, target, fill)
		for k, v := range overrides[tool.Name] {
			args[k] = v
		}
		// Reads answer compact results by default and Komodo's own with raw: true; the
		// schema must accept both.
		variants := []map[string]any{args}
		if props, _ := in["properties"].(map[string]any); props["raw"] != nil {
			rawArgs := maps.Clone(args)
			rawArgs["raw"] = true
			variants = append(variants, rawArgs)
		}
		for _, args := range variants {
			res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool.Name, Arguments: args})
			if err != nil {
				t.Errorf("%s: protocol error: %v", tool.Name, err)
				continue
			}
			if res.IsError {
				failedCalls[tool.Name] = res.Content[0].(*mcp.TextContent).Text
				continue
			}
			if res.StructuredContent == nil {
				t.Errorf("%s declares an output schema but answered no structuredContent", tool.Name)
				continue
			}
			data, _ := json.Marshal(res.StructuredContent)
			instance, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range validators {
				if err := v.Validate(instance); err != nil {
					t.Errorf("%s: structuredContent does not match its output schema (draft %d): %v\nargs %v\nresult %.600s", tool.Name, v.DraftVersion, err, args, data)
					break
				}
			}
		}
		validated++
	}
	var failed []string
	for n, msg := range failedCalls {
		failed = append(failed, n+": "+msg)
	}
	sort.Strings(failed)
	t.Logf("%d of %d tools with an output schema answered and validated; %d answered an error:\n%s", validated, len(tools), len(failed), strings.Join(failed, "\n"))
	for _, f := range failed {
		t.Errorf("%s\n(so its result was not validated: give the test arguments that work)", f)
	}
}

// Every integer argument of every tool a client can list - generated, hand-written, or
// added later - and every number the server computes with has a minimum and a maximum.
func TestInventory_NumericBounds(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}})
	numbers := 0
	for tool, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := json.Marshal(tool.InputSchema)
		var in map[string]any
		json.Unmarshal(raw, &in)
		walkSchema("", in, func(path string, s map[string]any) {
			// Integers anywhere; other numbers where the server itself computes with them
			// (its own arguments and options: timeouts). Komodo's fractional config fields
			// travel to Komodo as sent, and Komodo's serde refuses what it cannot hold.
			ours := strings.Count(path, ".") <= 1 || strings.HasPrefix(path, ".options.")
			bounded := hasType(s, "integer") || (hasType(s, "number") && ours)
			if !bounded {
				return
			}
			numbers++
			_, lo := s["minimum"]
			_, hi := s["maximum"]
			if !lo || !hi {
				t.Errorf("%s: number argument %s lacks bounds (minimum %v, maximum %v)", tool.Name, path, lo, hi)
			}
		})
	}
	if numbers == 0 {
		t.Fatal("no numeric argument found: the walk is broken")
	}
}

func hasType(s map[string]any, want string) bool {
	switch v := s["type"].(type) {
	case string:
		return v == want
	case []any:
		for _, x := range v {
			if x == want {
				return true
			}
		}
	}
	return false
}

// walkSchema calls fn for s and every schema nested in it.
func walkSchema(path string, s map[string]any, fn func(string, map[string]any)) {
	fn(path, s)
	if props, ok := s["properties"].(map[string]any); ok {
		for k, v := range props {
			if m, ok := v.(map[string]any); ok {
				walkSchema(path+"."+k, m, fn)
			}
		}
	}
	for _, kw := range []string{"items", "additionalProperties"} {
		if m, ok := s[kw].(map[string]any); ok {
			walkSchema(path+"/"+kw, m, fn)
		}
	}
	for _, kw := range []string{"anyOf", "oneOf", "allOf"} {
		if alts, ok := s[kw].([]any); ok {
			for i, a := range alts {
				if m, ok := a.(map[string]any); ok {
					walkSchema(fmt.Sprintf("%s/%s/%d", path, kw, i), m, fn)
				}
			}
		}
	}
}
