package main

import (
	"fmt"
	"reflect"
	"strings"
)

// module is one family of Komodo RPC operations served under a common path prefix.
type module struct {
	tag       string // OpenAPI tag, also the MCP module name
	prefix    string // path prefix, the operation type is appended
	requests  string // the request enum definition listing the operations
	responses string // the definition mapping operation -> response type
	auth      bool   // from mogh_auth_client
	public    bool   // callable without credentials
}

var modules = []module{
	{tag: "read", prefix: "/read/", requests: "ReadRequest", responses: "ReadResponses"},
	{tag: "write", prefix: "/write/", requests: "WriteRequest", responses: "WriteResponses"},
	{tag: "execute", prefix: "/execute/", requests: "ExecuteRequest", responses: "ExecuteResponses"},
	{tag: "auth", prefix: "/auth/login/", requests: "LoginRequest", responses: "LoginResponses", auth: true, public: true},
	{tag: "auth", prefix: "/auth/manage/", requests: "ManageRequest", responses: "ManageResponses", auth: true},
}

// modulesV1 are Komodo 1's: login and API keys were komodo_client's own AuthRequest
// (POST /auth/{Type}) and UserRequest (POST /user/{Type}), and there was no GET /user or
// GET /version (bin/core/src/main.rs and api/{auth,user}.rs at v1.19.5).
var modulesV1 = []module{
	modules[0], modules[1], modules[2],
	{tag: "auth", prefix: "/auth/", requests: "AuthRequest", responses: "AuthResponses", public: true},
	{tag: "auth", prefix: "/user/", requests: "UserRequest", responses: "UserResponses"},
}

// enumDefinitions are the request/response catalogs: they become paths, not schemas.
var enumDefinitions = map[string]bool{
	"ReadRequest": true, "WriteRequest": true, "ExecuteRequest": true,
	"ReadResponses": true, "WriteResponses": true, "ExecuteResponses": true,
	"LoginRequest": true, "ManageRequest": true, "LoginResponses": true, "ManageResponses": true,
	"AuthRequest": true, "UserRequest": true, "AuthResponses": true, "UserResponses": true,
}

// mergeDefinitions adds the auth package's definitions to Komodo's. A name both define
// must have the same structure (komodo_client keeps documented copies of a few auth
// types); the auth package's version, the original, wins.
func mergeDefinitions(komodo, auth map[string]any) (map[string]any, error) {
	all := make(map[string]any, len(komodo)+len(auth))
	for k, v := range komodo {
		all[k] = v
	}
	for k, v := range auth {
		if old, ok := all[k]; ok && !reflect.DeepEqual(stripDocs(old), stripDocs(v)) {
			return nil, fmt.Errorf("definition %q differs between komodo_client and mogh_auth_client", k)
		}
		all[k] = v
	}
	return all, nil
}

