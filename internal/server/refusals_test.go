package server_test

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// seededTargets are resources of the simulator's world, by request field.
var seededTargets = map[string]string{
	"deployment": "web-frontend", "build": "web-frontend", "server": "prod-1", "repo": "infra-ansible",
	"procedure": "restart-monitoring", "action": "notify-release", "stack": "monitoring",
}

// refusedCalls sweeps the curated parameters of every catalog tool (api/mcp.yaml
// `parameters`) for the values their schemas narrow away - a boolean option pinned to one
// value, an object that must stay empty, a single-valued enum - and adds the options Komodo
// has no equivalent for, which the schemas leave out. Each is a call Komodo cannot honour.
func refusedCalls(t *testing.T) map[string][]string {
	t.Helper()
	calls := map[string][]string{
		"komodo_execute_PullRepo":  {`{"options":{"depth":1}}`, `{"options":{"branch":"dev"}}`},
		"komodo_execute_CloneRepo": {`{"options":{"depth":1}}`, `{"options":{"branch":"dev"}}`},
	}
	type prop struct {
		Type          string          `json:"type"`
		Enum          []any           `json:"enum"`
		MaxProperties *int            `json:"maxProperties"`
		Properties    map[string]prop `json:"properties"`
	}
	opposite := func(p prop) (any, bool) {
		if len(p.Enum) != 1 {
			return nil, false
		}
		switch v := p.Enum[0].(type) {
		case bool:
			return !v, true
		case string:
			return "not-" + v, true
		}
		return nil, false
	}
	for _, ct := range catalog.Tools {
		var schema struct {
			Properties map[string]prop `json:"properties"`
		}
		if err := json.Unmarshal(ct.InputSchema, &schema); err != nil {
			t.Fatal(err)
		}
		for _, param := range ct.Params {
			p := schema.Properties[param]
			if p.MaxProperties != nil && *p.MaxProperties == 0 {
				calls[ct.Name] = append(calls[ct.Name], fmt.Sprintf(`{%q:{"name":"value"}}`, param))
			}
			if v, ok := opposite(p); ok {
				raw, _ := json.Marshal(map[string]any{param: v})
				calls[ct.Name] = append(calls[ct.Name], string(raw))
			}
			for name, sub := range p.Properties {
				if v, ok := opposite(sub); ok {
					raw, _ := json.Marshal(map[string]any{param: map[string]any{name: v}})
					calls[ct.Name] = append(calls[ct.Name], string(raw))
				}
			}
		}
	}
	return calls
}

// TestRefusals_SayWhyAndWhatInstead: every refusal of every curated parameter, whichever
// layer refuses it (the input schema or the translation), answers VALIDATION_ERROR naming
// the option with the reason and the alternative - never "enum", "maxProperties" or
// "unknown argument". And every reason in internal/params is reached by one of these calls.
func TestRefusals_SayWhyAndWhatInstead(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}}, server.Options{Confirm: config.ConfirmNone})
	reasons := map[string]bool{}
	n := 0
	for tool, cases := range refusedCalls(t) {
		ct, ok := catalog.ByName(tool)
		if !ok {
			t.Fatalf("no tool %s", tool)
		}
		for _, c := range cases {
			var args map[string]any
			_ = json.Unmarshal([]byte(c), &args)
			if ct.TargetField != "" {
				args["id"] = seededTargets[ct.TargetField]
			}
			raw, _ := json.Marshal(args)
			code, msg := toolError(t, call(t, cs, tool, string(raw)))
			_, why, found := strings.Cut(msg, " cannot be honoured: ")
			if code != "VALIDATION_ERROR" || !found || len(why) < 20 || regexp.MustCompile(`enum|maxProperties|unknown argument|got \w+, want`).MatchString(msg) {
				t.Errorf("%s %s: %s %q, want the option named with why it cannot be honoured", tool, raw, code, msg)
			}
			reasons[why] = true
			n++
		}
	}
	if n < 20 {
		t.Errorf("only %d refused calls swept", n)
	}
	// Every refuse(...) in internal/params with a fixed reason was read above.
	src, err := os.ReadFile("../params/params.go")
	if err != nil {
		t.Fatal(err)
	}
	fixed := regexp.MustCompile(`refuse\("[^"]+", ("[^"]*"|`+"`[^`]*`"+`)\)`).FindAllStringSubmatch(string(src), -1)
	if len(fixed) < 15 {
		t.Fatalf("found only %d refusals in internal/params/params.go: has the pattern changed?", len(fixed))
	}
	for _, m := range fixed {
		want := strings.Trim(m[1], "\"`")
		seen := false
		for why := range reasons {
			seen = seen || strings.HasPrefix(why, want) || strings.Contains(why, want)
		}
		if !seen {
			t.Errorf("no swept call reads the refusal %q", want)
		}
	}
}

// TestRefusals_SatisfiedOptionAccepted: an option whose value Komodo already satisfies is
// accepted - PullRepo and CloneRepo naming the branch the repo is configured with.
func TestRefusals_SatisfiedOptionAccepted(t *testing.T) {
	s := simtest.Start(t)
	cs := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}}, server.Options{Confirm: config.ConfirmNone})
	for _, tool := range []string{"komodo_execute_PullRepo", "komodo_execute_CloneRepo"} {
		res := call(t, cs, tool, `{"id":"infra-ansible","options":{"branch":"main"}}`)
		if res.IsError {
			_, msg := toolError(t, res)
			t.Errorf("%s with the configured branch: %s", tool, msg)
		}
	}
}
