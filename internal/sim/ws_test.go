package sim

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/komodo-mcp/komodo-mcp/internal/eventually"
)

func wsURL(s *Server) string { return "ws" + strings.TrimPrefix(s.URL(), "http") + UpdatesPath }

// dialUpdates connects to /ws/update and sends login; it returns the connection and
// Komodo's answer to the login.
func dialUpdates(t *testing.T, s *Server, login any) (*websocket.Conn, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, wsURL(s), nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { conn.CloseNow() })
	msg, ok := login.(string)
	if !ok {
		data, _ := json.Marshal(login)
		msg = string(data)
	}
	if err := conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		t.Fatalf("login: %v", err)
	}
	_, answer, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("no answer to the login: %v", err)
	}
	return conn, string(answer)
}

func apiKeyLogin(key, secret string) map[string]any {
	return map[string]any{"type": "ApiKeys", "params": map[string]any{"key": key, "secret": secret}}
}

func TestUpdates_StreamsListItemsOfAnExecution(t *testing.T) {
	s := Start(t, WithExecDuration(90*time.Millisecond))
	conn, answer := dialUpdates(t, s, apiKeyLogin(DemoAPIKey, DemoAPISecret))
	if answer != "LOGGED_IN" {
		t.Fatalf("login answered %q", answer)
	}
	eventually.True(t, "one logged-in socket", func() bool { return s.UpdateSockets() == 1 })

	id := oid(postOK(t, s, admin, "/execute/Deploy", map[string]any{"deployment": "web-frontend"}))

	sp, _ := loadSpec()
	schema := sp.schema("UpdateListItem")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var statuses []string
	for len(statuses) == 0 || statuses[len(statuses)-1] != "Complete" {
		typ, data, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("read after %v: %v", statuses, err)
		}
		if typ != websocket.MessageText {
			t.Errorf("message type %v", typ)
		}
		var item map[string]any
		if err := json.Unmarshal(data, &item); err != nil {
			t.Fatalf("not JSON: %s", data)
		}
		if err := schema.VisitJSON(item, openapi3.VisitAsResponse(), openapi3.MultiErrors()); err != nil {
			t.Errorf("not an UpdateListItem: %v\n%s", err, data)
		}
		if _, ok := item["logs"]; ok {
			t.Errorf("list item carries logs: %s", data)
		}
		if item["id"] != id {
			continue
		}
		if item["operation"] != "Deploy" || item["username"] != DemoUsername {
			t.Errorf("item %s", data)
		}
		if st := item["status"].(string); len(statuses) == 0 || statuses[len(statuses)-1] != st {
			statuses = append(statuses, st)
		}
		if item["status"] == "Complete" && item["success"] != true {
			t.Errorf("deploy failed: %s", data)
		}
	}
	if strings.Join(statuses, ",") != "Queued,InProgress,Complete" {
		t.Errorf("statuses %v", statuses)
	}
	if n := s.Count("ws/update"); n != 1 {
		t.Errorf("ws/update count %d", n)
	}

	if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("close: %v", err)
	}
	eventually.True(t, "the subscription ends with the socket", func() bool { return s.UpdateSockets() == 0 })
	s.mu.Lock()
	subs := len(s.subs)
	s.mu.Unlock()
	if subs != 0 {
		t.Errorf("%d subscriptions left", subs)
	}
}

func TestUpdates_JWTLogin(t *testing.T) {
	s := Start(t)
	login := postOK(t, s, creds{}, "/auth/login/LoginLocalUser", map[string]any{"username": ViewerUsername, "password": ViewerPassword})
	data, _ := login["data"].(map[string]any)
	jwt, _ := data["jwt"].(string)
	if login["type"] != "Jwt" || jwt == "" {
		t.Fatalf("login answered %v", login)
	}
	if _, answer := dialUpdates(t, s, map[string]any{"type": "Jwt", "params": map[string]any{"jwt": jwt}}); answer != "LOGGED_IN" {
		t.Errorf("JWT login answered %q", answer)
	}
}

