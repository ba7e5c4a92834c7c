package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/internal/audit"
	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/confirm"
	"github.com/komodo-mcp/komodo-mcp/internal/rpc"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
	"github.com/komodo-mcp/komodo-mcp/internal/server/servertest"
	"github.com/komodo-mcp/komodo-mcp/internal/sim"
	"github.com/komodo-mcp/komodo-mcp/internal/sim/simtest"
)

// The sweep: every tool of --toolsets all whose effect changes something, called with
// every spelling a client may use for its target and its arguments - `id`, Komodo's own
// field, `name`, the arguments as a JSON string - directly and through komodo_call_tool
// (arguments as an object and as a JSON string). Under each policy, a call that should be
// asked about is answered with a preview, Komodo receives no request that changes
// anything before that answer, and the call leaves its audit line. No sample: the list
// of tools is the live inventory.

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func minimalArgs(_ *testing.T, tool *server.Tool) map[string]any { return servertest.MinimalArgs(tool) }

func spellings(_ *testing.T, tool *server.Tool, base map[string]any) []servertest.Spelling {
	return servertest.Spellings(tool, base)
}

func changes(s *sim.Server) int { return servertest.Changes(s) }

// sweepServer is a session on a server offering every tool under policy, and its audit lines.
func sweepServer(t *testing.T, s *sim.Server, policy config.ConfirmPolicy) (*mcp.ClientSession, *auditBuffer) {
	t.Helper()
	client, err := rpc.New(testConfig(s.URL()), quiet)
	if err != nil {
		t.Fatal(err)
	}
	buf := &auditBuffer{}
	log, _ := audit.New(buf, "")
	srv, err := server.New(client, server.Selection{Toolsets: []string{"all"}}, quiet, server.Options{Audit: log, Confirm: policy})
	if err != nil {
		t.Fatal(err)
	}
	return session(t, srv), buf
}

// TestSweep_AskedBeforeAnythingIsSent is the sweep, under KOMODO_CONFIRM=mutations (every
// change asked) and destructive (the default: what destroys, runs code or grants
// privileges asked).
func TestSweep_AskedBeforeAnythingIsSent(t *testing.T) {
	if testing.Short() {
		t.Skip("the sweep calls every mutating tool in every spelling")
	}
	for _, policy := range []config.ConfirmPolicy{config.ConfirmMutations, config.ConfirmDestructive} {
		t.Run(string(policy), func(t *testing.T) {
			s := simtest.Start(t)
			cs, audits := sweepServer(t, s, policy)
			tools, calls, asked := 0, 0, 0
			for _, tool := range server.Inventory() {
				if tool.Dispatches || !tool.Effect.Mutates() || !confirm.Needed(policy, tool.Effect) {
					continue
				}
				tools++
				base := minimalArgs(t, tool)
				for _, sp := range spellings(t, tool, base) {
					calls++
					before, lines := changes(s), len(audits.records(t))
					res := call(t, cs, sp.Tool, sp.Args)
					if sent := changes(s) - before; sent != 0 {
						t.Errorf("%s (%s): Komodo received %d changing requests before the answer", sp.Inner, sp.Name, sent)
					}
					var preview map[string]any
					_ = json.Unmarshal([]byte(res.Content[0].(*mcp.TextContent).Text), &preview)
					if preview["status"] != "confirmation_required" {
						t.Errorf("%s (%s): not asked: %.300s", sp.Inner, sp.Name, res.Content[0].(*mcp.TextContent).Text)
						continue
					}
					asked++
					recs := audits.records(t)
					if len(recs) != lines+1 || recs[len(recs)-1].Tool != sp.Inner || recs[len(recs)-1].Outcome != audit.OutcomeConfirm {
						t.Errorf("%s (%s): no confirmation_required audit line: %+v", sp.Inner, sp.Name, recs[lines:])
					}
				}
			}
			t.Logf("KOMODO_CONFIRM=%s: %d tools x their spellings = %d calls, %d asked, %d changing requests sent before the answer", policy, tools, calls, asked, changes(s))
			if tools == 0 || asked != calls {
				t.Errorf("%d of %d calls asked", asked, calls)
			}
			// The other tools that change things are not asked about, and still leave
			// their audit line.
			unasked := 0
			for _, tool := range server.Inventory() {
				if tool.Dispatches || !tool.Effect.Mutates() || confirm.Needed(policy, tool.Effect) {
					continue
				}
				unasked++
				lines := len(audits.records(t))
				res := call(t, cs, tool.Def.Name, string(mustJSON(t, minimalArgs(t, tool))))
				if strings.Contains(res.Content[0].(*mcp.TextContent).Text, "confirmation_required") {
					t.Errorf("%s: asked under %s", tool.Def.Name, policy)
				}
				recs := audits.records(t)
				if len(recs) != lines+1 || recs[len(recs)-1].Tool != tool.Def.Name {
					t.Errorf("%s: no audit line", tool.Def.Name)
				}
			}
			t.Logf("KOMODO_CONFIRM=%s: %d more tools that change things ran unasked, each audited", policy, unasked)
		})
	}
}

