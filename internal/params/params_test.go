package params_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
	"github.com/komodo-mcp/komodo-mcp/internal/params"
)

// fakeKomodo answers the lookups translations make, and records them.
type fakeKomodo struct{ calls []string }

const (
	serverOID = "aaaaaaaaaaaaaaaaaaaaaaaa"
	repoOID   = "bbbbbbbbbbbbbbbbbbbbbbbb"
)

func (f *fakeKomodo) Call(_ context.Context, method, path string, body []byte) ([]byte, error) {
	f.calls = append(f.calls, method+" "+path+" "+string(body))
	if strings.Contains(string(body), "missing") {
		return nil, &errcode.Error{Code: errcode.NotFound, Message: "Did not find any resource matching missing"}
	}
	switch path {
	case "/read/GetServer":
		return []byte(`{"_id":{"$oid":"` + serverOID + `"},"name":"prod-1"}`), nil
	case "/read/ListServers":
		return []byte(`[{"id":"` + serverOID + `","name":"prod-1","info":{}}]`), nil
	case "/read/GetRepo":
		return []byte(`{"_id":{"$oid":"` + repoOID + `"},"config":{"repo":"acme/app"}}`), nil
	case "/read/ListFullProcedures":
		return []byte(`[{"_id":{"$oid":"p-sched"},"config":{"schedule_enabled":true,"schedule":"0 0 * * *"}},
			{"_id":{"$oid":"p-hook"},"config":{"webhook_enabled":true}},
			{"_id":{"$oid":"p-manual"},"config":{}}]`), nil
	}
	return nil, &errcode.Error{Code: errcode.NotFound, Message: "no " + path}
}

// args decodes JSON arguments the way the server does (numbers as json.Number).
func args(t *testing.T, s string) map[string]any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("%s: %v", s, err)
	}
	return m
}

func tool(t *testing.T, name string) *catalog.Tool {
	t.Helper()
	ct, ok := catalog.ByName(name)
	if !ok {
		t.Fatalf("no tool %s", name)
	}
	return ct
}

// items are list items of every kind the filters look at; a parameter that filters
// keeps a different subset of them.
var items = []map[string]any{
	{"id": "p-sched", "info": map[string]any{"state": "Ok", "server_id": serverOID, "linked_repo": repoOID, "git_provider": "github.com"}},
	{"id": "p-hook", "info": map[string]any{"state": "NotOk", "server_id": "other", "repo": "acme/other", "git_provider": "gitlab.com"}},
	{"id": "p-manual", "info": map[string]any{"state": "running", "git_provider": "git.example.org"}},
}

// effect is what a parameter changed between two calls of a tool.
type effect struct {
	refused  *errcode.Error
	request  bool // the body Komodo receives differs
	wait     bool // what the call waits for differs
	filtered bool // a different subset of list items comes back
}

func (e effect) String() string {
	if e.refused != nil {
		return "refused: " + e.refused.Message
	}
	return fmt.Sprintf("request=%v wait=%v filtered=%v", e.request, e.wait, e.filtered)
}

func (e effect) any() bool { return e.refused != nil || e.request || e.wait || e.filtered }

// plan translates a call and checks that Translate left its arguments alone.
func plan(t *testing.T, k params.Komodo, name, raw string) (*params.Plan, error) {
	t.Helper()
	in := args(t, raw)
	before, _ := json.Marshal(in)
	p, err := params.Translate(context.Background(), k, tool(t, name), in)
	if after, _ := json.Marshal(in); !bytes.Equal(before, after) {
		t.Errorf("%s %s: Translate modified its arguments: %s", name, raw, after)
	}
	return p, err
}