func TestUpdates_RefusedLogins(t *testing.T) {
	s := Start(t)
	for _, tc := range []struct {
		name  string
		login any
		want  string
	}{
		{"wrong secret", apiKeyLogin(DemoAPIKey, "S-wrong-secret"), "[401 Unauthorized]: Invalid user credentials"},
		{"unknown key", apiKeyLogin("K-nope", "S-nope"), "[401 Unauthorized]: Invalid user credentials"},
		{"bad jwt", map[string]any{"type": "Jwt", "params": map[string]any{"jwt": "a.b.c"}}, "[401 Unauthorized]: Invalid user credentials"},
		{"not json", "hello", "[400 Bad Request]: Invalid login message"},
		{"unknown type", map[string]any{"type": "Password", "params": map[string]any{}}, "[400 Bad Request]: Invalid login message: unknown variant `Password`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conn, answer := dialUpdates(t, s, tc.login)
			if !strings.HasPrefix(answer, tc.want) {
				t.Errorf("answer %q, want %q", answer, tc.want)
			}
			if strings.Contains(answer, "S-wrong-secret") {
				t.Errorf("the answer echoes the secret: %q", answer)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			if _, data, err := conn.Read(ctx); err == nil || errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("socket still open after a refused login: %q %v", data, err)
			}
		})
	}
	if n := s.UpdateSockets(); n != 0 {
		t.Errorf("%d sockets logged in", n)
	}
}

func TestUpdates_FaultsAndDisabled(t *testing.T) {
	s := Start(t)
	s.InjectFault(Fault{Op: "ws/update", Kind: FaultProxy, Status: http.StatusBadGateway, Times: 1})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, resp, err := websocket.Dial(ctx, wsURL(s), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadGateway {
		t.Errorf("proxy fault: %v %+v", err, resp)
	}
	conn, _, err := websocket.Dial(ctx, wsURL(s), nil)
	if err != nil {
		t.Fatalf("after the fault: %v", err)
	}
	conn.CloseNow()
	if n := s.Count("ws/update"); n != 2 {
		t.Errorf("ws/update count %d, want 2", n)
	}

	off := Start(t, WithoutWebsocket())
	_, resp, err = websocket.Dial(ctx, wsURL(off), nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("DisableWebsocket: %v %+v", err, resp)
	}
	if st, _ := doRaw(t, s, http.MethodGet, UpdatesPath, nil, nil); st != http.StatusUpgradeRequired && st != http.StatusBadRequest {
		t.Errorf("plain GET /ws/update: HTTP %d", st)
	}
}

func TestUpdates_InvalidUser(t *testing.T) {
	s := Start(t, WithExecDuration(30*time.Millisecond))
	conn, answer := dialUpdates(t, s, apiKeyLogin(ViewerAPIKey, ViewerAPISecret))
	if answer != "LOGGED_IN" {
		t.Fatalf("login answered %q", answer)
	}
	if err := s.SetUserEnabled(ViewerUsername, false); err != nil {
		t.Fatal(err)
	}
	postOK(t, s, admin, "/execute/Deploy", map[string]any{"deployment": "web-frontend"})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, data, err := conn.Read(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var msg struct{ Type, Msg string }
	if err := json.Unmarshal(data, &msg); err != nil || msg.Type != "INVALID_USER" || !strings.Contains(msg.Msg, "not enabled") {
		t.Errorf("got %s (%v)", data, err)
	}
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusNormalClosure {
		t.Errorf("not closed after INVALID_USER: %v", err)
	}
	if st, _ := doRaw(t, s, http.MethodPost, "/read/ListServers", map[string]any{}, map[string]string{"x-api-key": ViewerAPIKey, "x-api-secret": ViewerAPISecret}); st != http.StatusUnauthorized {
		t.Errorf("disabled user's API key: HTTP %d", st)
	}
}

func TestUpdates_CloseEndsSockets(t *testing.T) {
	s := Start(t)
	conn, answer := dialUpdates(t, s, apiKeyLogin(DemoAPIKey, DemoAPISecret))
	if answer != "LOGGED_IN" {
		t.Fatalf("login answered %q", answer)
	}
	s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, _, err := conn.Read(ctx); websocket.CloseStatus(err) != websocket.StatusGoingAway {
		t.Errorf("after Close: %v", err)
	}
}
