package server_test

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// seedAliases are the execute tool names of the seed contract. They are hand-written aliases of Komodo
// operations; listed here so that this test does not depend on where they are registered.
var seedAliases = []string{"komodo_execute_Build", "komodo_execute_StartServer", "komodo_execute_StopServer", "komodo_execute_RestartServer", "komodo_execute_TriggerAction"}

var (
	toolNameRe = regexp.MustCompile(`komodo_[a-z]+_[A-Za-z0-9]+`)
	// toolCallRe finds the calls a prompt spells out: `tool` `{json arguments}`.
	toolCallRe = regexp.MustCompile("`(komodo_[a-z]+_[A-Za-z0-9]+)` `([^`]+)`")
)

// wantPrompts are the four workflow prompts with their arguments (name: required).
var wantPrompts = map[string]map[string]bool{
	"server_management":   {"server": false},
	"deployment_workflow": {"deployment": true, "force": false},
	"build_and_deploy":    {"build": true, "deployment": true},
	"alert_management":    {"severity": false},
}

func getPrompt(cs *mcp.ClientSession, name string, args map[string]string) (string, error) {
	res, err := cs.GetPrompt(context.Background(), &mcp.GetPromptParams{Name: name, Arguments: args})
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, m := range res.Messages {
		if tc, ok := m.Content.(*mcp.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), nil
}

func TestPrompts_List(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})
	got := map[string]bool{}
	for p, err := range cs.Prompts(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		got[p.Name] = true
		want, ok := wantPrompts[p.Name]
		if !ok {
			t.Errorf("unexpected prompt %s", p.Name)
			continue
		}
		if p.Title == "" || p.Description == "" {
			t.Errorf("%s: no title or description", p.Name)
		}
		if len(p.Arguments) != len(want) {
			t.Errorf("%s: %d arguments, want %d", p.Name, len(p.Arguments), len(want))
		}
		for _, a := range p.Arguments {
			if req, ok := want[a.Name]; !ok || req != a.Required || a.Description == "" {
				t.Errorf("%s: argument %+v", p.Name, a)
			}
		}
	}
	for name := range wantPrompts {
		if !got[name] {
			t.Errorf("prompt %s missing", name)
		}
	}
}

func TestPrompts_Get(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})
	cases := []struct {
		prompt string
		args   map[string]string
		want   []string // substrings of the text
		not    []string
	}{
		{"server_management", nil, []string{"komodo_read_ListServers", "komodo_read_GetServer", "komodo_execute_RestartServer", `"waitForHealthy":true`, "confirm"}, nil},
		{"server_management", map[string]string{"server": "prod-1"}, []string{`{"id":"prod-1"}`, `"id":"prod-1","options":{"waitForHealthy":true},"wait":true`}, nil},
		{"deployment_workflow", map[string]string{"deployment": "api"}, []string{"komodo_read_ListDeployments", `komodo_read_GetDeployment` + "` " + "`" + `{"id":"api"}`, `komodo_execute_Deploy` + "` `" + `{"id":"api","wait":true}`, "komodo_read_GetUpdate", "success", `{"status":"running"}`}, []string{"force"}},
		{"deployment_workflow", map[string]string{"deployment": "api", "force": "true"}, []string{`{"id":"api","options":{"force":true},"wait":true}`}, nil},
		{"deployment_workflow", map[string]string{"deployment": "api", "force": "false"}, nil, []string{`"force"`}},
		{"build_and_deploy", map[string]string{"build": "api-image", "deployment": "api"}, []string{"komodo_read_ListBuilds", `"repo_id"`, `komodo_execute_Build` + "` `" + `{"id":"api-image","wait":true}`, "do not deploy", `komodo_execute_Deploy` + "` `" + `{"id":"api","wait":true}`}, nil},
		{"alert_management", nil, []string{`{"page":1,"page_size":50,"resolved":false,"severity":"critical"}`, "komodo_read_GetAlert", "komodo_read_GetServer", "komodo_execute_RestartServer"}, nil},
		{"alert_management", map[string]string{"severity": "Warning"}, []string{`"severity":"warning"`}, []string{"critical"}},
		// A name with quotes stays valid JSON in the calls.
		{"deployment_workflow", map[string]string{"deployment": `my "odd" app`}, []string{`{"id":"my \"odd\" app"}`}, nil},
	}
	for _, c := range cases {
		text, err := getPrompt(cs, c.prompt, c.args)
		if err != nil {
			t.Errorf("%s %v: %v", c.prompt, c.args, err)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(text, w) {
				t.Errorf("%s %v: text lacks %s\n%s", c.prompt, c.args, w, text)
			}
		}
		for _, w := range c.not {
			if strings.Contains(text, w) {
				t.Errorf("%s %v: text has %s\n%s", c.prompt, c.args, w, text)
			}
		}
		for _, m := range toolCallRe.FindAllStringSubmatch(text, -1) {
			if !json.Valid([]byte(m[2])) {
				t.Errorf("%s: arguments of %s are not JSON: %s", c.prompt, m[1], m[2])
			}
		}
		if strings.Contains(text, "does not expose") {
			t.Errorf("%s: the default surface lacks a tool the prompt uses:\n%s", c.prompt, text)
		}
	}
}