// compare translates base and with, and says what differs for Komodo or the client.
func compare(t *testing.T, name, base, with string) effect {
	t.Helper()
	k := &fakeKomodo{}
	pb, err := plan(t, k, name, base)
	if err != nil {
		t.Fatalf("%s %s: base call refused: %v", name, base, err)
	}
	pw, err := plan(t, k, name, with)
	if err != nil {
		var e *errcode.Error
		if !errors.As(err, &e) {
			t.Fatalf("%s %s: %v is not a classified error", name, with, err)
		}
		return effect{refused: e}
	}
	bb, _ := pb.Body()
	bw, _ := pw.Body()
	kept := func(p *params.Plan) []int {
		var out []int
		for i, it := range items {
			if p.Kept(it) {
				out = append(out, i)
			}
		}
		return out
	}
	return effect{
		request:  !jsonEqual(bb, bw),
		wait:     pb.Wait != pw.Wait,
		filtered: !slices.Equal(kept(pb), kept(pw)),
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

// parameterCases call each tool without and with one parameter (or one option); the
// second call must change what reaches Komodo, what the call waits for, or what comes
// back (a filtered list, or a VALIDATION_ERROR naming the option). Options Komodo always
// honours (force on Deploy, forceBuild, overwrite, async) show their effect with the
// value that cannot be honoured.
var parameterCases = []struct {
	tool, param, base, with string
}{
	{"komodo_read_ListServers", "status", `{}`, `{"status":"running"}`},
	{"komodo_read_ListDeployments", "status", `{}`, `{"status":"failed"}`},
	{"komodo_read_ListDeployments", "server_id", `{}`, `{"server_id":"prod-1"}`},
	{"komodo_read_ListStacks", "status", `{}`, `{"status":"active"}`},
	{"komodo_read_ListBuilds", "status", `{}`, `{"status":"success"}`},
	{"komodo_read_ListBuilds", "repo_id", `{}`, `{"repo_id":"app-repo"}`},
	{"komodo_read_ListRepos", "provider", `{}`, `{"provider":"github"}`},
	{"komodo_read_ListProcedures", "trigger", `{}`, `{"trigger":"webhook"}`},
	{"komodo_read_ListActions", "type", `{}`, `{"type":"python"}`},
	{"komodo_read_ListActions", "enabled", `{}`, `{"enabled":false}`},
	{"komodo_read_ListAlerts", "severity", `{}`, `{"severity":"warning"}`},
	{"komodo_read_ListAlerts", "resolved", `{}`, `{"resolved":false}`},
	{"komodo_read_ListAlerts", "resource_type", `{}`, `{"resource_type":"stack"}`},
	{"komodo_read_ListUpdates", "since", `{}`, `{"since":"1h"}`},
	{"komodo_read_ListUpdates", "operation", `{}`, `{"operation":"Deploy"}`},
	{"komodo_read_ListUpdates", "target", `{}`, `{"target":"` + serverOID + `"}`},
	{"komodo_read_ListUpdates", "success", `{}`, `{"success":false}`},

	{"komodo_execute_Deploy", "options.force", `{"id":"web"}`, `{"id":"web","options":{"force":false}}`},
	{"komodo_execute_Deploy", "options.stopBeforeStart", `{"id":"web"}`, `{"id":"web","options":{"stopBeforeStart":false}}`},
	{"komodo_execute_Deploy", "options.skipPull", `{"id":"web"}`, `{"id":"web","options":{"skipPull":true}}`},
	{"komodo_execute_Build", "options.skipCache", `{"id":"web"}`, `{"id":"web","options":{"skipCache":true}}`},
	{"komodo_execute_Build", "options.skipPull", `{"id":"web"}`, `{"id":"web","options":{"skipPull":true}}`},
	{"komodo_execute_Build", "options.forceBuild", `{"id":"web"}`, `{"id":"web","options":{"forceBuild":false}}`},

	{"komodo_execute_RunProcedure", "variables", `{"id":"nightly"}`, `{"id":"nightly","variables":{"ENV":"production"}}`},
	{"komodo_execute_RunProcedure", "options.async", `{"id":"nightly"}`, `{"id":"nightly","options":{"async":false}}`},
	{"komodo_execute_RunProcedure", "options.timeout", `{"id":"nightly"}`, `{"id":"nightly","options":{"timeout":20}}`},
	{"komodo_execute_TriggerAction", "payload", `{"id":"notify"}`, `{"id":"notify","payload":{"target":"production"}}`},
	{"komodo_execute_TriggerAction", "options.async", `{"id":"notify"}`, `{"id":"notify","options":{"async":false}}`},
	{"komodo_execute_TriggerAction", "options.timeout", `{"id":"notify"}`, `{"id":"notify","options":{"timeout":20}}`},
	{"komodo_execute_TriggerAction", "options.retryOnFailure", `{"id":"notify"}`, `{"id":"notify","options":{"retryOnFailure":true}}`},

	{"komodo_execute_PullRepo", "options.branch", `{"id":"docs"}`, `{"id":"docs","options":{"branch":"main"}}`},
	{"komodo_execute_PullRepo", "options.depth", `{"id":"docs"}`, `{"id":"docs","options":{"depth":1}}`},
	{"komodo_execute_PullRepo", "options.submodules", `{"id":"docs"}`, `{"id":"docs","options":{"submodules":true}}`},
	{"komodo_execute_PullRepo", "options.force", `{"id":"docs"}`, `{"id":"docs","options":{"force":true}}`},
	{"komodo_execute_CloneRepo", "options.branch", `{"id":"docs"}`, `{"id":"docs","options":{"branch":"main"}}`},
	{"komodo_execute_CloneRepo", "options.depth", `{"id":"docs"}`, `{"id":"docs","options":{"depth":1}}`},
	{"komodo_execute_CloneRepo", "options.submodules", `{"id":"docs"}`, `{"id":"docs","options":{"submodules":true}}`},
	{"komodo_execute_CloneRepo", "options.overwrite", `{"id":"docs"}`, `{"id":"docs","options":{"overwrite":false}}`},
}

func init() {
	// The three server lifecycle tools take the same options.
	for _, name := range []string{"komodo_execute_StartServer", "komodo_execute_StopServer", "komodo_execute_RestartServer"} {
		for option, value := range map[string]string{"force": "true", "removeContainer": "true", "timeout": "5", "waitForHealthy": "true"} {
			parameterCases = append(parameterCases, struct{ tool, param, base, with string }{
				name, "options." + option, `{"id":"prod-1"}`, `{"id":"prod-1","options":{"` + option + `":` + value + `}}`,
			})
		}
	}
}

// curated lists every curated parameter of the catalog that is not one of the generic
// ones, with each property of an options object on its own ("options.force").
func curated(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, ct := range catalog.Tools {
		var schema struct {
			Properties map[string]struct {
				Properties map[string]any `json:"properties"`
			} `json:"properties"`
		}
		if err := json.Unmarshal(ct.InputSchema, &schema); err != nil {
			t.Fatal(err)
		}
		for _, p := range ct.Params {
			switch p {
			case "id", "page", "page_size", "wait":
				continue
			case "fields", "raw": // every read's; internal/shape shapes the result with them
				continue
			case "options":
				for sub := range schema.Properties[p].Properties {
					out[ct.Name] = append(out[ct.Name], "options."+sub)
				}
			default:
				out[ct.Name] = append(out[ct.Name], p)
			}
		}
		sort.Strings(out[ct.Name])
	}
	return out
}

// TestTranslate_EveryParameterHasAnEffect proves, for every curated parameter and option
// of the catalog, that giving it changes what reaches Komodo, what the call waits for, or
// what comes back; a refusal must name the option.
func TestTranslate_EveryParameterHasAnEffect(t *testing.T) {
	covered := map[string]bool{}
	for _, c := range parameterCases {
		covered[c.tool+" "+c.param] = true
		t.Run(c.tool+"/"+c.param, func(t *testing.T) {
			e := compare(t, c.tool, c.base, c.with)
			if !e.any() {
				t.Fatalf("%s: no effect", c.with)
			}
			if e.refused != nil {
				name := c.param[strings.LastIndex(c.param, ".")+1:]
				if e.refused.Code != errcode.ValidationError || !strings.Contains(e.refused.Message, name) {
					t.Errorf("refusal %s %q does not name %s", e.refused.Code, e.refused.Message, name)
				}
			}
		})
	}
	for toolName, params := range curated(t) {
		for _, p := range params {
			if !covered[toolName+" "+p] {
				t.Errorf("%s: parameter %s has no case proving its effect: add one to parameterCases", toolName, p)
			}
		}
	}
}

// TestTranslate_Effects pins what some parameters do, beyond having an effect.
func TestTranslate_Effects(t *testing.T) {
	k := &fakeKomodo{}
	p, err := plan(t, k, "komodo_read_ListDeployments", `{"status":"running","server_id":"prod-1","query":{"names":["web"]}}`)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := p.Body()
	want := `{"query":{"names":["web"],"specific":{"server_ids":["` + serverOID + `"],"states":["running"]}}}`
	if !jsonEqual(body, []byte(want)) {
		t.Errorf("ListDeployments body = %s, want %s", body, want)
	}
	if !slices.Contains(k.calls, `POST /read/ListServers {"limit":0,"query":{"names":["prod-1"]}}`) {
		t.Errorf("server_id by name was not resolved: %v", k.calls)
	}
	if p.Page != 1 || p.PageSize != 50 {
		t.Errorf("default page %d size %d, want 1 and 50", p.Page, p.PageSize)
	}

	// Names in Komodo's id-only filters are resolved, or the call is refused by name.
	p, err = plan(t, k, "komodo_read_ListStacks", `{"query":{"specific":{"server_ids":["prod-1","`+serverOID+`"],"repos":["acme/app"]}}}`)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = p.Body()
	want = `{"query":{"specific":{"server_ids":["` + serverOID + `","` + serverOID + `"],"repos":["acme/app"]}}}`
	if !jsonEqual(body, []byte(want)) {
		t.Errorf("ListStacks body = %s, want %s", body, want)
	}
	_, err = plan(t, k, "komodo_read_ListStacks", `{"query":{"specific":{"server_ids":["edge-02"]}}}`)
	var e *errcode.Error
	if !errors.As(err, &e) || e.Code != errcode.NotFound || !strings.Contains(e.Message, "Server matching edge-02") || !strings.Contains(e.Hint, "query.specific.server_ids") {
		t.Errorf("unknown server name in server_ids: %v, want NOT_FOUND naming it and the field", err)
	}
	p, err = plan(t, k, "komodo_read_ListUpdates", `{"query":{"target.type":"Server","target.id":"prod-1"}}`)
	if err != nil {
		t.Fatal(err)
	}
	if body, _ := p.Body(); !jsonEqual(body, []byte(`{"query":{"target.id":{"$in":["`+serverOID+`"]},"target.type":"Server"}}`)) {
		t.Errorf("ListUpdates target.id by name: %s", body)
	}

	p, _ = plan(t, k, "komodo_execute_StartServer", `{"id":"prod-1","options":{"timeout":5,"waitForHealthy":true}}`)
	if w := p.Wait; !w.Enabled || !w.Healthy || w.Limit.Seconds() != 5 {
		t.Errorf("StartServer wait = %+v", w)
	}
	if body, _ := p.Body(); !jsonEqual(body, []byte(`{"server":"prod-1"}`)) {
		t.Errorf("StartServer body = %s: options must not reach Komodo", body)
	}

	p, _ = plan(t, k, "komodo_execute_TriggerAction", `{"id":"notify","payload":{"target":"production"}}`)
	if body, _ := p.Body(); !jsonEqual(body, []byte(`{"action":"notify","args":{"target":"production"}}`)) {
		t.Errorf("TriggerAction body = %s", body)
	}

	p, _ = plan(t, k, "komodo_execute_Deploy", `{"id":"web","wait":true}`)
	if !p.Wait.Enabled {
		t.Error("wait: true does not wait")
	}

	if _, err := plan(t, k, "komodo_execute_Deploy", `{"id":"web","deployment":"web"}`); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Errorf("id and deployment together: %v", err)
	}
	if _, err := plan(t, k, "komodo_execute_Deploy", `{}`); err == nil || !strings.Contains(err.Error(), "`id`") {
		t.Errorf("no target: %v", err)
	}
	k.calls = nil
	if _, err := plan(t, k, "komodo_read_ListBuilds", `{"repo_id":"missing"}`); err == nil {
		t.Error("a repo Komodo does not find was not refused")
	}
}

// TestPlan_Body checks that Komodo gets the plan's arguments, numbers exactly as written.
func TestPlan_Body(t *testing.T) {
	cases := []struct{ tool, raw, want string }{
		{"komodo_read_GetServer", `{ "server" : "prod-1" }`, `{"server":"prod-1"}`},
		{"komodo_read_GetUpdate", `{"id":"0123456789abcdef01234567"}`, `{"id":"0123456789abcdef01234567"}`},    // an own field named id
		{"komodo_read_GetServer", `{"id":"prod-1"}`, `{"server":"prod-1"}`},                                    // id mapped to server
		{"komodo_execute_Deploy", `{"deployment":"web","wait":true}`, `{"deployment":"web"}`},                  // wait removed
		{"komodo_read_GetDeploymentLog", `{"deployment":"web","tail":1e2}`, `{"deployment":"web","tail":1e2}`}, // numbers as written
	}
	for _, c := range cases {
		p, err := plan(t, &fakeKomodo{}, c.tool, c.raw)
		if err != nil {
			t.Fatalf("%s %s: %v", c.tool, c.raw, err)
		}
		body, err := p.Body()
		if err != nil {
			t.Fatal(err)
		}
		if string(body) != c.want {
			t.Errorf("%s %s: Komodo gets %s, want %s", c.tool, c.raw, body, c.want)
		}
	}
}