func stripDocs(v any) any {
	switch t := v.(type) {
	case object:
		out := object{}
		for k, vv := range t {
			if k != "description" {
				out[k] = stripDocs(vv)
			}
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, vv := range t {
			out[i] = stripDocs(vv)
		}
		return out
	}
	return v
}

// buildDocument assembles the OpenAPI document. auth is nil for Komodo 1, whose komodo_client
// carries its own auth requests.
func buildDocument(komodo, auth map[string]any, versions map[string]string, facts *rustFacts) (object, factStats, error) {
	mods, fixed := modules, fixedPaths()
	if auth == nil {
		mods = modulesV1
		delete(fixed, "/user")
		delete(fixed, "/version")
	}
	var st factStats
	defs, err := mergeDefinitions(komodo, auth)
	if err != nil {
		return nil, st, err
	}
	names, err := normalizeNames(defs)
	if err != nil {
		return nil, st, err
	}
	c := &converter{names: names, schemas: map[string]any{}}
	if err := c.convertAll(defs, enumDefinitions); err != nil {
		return nil, st, err
	}
	c.schemas["Error"] = object{
		"type":        "object",
		"description": "The body of every non-200 answer from Komodo.",
		"required":    []any{"error", "trace"},
		"properties": object{
			"error": object{"type": "string", "description": "What went wrong, in Komodo's words."},
			"trace": object{"type": "array", "items": object{"type": "string"}, "description": "The chain of causes, outermost first."},
		},
	}

	paths := object{}
	seen := map[string]string{}
	for _, m := range mods {
		src := komodo
		if m.auth {
			src = auth
		}
		ops, err := operations(src, m)
		if err != nil {
			return nil, st, err
		}
		for _, op := range ops {
			if other, dup := seen[op.name]; dup {
				return nil, st, fmt.Errorf("operationId %q is defined by both %s and %s", op.name, other, m.prefix)
			}
			seen[op.name] = m.prefix
			params := defs[op.params].(object)
			desc, _ := params["description"].(string)
			desc = cleanDoc(desc)
			resp, err := c.convert(op.response)
			if err != nil {
				return nil, st, fmt.Errorf("%s response: %w", op.name, err)
			}
			operation := object{
				"operationId": op.name,
				"tags":        []any{m.tag},
				"summary":     summary(desc, op.name),
				"description": desc,
				"requestBody": object{
					"required": true,
					"content":  object{"application/json": object{"schema": object{"$ref": "#/components/schemas/" + names[op.params]}}},
				},
				"responses": object{
					"200":     object{"description": "Success.", "content": object{"application/json": object{"schema": wrapRef(resp.(object))}}},
					"default": object{"$ref": "#/components/responses/Error"},
				},
			}
			if m.public {
				operation["security"] = []any{}
			}
			paths[m.prefix+op.name] = object{"post": operation}
		}
	}
	for p, item := range fixed {
		for _, op := range item.(object) {
			id := op.(object)["operationId"].(string)
			if other, dup := seen[id]; dup {
				return nil, st, fmt.Errorf("operationId %q is defined by both %s and %s", id, other, p)
			}
		}
		paths[p] = item
	}
	// Before the default-pagination wording and the Rust facts: both change schemas in place.
	fixStaleDefaults(c.schemas)
	st = applyRustFacts(c.schemas, facts, requestOnlySchemas(c.schemas, paths), requestBodySchemas(paths))

	doc := object{
		"openapi": "3.0.3",
		"info": object{
			"title":   "Komodo Core API",
			"version": versions["komodo_client"],
			"description": "The HTTP API of Komodo Core " + versions["komodo_client"] + ", generated by komodo-mcp's tools/specgen from the official " +
				"komodo_client@" + versions["komodo_client"] + authTypes(auth != nil, versions) + " TypeScript types.\n\n" +
				"Komodo's API is RPC over HTTP: POST /read/{Type}, /write/{Type} and /execute/{Type} with the request's params as the JSON body. " +
				"Requests name their target by id or by name. Any non-200 answer carries {\"error\", \"trace\"}; application errors, " +
				"including \"not found\" and most permission failures, are HTTP 500. Optional fields are sent as null.",
			"license": object{"name": "GPL-3.0", "url": "https://github.com/moghtech/komodo/blob/main/LICENSE"},
		},
		"x-komodo-client-version":    versions["komodo_client"],
		"x-mogh-auth-client-version": versions["mogh_auth_client"],
		"tags": []any{
			object{"name": "read", "description": "Read-only queries."},
			object{"name": "write", "description": "Create, update and delete resources and configuration."},
			object{"name": "execute", "description": "Run work on resources (deploy, build, start, stop...). Answers an Update to follow with GetUpdate."},
			object{"name": "auth", "description": "Login and credential management (mogh_auth_client)."},
			object{"name": "user", "description": "The calling user and Core information outside the RPC modules."},
			object{"name": "terminal", "description": "Run commands in terminals on servers, containers, deployments and stacks."},
		},
		"security": []any{
			object{"ApiKey": []any{}, "ApiSecret": []any{}},
			object{"Jwt": []any{}},
		},
		"paths": paths,
		"components": object{
			"schemas": c.schemas,
			"responses": object{
				"Error": object{
					"description": "Komodo's error answer. Application errors are 500; 400 bad request, 401 invalid credentials, 403 some permission checks, 415 missing content-type.",
					"content":     object{"application/json": object{"schema": object{"$ref": "#/components/schemas/Error"}}},
				},
			},
			"securitySchemes": object{
				"ApiKey":    object{"type": "apiKey", "in": "header", "name": "x-api-key", "description": "API key; always sent together with x-api-secret."},
				"ApiSecret": object{"type": "apiKey", "in": "header", "name": "x-api-secret", "description": "API secret; always sent together with x-api-key."},
				"Jwt":       object{"type": "apiKey", "in": "header", "name": "authorization", "description": "A JWT from /auth/login, sent as the raw token (no \"Bearer\" prefix)."},
			},
		},
	}
	if auth == nil {
		delete(doc, "x-mogh-auth-client-version")
	}
	return doc, st, nil
}

// authTypes names the auth package in the document's description.
func authTypes(v2 bool, versions map[string]string) string {
	if !v2 {
		return ""
	}
	return " and mogh_auth_client@" + versions["mogh_auth_client"]
}

// fixedPaths are the endpoints outside the request enums.
func fixedPaths() object {
	errResp := object{"$ref": "#/components/responses/Error"}
	return object{
		"/user": object{"get": object{
			"operationId": "GetUser",
			"tags":        []any{"user"},
			"summary":     "Get the calling user.",
			"description": "Returns the user the credentials belong to.",
			"responses": object{
				"200":     object{"description": "The calling user.", "content": object{"application/json": object{"schema": object{"$ref": "#/components/schemas/User"}}}},
				"default": errResp,
			},
		}},
		"/version": object{"get": object{
			"operationId": "GetCoreVersionText",
			"tags":        []any{"user"},
			"summary":     "Get the Core version as plain text.",
			"description": "Returns the Komodo Core version (e.g. 2.3.2) as text/plain.",
			"responses": object{
				"200":     object{"description": "The version.", "content": object{"text/plain": object{"schema": object{"type": "string"}}}},
				"default": errResp,
			},
		}},
		"/terminal/execute": object{"post": object{
			"operationId": "ExecuteTerminal",
			"tags":        []any{"terminal"},
			"summary":     "Execute a command in a terminal and stream its output.",
			"description": "Runs the command in the named terminal of the target (a Server, Container, Stack or Deployment), creating the " +
				"terminal first when init is given and it does not exist. The answer is a text stream, not JSON: the command's output " +
				"arrives line by line as it is produced, and a final line `__KOMODO_EXIT_CODE:<n>` carries the exit code of the command. " +
				"Read the body incrementally; the response ends when the command does.",
			"requestBody": object{
				"required": true,
				"content":  object{"application/json": object{"schema": object{"$ref": "#/components/schemas/ExecuteTerminalBody"}}},
			},
			"responses": object{
				"200":     object{"description": "The command's output, streamed, ending with `__KOMODO_EXIT_CODE:<n>`.", "content": object{"text/plain": object{"schema": object{"type": "string"}}}},
				"default": errResp,
			},
		}},
	}
}

// operation is one request type of a module.
type operation struct {
	name     string
	params   string // definition name of the params
	response object // schema of the response
}

// operations lists a module's operations in the order the request enum declares them.
func operations(defs map[string]any, m module) ([]operation, error) {
	reqs, ok := defs[m.requests].(object)["anyOf"].([]any)
	if !ok {
		return nil, fmt.Errorf("%s is missing or not a union", m.requests)
	}
	resps, ok := defs[m.responses].(object)["properties"].(object)
	if !ok {
		return nil, fmt.Errorf("%s is missing or not an object", m.responses)
	}
	var ops []operation
	for _, r := range reqs {
		props := r.(object)["properties"].(object)
		name := props["type"].(object)["const"].(string)
		params, ok := pureRef(props["params"])
		if !ok {
			return nil, fmt.Errorf("%s: params of %s is not a reference", m.requests, name)
		}
		resp, ok := resps[name].(object)
		if !ok {
			return nil, fmt.Errorf("%s has no response for %s", m.responses, name)
		}
		ops = append(ops, operation{name: name, params: params, response: resp})
	}
	return ops, nil
}

// summary is the first sentence of a description, without the "Response: X." tail.
func summary(desc, name string) string {
	s := desc
	if i := strings.Index(s, "\n"); i >= 0 {
		s = s[:i]
	}
	if i := strings.Index(s, ". "); i >= 0 {
		s = s[:i+1]
	}
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "Response:") {
		return name + "."
	}
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
