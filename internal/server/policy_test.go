package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// auditBuffer collects audit lines.
type auditBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (a *auditBuffer) Write(p []byte) (int, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.b.Write(p)
}

func (a *auditBuffer) records(t *testing.T) []audit.Record {
	t.Helper()
	a.mu.Lock()
	defer a.mu.Unlock()
	var out []audit.Record
	for _, line := range strings.Split(strings.TrimSpace(a.b.String()), "\n") {
		if line == "" {
			continue
		}
		var r audit.Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("audit line is not JSON: %q", line)
		}
		out = append(out, r)
	}
	return out
}

var policyTools = server.Selection{Tools: []string{"komodo_write_DeleteVariable", "komodo_read_GetVariable", "komodo_write_UpdateVariableValue", "komodo_terminal_Execute"}}

// policyServer serves a server with the given policy to a client; elicit, when not nil,
// makes the client declare elicitation and answer with it. protocol pins the client's
// protocol version ("" for the SDK's latest, which answers confirmations as input requests).
func policyServer(t *testing.T, s *sim.Server, policy config.ConfirmPolicy, elicit func(*mcp.ElicitRequest) (*mcp.ElicitResult, error), protocol string) (*mcp.ClientSession, *auditBuffer) {
	t.Helper()
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	buf := &auditBuffer{}
	log, _ := audit.New(buf, "")
	srv, err := server.New(client, policyTools, quiet, server.Options{Audit: log, Confirm: policy})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	st, ct := mcp.NewInMemoryTransports()
	ss, err := srv.MCP().Connect(ctx, st, nil)
	if err != nil {
		t.Fatal(err)
	}
	var copts *mcp.ClientOptions
	if elicit != nil {
		copts = &mcp.ClientOptions{ElicitationHandler: func(_ context.Context, req *mcp.ElicitRequest) (*mcp.ElicitResult, error) { return elicit(req) }}
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test", Version: "1"}, copts).Connect(ctx, ct, &mcp.ClientSessionOptions{ProtocolVersion: protocol})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cs.Close(); ss.Close() })
	return cs, buf
}

func variableExists(t *testing.T, cs *mcp.ClientSession, name string) bool {
	t.Helper()
	return !call(t, cs, "komodo_read_GetVariable", `{"name":"`+name+`"}`).IsError
}

// A client without elicitation gets a preview and a token bound to the exact call; the
// same call with the token acts, anything else does not.
func TestPolicy_ConfirmationToken(t *testing.T) {
	s := simtest.Start(t)
	cs, audits := policyServer(t, s, config.ConfirmDestructive, nil, "")

	preview := answer(t, call(t, cs, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL"}`))
	tok, _ := preview["confirmation_token"].(string)
	if preview["status"] != "confirmation_required" || tok == "" || !strings.Contains(preview["action"].(string), "LOG_LEVEL") {
		t.Fatalf("preview: %v", preview)
	}
	if !variableExists(t, cs, "LOG_LEVEL") {
		t.Fatal("the preview deleted the variable")
	}

	for name, args := range map[string]string{
		"other target":   `{"name":"DOMAIN","confirmation_token":"` + tok + `"}`,
		"forged token":   `{"name":"LOG_LEVEL","confirmation_token":"AAAAAAAAAAA.` + tok[12:] + `"}`,
		"not a token":    `{"name":"LOG_LEVEL","confirmation_token":"yes"}`,
		"token as other": `{"name":"LOG_LEVEL","confirmation_token":""}`,
	} {
		if code, _ := toolError(t, call(t, cs, "komodo_write_DeleteVariable", args)); code != "VALIDATION_ERROR" {
			t.Errorf("%s: %s, want VALIDATION_ERROR", name, code)
		}
	}
	if !variableExists(t, cs, "LOG_LEVEL") || !variableExists(t, cs, "DOMAIN") {
		t.Fatal("a refused confirmation deleted something")
	}

	if res := call(t, cs, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL","confirmation_token":"`+tok+`"}`); res.IsError {
		t.Fatalf("confirmed call: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	if variableExists(t, cs, "LOG_LEVEL") {
		t.Error("the confirmed call did not delete the variable")
	}

	var outcomes []string
	for _, r := range audits.records(t) {
		if r.Tool != "komodo_write_DeleteVariable" || r.Operation != "DeleteVariable" || r.Caller != "admin" {
			t.Errorf("audit record %+v", r)
		}
		outcomes = append(outcomes, r.Outcome+"/"+r.Target)
	}
	want := []string{"confirmation_required/LOG_LEVEL", "error/DOMAIN", "error/LOG_LEVEL", "error/LOG_LEVEL", "ok/LOG_LEVEL", "refused/"} // an empty token is refused with the arguments, unread
	if strings.Join(sortedCopy(outcomes), ",") != strings.Join(want, ",") {
		t.Errorf("audit outcomes %v, want (in any order) %v", outcomes, want)
	}
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

// A client that declares elicitation is asked; only an explicit yes acts. Both protocol
// generations: a request to the client during the call (2025-11-25) and an input request
// answered by calling again (2026-07-28).
func TestPolicy_Elicitation(t *testing.T) {
	for _, protocol := range []string{"2025-11-25", ""} {
		t.Run("protocol "+protocol, func(t *testing.T) {
			s := simtest.Start(t)
			var asked []string
			reply := &mcp.ElicitResult{Action: "decline"}
			cs, audits := policyServer(t, s, config.ConfirmDestructive, func(req *mcp.ElicitRequest) (*mcp.ElicitResult, error) {
				asked = append(asked, req.Params.Message)
				return reply, nil
			}, protocol)

			res := answer(t, call(t, cs, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL"}`))
			if res["status"] != "declined" || !variableExists(t, cs, "LOG_LEVEL") {
				t.Fatalf("declined: %v", res)
			}
			if len(asked) != 1 || !strings.Contains(asked[0], "LOG_LEVEL") || !strings.Contains(asked[0], "DeleteVariable") {
				t.Fatalf("the question: %q", asked)
			}
			reply = &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": false}}
			call(t, cs, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL"}`)
			if !variableExists(t, cs, "LOG_LEVEL") {
				t.Fatal("accept without yes deleted the variable")
			}
			reply = &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}
			if r := call(t, cs, "komodo_write_DeleteVariable", `{"name":"LOG_LEVEL"}`); r.IsError {
				t.Fatal(r.Content[0].(*mcp.TextContent).Text)
			}
			if variableExists(t, cs, "LOG_LEVEL") {
				t.Fatal("an explicit yes did not delete the variable")
			}
			var outcomes []string
			for _, r := range audits.records(t) {
				outcomes = append(outcomes, r.Outcome)
			}
			if last := outcomes[len(outcomes)-1]; last != "ok" || outcomes[0] != "declined" {
				t.Errorf("audit outcomes %v", outcomes)
			}
		})
	}
}

// Which calls ask depends on KOMODO_CONFIRM; a write that is not destructive runs at once
// under the default, and every change leaves one audit line without its secret value.
func TestPolicy_LevelsAndAudit(t *testing.T) {
	s := simtest.Start(t)
	cs, audits := policyServer(t, s, config.ConfirmDestructive, nil, "")
	if res := answer(t, call(t, cs, "komodo_write_UpdateVariableValue", `{"name":"DB_PASSWORD","value":"hunter2-new-secret"}`)); res["status"] == "confirmation_required" {
		t.Error("destructive policy asked before an update")
	}
	term := answer(t, call(t, cs, "komodo_terminal_Execute", `{"type":"deployment","id":"api-gateway","command":"uptime"}`))
	if term["status"] != "confirmation_required" || !strings.Contains(term["action"].(string), "`uptime`") || !strings.Contains(term["action"].(string), "on server prod-2") {
		t.Errorf("terminal under destructive: %v", term)
	}
	call(t, cs, "komodo_read_GetVariable", `{"name":"DOMAIN"}`)
	recs := audits.records(t)
	if len(recs) != 2 || recs[0].Operation != "UpdateVariableValue" || recs[0].Outcome != "ok" || recs[1].Operation != "ExecuteTerminal" || recs[1].Target != "api-gateway" {
		t.Errorf("audit records %+v; want the update and the terminal, no read", recs)
	}
	audits.mu.Lock()
	if strings.Contains(audits.b.String(), "hunter2") {
		t.Error("a secret value reached the audit log")
	}
	audits.mu.Unlock()

	cs, _ = policyServer(t, s, config.ConfirmMutations, nil, "")
	if res := answer(t, call(t, cs, "komodo_write_UpdateVariableValue", `{"name":"DOMAIN","value":"x.example.com"}`)); res["status"] != "confirmation_required" {
		t.Errorf("mutations policy did not ask before an update: %v", res)
	}
	// The question says on which server the resource lives.
	dep := answer(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_execute_Deploy","arguments":{"id":"api-gateway"}}`))
	if action, _ := dep["action"].(string); !strings.Contains(action, "api-gateway on server prod-2") {
		t.Errorf("deploy preview: %v", dep)
	}
	cs, _ = policyServer(t, s, config.ConfirmNone, nil, "")
	if res := answer(t, call(t, cs, "komodo_write_DeleteVariable", `{"name":"DOMAIN"}`)); res["status"] == "confirmation_required" {
		t.Errorf("none policy asked: %v", res)
	}
}

// The gateway komodo_call_tool obeys the same policy as a direct call: the called tool is
// previewed, confirmed with its token or by the person, and audited under its own name.
func TestPolicy_Gateway(t *testing.T) {
	s := simtest.Start(t)
	cs, audits := policyServer(t, s, config.ConfirmDestructive, nil, "")
	preview := answer(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_write_DeleteVariable","arguments":{"name":"DOMAIN"}}`))
	tok, _ := preview["confirmation_token"].(string)
	if preview["status"] != "confirmation_required" || tok == "" || !variableExists(t, cs, "DOMAIN") {
		t.Fatalf("gateway call of a destructive tool: %v", preview)
	}
	if code, _ := toolError(t, call(t, cs, "komodo_call_tool", `{"name":"komodo_write_DeleteVariable","arguments":{"name":"REGISTRY","confirmation_token":"`+tok+`"}}`)); code != "VALIDATION_ERROR" {
		t.Errorf("the token for DOMAIN used on REGISTRY through the gateway: %s", code)
	}
	if r := call(t, cs, "komodo_call_tool", `{"name":"komodo_write_DeleteVariable","arguments":{"name":"DOMAIN","confirmation_token":"`+tok+`"}}`); r.IsError {
		t.Fatal(r.Content[0].(*mcp.TextContent).Text)
	}
	if variableExists(t, cs, "DOMAIN") || !variableExists(t, cs, "REGISTRY") {
		t.Fatal("the confirmed gateway call did not delete exactly DOMAIN")
	}
	var got []string
	for _, r := range audits.records(t) {
		got = append(got, r.Tool+" "+r.Target+" "+r.Outcome)
	}
	want := "komodo_write_DeleteVariable DOMAIN confirmation_required,komodo_write_DeleteVariable REGISTRY error,komodo_write_DeleteVariable DOMAIN ok"
	if strings.Join(got, ",") != want {
		t.Errorf("audit %v, want %s", got, want)
	}

	for protocol, variable := range map[string]string{"2025-11-25": "REGISTRY", "": "LOG_LEVEL"} {
		asked := 0
		cs, _ := policyServer(t, s, config.ConfirmDestructive, func(*mcp.ElicitRequest) (*mcp.ElicitResult, error) {
			asked++
			return &mcp.ElicitResult{Action: "accept", Content: map[string]any{"confirm": true}}, nil
		}, protocol)
		if r := call(t, cs, "komodo_call_tool", `{"name":"komodo_write_DeleteVariable","arguments":{"name":"`+variable+`"}}`); r.IsError || asked != 1 {
			t.Errorf("protocol %q: gateway with elicitation: asked %d times, %v", protocol, asked, r.Content)
		}
		if variableExists(t, cs, variable) {
			t.Errorf("protocol %q: the person said yes through the gateway but nothing was deleted", protocol)
		}
	}
}

// answer decodes a result's JSON text, whether or not it is an error result.
func answer(t *testing.T, res *mcp.CallToolResult) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &m); err != nil {
		t.Fatalf("result text is not JSON: %v", err)
	}
	return m
}

// A call that was not carried out is an error result without structured content: the
// tool's output schema describes what it answers when it acts, and clients check it.
func TestPolicy_NotDoneIsNotStructured(t *testing.T) {
	s := simtest.Start(t)
	cs, _ := policyServer(t, s, config.ConfirmDestructive, nil, "")
	res := call(t, cs, "komodo_call_tool", `{"name":"komodo_write_BatchDeleteAllTerminals","arguments":{"query":{}}}`)
	if !res.IsError || res.StructuredContent != nil || answer(t, res)["status"] != "confirmation_required" {
		t.Errorf("preview of a tool with an output schema: isError %v, structured %v", res.IsError, res.StructuredContent)
	}
	// Arguments the tool refuses are refused at once: nobody is asked about them.
	res = call(t, cs, "komodo_write_DeleteVariable", `{"nme":"DOMAIN"}`)
	if code, _ := toolError(t, res); code != "VALIDATION_ERROR" {
		t.Errorf("invalid arguments: %s, want VALIDATION_ERROR before any question", code)
	}
}
