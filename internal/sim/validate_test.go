package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// validateAnswer checks a 200 body against the operation's 200 schema, or an error body
// against Error, with kin-openapi.
func validateAnswer(t testing.TB, op *operation, status int, body []byte) {
	t.Helper()
	if op.Text && status == http.StatusOK {
		return
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		t.Errorf("%s: answer is not JSON: %v: %.200s", op.ID, err, body)
		return
	}
	schema := op.Resp.Value
	if status != http.StatusOK {
		sp, _ := loadSpec()
		schema = sp.schema("Error")
	}
	if err := schema.VisitJSON(v, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
		msg := err.Error()
		if len(msg) > 1500 {
			msg = msg[:1500]
		}
		t.Errorf("%s (HTTP %d): answer does not match the document: %s\nbody: %.600s", op.ID, status, msg, body)
	}
}

// exampleBodies gives a valid request for an operation, naming seeded resources.
var exampleTargets = map[string]string{
	"server": "prod-1", "deployment": "web-frontend", "stack": "monitoring", "build": "web-frontend",
	"repo": "infra-ansible", "procedure": "restart-monitoring", "action": "notify-release", "builder": "local-builder",
	"alerter": "slack-ops", "sync": "gitops", "swarm": "prod-swarm", "tag": "prod", "user": "admin",
}

func exampleBody(s *Server, op *operation) map[string]any {
	body, _ := minimal(op.Req).(map[string]any)
	if body == nil {
		body = map[string]any{}
	}
	for field := range body {
		if v, ok := exampleTargets[field]; ok {
			body[field] = v
		}
	}
	kind := ""
	for _, k := range kinds {
		for _, prefix := range []string{"Update", "Rename", "Copy", "Delete"} {
			if op.ID == prefix+k.Kind {
				kind = k.Kind
			}
		}
	}
	if _, ok := body["id"]; ok && kind != "" {
		s.mu.Lock()
		if list := s.w.list(kind); len(list) > 0 {
			body["id"] = list[len(list)-1].ID
		}
		s.mu.Unlock()
	}
	if _, ok := body["name"]; ok {
		body["name"] = "new-" + strings.ToLower(op.ID)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch op.ID {
	case "LoginLocalUser":
		body["username"], body["password"] = DemoUsername, DemoPassword
	case "GetAlert", "CloseAlert":
		body["id"] = s.w.alerts[0].ID
	case "GetUpdate":
		body["id"] = s.w.updates[0].ID
	case "GetUsername":
		body["user_id"] = s.w.users[0].ID
	case "GetVariable", "UpdateVariableDescription", "UpdateVariableIsSecret", "UpdateVariableValue", "DeleteVariable":
		body["name"] = "LOG_LEVEL"
	case "RenameTag":
		body["id"] = s.w.findTag("staging").ID
	case "DeleteTag":
		body["id"] = s.w.findTag("edge").ID
	case "GetGitProviderAccount", "UpdateGitProviderAccount", "DeleteGitProviderAccount":
		body["id"] = s.w.gitAccounts[len(s.w.gitAccounts)-1].ID
	case "GetImageRegistryAccount", "UpdateImageRegistryAccount", "DeleteImageRegistryAccount":
		body["id"] = s.w.registryAccounts[len(s.w.registryAccounts)-1].ID
	case "CreateGitProviderAccount", "CreateImageRegistryAccount":
		body["account"] = map[string]any{"domain": "git.acme.example", "username": "bot", "token": "t0k3n-new"}
	case "CreateApiKeyForServiceUser":
		body["user_id"] = s.w.findUser("ci-bot").ID
	case "ExecuteTerminal":
		body["target"] = map[string]any{"type": "Server", "params": map[string]any{"server": "prod-1"}}
		body["command"] = "uptime"
	case "UpdateResourceMeta":
		body["target"] = map[string]any{"type": "Stack", "id": "monitoring"}
	}
	if strings.HasPrefix(op.ID, "Batch") {
		body["pattern"] = "*"
	}
	return body
}

func doRaw(t testing.TB, s *Server, method, path string, body any, hdr map[string]string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, _ := json.Marshal(body)
		rd = bytes.NewReader(data)
	}
	req, _ := http.NewRequest(method, s.URL()+path, rd)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("x-api-key", DemoAPIKey)
	req.Header.Set("x-api-secret", DemoAPISecret)
	for k, v := range hdr {
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, data
}

// TestEveryOperationAnswersPerDocument calls all 358 paths (333 Komodo operations, auth,
// /user, /version, /terminal/execute) with a valid body and validates each answer.
func TestEveryOperationAnswersPerDocument(t *testing.T) {
	s := Start(t, WithExecDuration(0))
	sp, _ := loadSpec()
	ids := make([]string, 0, len(sp.byID))
	for id := range sp.byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// Deletes last, so that other operations still find their targets.
	sort.SliceStable(ids, func(i, j int) bool {
		return !strings.HasPrefix(ids[i], "Delete") && strings.HasPrefix(ids[j], "Delete")
	})
	failures := map[int][]string{}
	for _, id := range ids {
		op := sp.byID[id]
		var body any
		if op.Method == http.MethodPost {
			body = exampleBody(s, op)
		}
		status, data := doRaw(t, s, op.Method, op.Path, body, nil)
		if status != http.StatusOK {
			failures[status] = append(failures[status], fmt.Sprintf("%s: %.200s", id, data))
		}
		validateAnswer(t, op, status, data)
	}
	for status, list := range failures {
		t.Errorf("HTTP %d for %d operations:\n%s", status, len(list), strings.Join(list, "\n"))
	}
}
