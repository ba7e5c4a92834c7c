package sim

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestOlderVersion plays Komodo 1.19.5: its version, its names, its routes; what it lacks is
// refused as that Core refuses an unknown operation.
func TestOlderVersion(t *testing.T) {
	s := New(Options{KomodoVersion: "1.19.5"})
	defer s.Close()
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	call := func(method, path, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		req.Header.Set("X-Api-Key", DemoAPIKey)
		req.Header.Set("X-Api-Secret", DemoAPISecret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := call("POST", "/read/GetVersion", "{}"); code != 200 || !strings.Contains(body, `"1.19.5"`) {
		t.Errorf("GetVersion: %d %s", code, body)
	}
	if code, _ := call("GET", "/version", ""); code != http.StatusNotFound {
		t.Errorf("GET /version on 1.19.5: %d, want its UI's 404", code)
	}
	if code, body := call("POST", "/auth/GetUser", "{}"); code != 200 || !strings.Contains(body, `"username"`) {
		t.Errorf("POST /auth/GetUser: %d %s", code, body)
	}
	if code, body := call("POST", "/read/ListDockerContainers", `{"server":"prod-1"}`); code != 200 {
		t.Errorf("ListDockerContainers: %d %s", code, body)
	}
	for _, path := range []string{"/read/ListContainers", "/write/CreateSwarm", "/execute/CancelAction", "/write/RotateCoreKeys"} {
		code, body := call("POST", path, "{}")
		if code != 500 || !strings.Contains(body, "unknown variant") || !strings.Contains(body, "Komodo 1.19.5") {
			t.Errorf("%s on 1.19.5: %d %s", path, code, body)
		}
	}
	if code, body := call("POST", "/read/ListServers", "{}"); code != 200 || !strings.Contains(body, "prod-1") {
		t.Errorf("ListServers: %d %.200s", code, body)
	}
}