// TestSweep_OneTokenOneCallAnySpelling: a token from a preview in one spelling confirms the
// same call in another spelling once, and no second call.
func TestSweep_OneTokenOneCallAnySpelling(t *testing.T) {
	s := simtest.Start(t)
	cs, audits := sweepServer(t, s, config.ConfirmDestructive)
	preview := answer(t, call(t, cs, "komodo_execute_DestroyStack", `{"stack":"monitoring"}`))
	tok, _ := preview["confirmation_token"].(string)
	if tok == "" || s.Count("DestroyStack") != 0 {
		t.Fatalf("preview %v, DestroyStack sent %d times", preview, s.Count("DestroyStack"))
	}
	confirmed := fmt.Sprintf(`{"name":"komodo_execute_DestroyStack","arguments":{"id":"monitoring","confirmation_token":%q}}`, tok)
	if res := call(t, cs, "komodo_call_tool", confirmed); res.IsError {
		t.Fatalf("confirmed through the gateway with `id`: %s", res.Content[0].(*mcp.TextContent).Text)
	}
	for _, again := range []string{
		fmt.Sprintf(`{"stack":"monitoring","confirmation_token":%q}`, tok),
		fmt.Sprintf(`{"id":"monitoring","confirmation_token":%q}`, tok),
	} {
		if code, msg := toolError(t, call(t, cs, "komodo_execute_DestroyStack", again)); code != "VALIDATION_ERROR" || !strings.Contains(msg, "already used") {
			t.Errorf("token used twice: %s %s", code, msg)
		}
	}
	if n := s.Count("DestroyStack"); n != 1 {
		t.Fatalf("DestroyStack sent %d times for one confirmation", n)
	}
	var outcomes []string
	for _, r := range audits.records(t) {
		outcomes = append(outcomes, r.Outcome)
	}
	if strings.Join(outcomes, ",") != "confirmation_required,started,error,error" {
		t.Errorf("audit outcomes %v", outcomes)
	}
}

// TestSweep_OnePermit: a read-only server refuses every tool that changes something, and
// a server refuses an excluded tool, by tools/call and through komodo_call_tool alike;
// Komodo receives nothing.
func TestSweep_OnePermit(t *testing.T) {
	s := simtest.Start(t)
	ro := connect(t, testConfig(s.URL()), server.Selection{ReadOnly: true})
	refused := 0
	for _, tool := range server.Inventory() {
		if tool.Dispatches || tool.Effect.ReadOnly() {
			continue
		}
		args := string(mustJSON(t, minimalArgs(t, tool)))
		for _, c := range []struct{ tool, args string }{
			{tool.Def.Name, args},
			{"komodo_call_tool", fmt.Sprintf(`{"name":%q,"arguments":%s}`, tool.Def.Name, args)},
		} {
			if code, msg := toolError(t, call(t, ro, c.tool, c.args)); code != "VALIDATION_ERROR" || !strings.Contains(msg, "read-only") {
				t.Errorf("%s via %s on a read-only server: %s %s", tool.Def.Name, c.tool, code, msg)
			}
			refused++
		}
	}
	ex := connect(t, testConfig(s.URL()), server.Selection{Toolsets: []string{"all"}, Exclude: []string{"komodo_execute_PruneImages", "komodo_read_ListTags"}})
	for _, name := range []string{"komodo_execute_PruneImages", "komodo_read_ListTags"} {
		for _, c := range []struct{ tool, args string }{
			{name, `{"id":"prod-1"}`},
			{"komodo_call_tool", fmt.Sprintf(`{"name":%q,"arguments":{"id":"prod-1"}}`, name)},
		} {
			if code, msg := toolError(t, call(t, ex, c.tool, c.args)); code != "VALIDATION_ERROR" || !strings.Contains(msg, "excluded") {
				t.Errorf("excluded %s via %s: %s %s", name, c.tool, code, msg)
			}
		}
	}
	if n := changes(s); n != 0 || s.Count("PruneImages") != 0 || s.Count("ListTags") != 0 {
		t.Fatalf("Komodo received %d changing requests from refused calls", n)
	}
	t.Logf("%d calls refused by the permit on a read-only server", refused)
}

// TestAudit_BoundedRedactedRefused: the audit line of a call naming its target with the
// server's own API secret shows [redacted]; a megabyte target is cut; a call refused by
// validation is audited as refused, without its arguments.
func TestAudit_BoundedRedactedRefused(t *testing.T) {
	s := simtest.Start(t)
	cs, audits := sweepServer(t, s, config.ConfirmDestructive)
	call(t, cs, "komodo_write_DeleteVariable", fmt.Sprintf(`{"name":%q}`, sim.DemoAPISecret))
	huge := strings.Repeat("a", 1<<20)
	call(t, cs, "komodo_execute_DestroyStack", fmt.Sprintf(`{"stack":%q}`, huge))
	call(t, cs, "komodo_execute_DestroyStack", fmt.Sprintf(`{"stack":%q,"nope":%q}`, huge, sim.DemoAPISecret))
	recs := audits.records(t)
	if len(recs) != 3 {
		t.Fatalf("%d audit lines: %+v", len(recs), recs)
	}
	if strings.Contains(audits.b.String(), sim.DemoAPISecret) || recs[0].Target != "[redacted]" {
		t.Errorf("the API secret reached the audit log: %+v", recs[0])
	}
	if len(recs[1].Target) > audit.MaxField {
		t.Errorf("target of %d bytes", len(recs[1].Target))
	}
	if r := recs[2]; r.Outcome != audit.OutcomeRefused || r.Target != "" || r.Error != "VALIDATION_ERROR" {
		t.Errorf("refused call: %+v", r)
	}
	for _, line := range strings.Split(strings.TrimSpace(audits.b.String()), "\n") {
		if len(line) > audit.MaxLine {
			t.Errorf("audit line of %d bytes", len(line))
		}
	}
}