func TestPrompts_ArgumentErrors(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{})
	cases := []struct {
		prompt string
		args   map[string]string
		want   string // in the error
	}{
		{"deployment_workflow", nil, `missing required argument "deployment"`},
		{"deployment_workflow", map[string]string{"deployment": "  "}, `missing required argument "deployment"`},
		{"build_and_deploy", map[string]string{"build": "api-image"}, `missing required argument "deployment"`},
		{"build_and_deploy", nil, `"build", "deployment"`},
		{"deployment_workflow", map[string]string{"deployment": "api", "force": "maybe"}, `"force" must be true or false`},
		{"alert_management", map[string]string{"severity": "fatal"}, "info, warning, error, critical"},
		{"server_management", map[string]string{"srv": "prod-1"}, `unknown argument "srv"`},
	}
	for _, c := range cases {
		_, err := getPrompt(cs, c.prompt, c.args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s %v: err = %v, want it to say %s", c.prompt, c.args, err, c.want)
		}
	}
}

// TestPrompts_ToolNames checks that prompts name only tools that exist, and say which of
// them a narrower selection leaves out.
func TestPrompts_ToolNames(t *testing.T) {
	known := map[string]bool{}
	all, err := server.List(server.Selection{Toolsets: []string{"all"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, info := range all {
		known[info.Name] = true
	}
	for _, n := range seedAliases {
		known[n] = true
	}
	exists := func(name string) bool {
		_, ok := catalog.ByName(name)
		return ok || known[name]
	}

	s := simtest.Start(t)
	full := connect(t, testConfig(s.URL()), server.Selection{})
	ro := connect(t, testConfig(s.URL()), server.Selection{ReadOnly: true})
	args := map[string]map[string]string{
		"server_management":   {"server": "prod-1"},
		"deployment_workflow": {"deployment": "api", "force": "true"},
		"build_and_deploy":    {"build": "api-image", "deployment": "api"},
		"alert_management":    {},
	}
	for name, a := range args {
		text, err := getPrompt(full, name, a)
		if err != nil {
			t.Fatal(err)
		}
		names := toolNameRe.FindAllString(text, -1)
		if len(names) < 3 {
			t.Errorf("%s names only %v", name, names)
		}
		for _, n := range names {
			if !exists(n) {
				t.Errorf("%s names %s, which is no tool", name, n)
			}
		}
		// Every one of these workflows ends in an execute tool, which --read-only removes.
		text, err = getPrompt(ro, name, a)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(text, "does not expose these tools: komodo_execute_") || regexp.MustCompile(`does not expose these tools:[^(]*komodo_read_`).MatchString(text) {
			t.Errorf("%s under --read-only does not name exactly the missing execute tools:\n%s", name, text)
		}
	}
}

// TestPrompts_CallsAreAccepted makes every call a prompt spells out, on the seeded world,
// and checks that the tool accepts its arguments: a prompt must never lead the assistant
// into a VALIDATION_ERROR.
func TestPrompts_CallsAreAccepted(t *testing.T) {
	for _, name := range []string{"server_management", "deployment_workflow", "build_and_deploy", "alert_management"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel() // each waits for its executions to complete
			s := simtest.Start(t, func(o *sim.Options) { o.ExecDuration = 20 * time.Millisecond })
			cs := connect(t, testConfig(s.URL()), server.Selection{})
			first := func(tool string) string {
				items, _ := structured(t, call(t, cs, tool, `{}`))["items"].([]any)
				if len(items) == 0 {
					t.Fatalf("%s: the seeded world is empty", tool)
				}
				return items[0].(map[string]any)["name"].(string)
			}
			var args map[string]string
			switch name {
			case "server_management":
				args = map[string]string{"server": first("komodo_read_ListServers")}
			case "deployment_workflow":
				args = map[string]string{"deployment": first("komodo_read_ListDeployments"), "force": "true"}
			case "build_and_deploy":
				args = map[string]string{"build": first("komodo_read_ListBuilds"), "deployment": first("komodo_read_ListDeployments")}
			case "alert_management":
				args = map[string]string{"severity": "critical"}
			}
			text, err := getPrompt(cs, name, args)
			if err != nil {
				t.Fatal(err)
			}
			calls := 0
			for _, m := range toolCallRe.FindAllStringSubmatch(text, -1) {
				tool, callArgs := m[1], m[2]
				if strings.Contains(callArgs, "<") {
					continue // a placeholder the assistant fills in from an earlier answer
				}
				calls++
				if res := call(t, cs, tool, callArgs); res.IsError {
					if code, msg := toolError(t, res); code == "VALIDATION_ERROR" {
						t.Errorf("%s %s refused: %s", tool, callArgs, msg)
					}
				}
			}
			if calls == 0 {
				t.Errorf("no concrete call (%d) in\n%s", calls, text)
			}
		})
	}
}
