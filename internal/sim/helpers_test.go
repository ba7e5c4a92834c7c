package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
)

// creds are the credentials of a request: an API key and secret, or a JWT, or none.
type creds struct{ key, secret, jwt string }

var admin = creds{key: DemoAPIKey, secret: DemoAPISecret}

// postOK sends body to path with c and returns the JSON object answered, failing the
// test unless the answer is a 200. (The typed client's view of the simulator is tested in
// the typedtest module.)
func postOK(t testing.TB, s *Server, c creds, path string, body any) map[string]any {
	t.Helper()
	data, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, s.URL()+path, bytes.NewReader(data))
	req.Header.Set("Content-Type", "application/json")
	if c.key != "" {
		req.Header.Set("x-api-key", c.key)
		req.Header.Set("x-api-secret", c.secret)
	}
	if c.jwt != "" {
		req.Header.Set("authorization", c.jwt)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	var v map[string]any
	if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &v) != nil {
		t.Fatalf("%s: HTTP %d: %.300s", path, resp.StatusCode, out)
	}
	return v
}

// oid is the id of an Update (or resource) as Komodo serializes it: {"_id": {"$oid": ...}}.
func oid(v map[string]any) string {
	id, _ := v["_id"].(map[string]any)
	s, _ := id["$oid"].(string)
	return s
}

// SetUserEnabled enables or disables a user by name, as a Komodo admin can: a disabled
// user's credentials are refused ("Invalid user credentials") and its /ws/update
// connections receive INVALID_USER on the next update.
func (s *Server) SetUserEnabled(username string, enabled bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.w.findUser(username)
	if u == nil {
		return fmt.Errorf("no user %q", username)
	}
	u.Disabled = !enabled
	return nil
}
