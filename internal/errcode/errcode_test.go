package errcode

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

const nginx502 = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.27.4</center>\r\n</body>\r\n</html>\r\n"

func TestFromResponse(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		code    Code
		message string   // exact, when set
		trace   []string // exact, when set
		hintHas string
		noTrace bool
	}{
		{
			name: "server not found", status: 500,
			body:    `{"error":"Did not find any Server matching prod-9","trace":["failed to get server"]}`,
			code:    NotFound,
			message: "Did not find any Server matching prod-9",
			trace:   []string{"failed to get server"},
			hintHas: "list tools",
		},
		{
			name: "not found deep in the trace", status: 500,
			body:    `{"error":"Failed to get Deployment","trace":["did not find any Deployment matching web"]}`,
			code:    NotFound,
			message: "Failed to get Deployment",
		},
		{
			name: "no x found", status: 500,
			body: `{"error":"No stack found matching 'web'","trace":[]}`, code: NotFound, noTrace: true,
		},
		{
			name: "missing field", status: 500,
			body:    "{\"error\":\"Failed to deserialize the JSON body into the target type: missing field `deployment` at line 1 column 2\",\"trace\":[]}",
			code:    ValidationError,
			message: "Failed to deserialize the JSON body into the target type: missing field `deployment` at line 1 column 2",
			hintHas: "input schema",
			noTrace: true,
		},
		{
			name: "missing field named permission is not an auth error", status: 500,
			body: "{\"error\":\"missing field `permission`\",\"trace\":[]}", code: ValidationError,
		},
		{
			name: "unknown variant", status: 500,
			body: "{\"error\":\"unknown variant `ListServerz`, expected one of `GetVersion`, `GetCoreInfo`\",\"trace\":[]}", code: ValidationError,
		},
		{
			name: "invalid type", status: 500,
			body: `{"error":"invalid type: integer ` + "`5`" + `, expected a string at line 1 column 12","trace":[]}`, code: ValidationError,
		},
		{
			name: "duplicate name", status: 500,
			body: `{"error":"Resource with name 'web' already exists","trace":[]}`, code: ValidationError,
		},
		{
			name: "invalid api key", status: 401,
			body:    `{"error":"invalid api key or secret","trace":[]}`,
			code:    AuthError,
			message: "invalid api key or secret",
			hintHas: "KOMODO_API_KEY and KOMODO_API_SECRET",
		},
		{
			name: "forbidden", status: 403,
			body: `{"error":"User does not have required permissions on this Server.","trace":[]}`, code: AuthError, hintHas: "lacks permission",
		},
		{
			name: "permission as a 500", status: 500,
			body:    `{"error":"Failed to get Stack","trace":["User does not have required permissions on this Stack. Must have at least Execute permissions"]}`,
			code:    AuthError,
			hintHas: "lacks permission",
		},
		{
			name: "create not allowed", status: 500,
			body: `{"error":"User does not have permissions to create Server.","trace":[]}`, code: AuthError,
		},
		{
			name: "os permission denied is a server problem", status: 500,
			body: `{"error":"Failed to write compose file","trace":["Permission denied (os error 13)"]}`, code: ServerError,
		},
		{
			name: "other Komodo 500", status: 500,
			body:    `{"error":"Stack busy","trace":[]}`,
			code:    ServerError,
			message: "Stack busy",
		},
		{
			name: "bad request", status: 400,
			body: `{"error":"Must provide non-empty name for resource","trace":[]}`, code: ValidationError,
		},
		{
			name: "axum 415 plain text", status: 415,
			body:    "Expected request with `Content-Type: application/json`",
			code:    ValidationError,
			message: "Expected request with `Content-Type: application/json`",
			hintHas: "Content-Type",
		},
		{
			name: "axum 400 plain text", status: 400,
			body: "Failed to parse the request body as JSON: expected value at line 1 column 1", code: ValidationError,
		},
		{
			name: "nginx 502", status: 502, body: nginx502,
			code:    NetworkError,
			message: "HTTP 502 Bad Gateway",
			hintHas: "proxy",
		},
		{
			name: "empty 503", status: 503, body: "",
			code: NetworkError, message: "HTTP 503 Service Unavailable",
		},
		{
			name: "cloudflare 522", status: 522,
			body:    "<!DOCTYPE html><html><head><title>komodo.example.com | 522: Connection timed out</title></head></html>",
			code:    NetworkError,
			message: "HTTP 522: komodo.example.com | 522: Connection timed out",
		},
		{
			name: "proxy 504", status: 504, body: "<html><head><title>504 Gateway Time-out</title></head></html>",
			code: Timeout, hintHas: "may still be running",
		},
		{
			name: "html 500", status: 500, body: "<html><body>Internal Server Error</body></html>",
			code: NetworkError,
		},
		{
			name: "Komodo JSON 502 is Komodo's answer", status: 502,
			body: `{"error":"Did not find any Server matching prod-9","trace":[]}`, code: NotFound,
		},
		{
			name: "unknown route", status: 404, body: "",
			code: NetworkError, hintHas: "KOMODO_URL must be the Komodo Core base URL",
		},
		{
			name: "request timeout", status: 408, body: "", code: Timeout,
		},
		{
			name: "rate limited by a proxy", status: 429, body: "Too Many Requests", code: ServerError, hintHas: "rate-limited",
		},
		{
			name: "komodo failed-login limiter", status: 429, body: `{"error":"Too many attempts | Try again in 42s","trace":[]}`,
			code: AuthError, message: "Too many attempts | Try again in 42s", hintHas: "try again in 42s",
		},
		{
			name: "expired jwt is a 500", status: 500, body: `{"error":"Invalid user credentials","trace":[]}`,
			code: AuthError, hintHas: "rejected the credentials",
		},
		{
			name: "missing credentials", status: 401, body: `{"error":"Invalid client credentials","trace":[]}`,
			code: AuthError, hintHas: "rejected the credentials",
		},
		{
			name: "wrong base path: POST falls through to the UI", status: 405, body: "",
			code: NetworkError, message: "HTTP 405 Method Not Allowed", hintHas: "KOMODO_URL must be the Komodo Core base URL",
		},
		{
			name: "no update exists", status: 500, body: `{"error":"no update exists with given id","trace":[]}`, code: NotFound,
		},
		{
			name: "update id that is no ObjectId", status: 500,
			body: `{"error":"failed to query to db","trace":["id is not ObjectId","invalid hex string"]}`, code: NotFound,
		},
		{
			name: "no user group", status: 500, body: `{"error":"no user group with given id","trace":[]}`, code: NotFound,
		},
		{
			name: "did not find user", status: 500, body: `{"error":"did not find user with given id","trace":[]}`, code: NotFound,
		},
		{
			name: "no matching resource sync", status: 500, body: `{"error":"Failed to update permission","trace":["No matching resource sync found"]}`, code: NotFound,
		},
		{
			name: "no api key with key", status: 500, body: `{"error":"No api key with key found","trace":[]}`, code: NotFound,
		},
		{
			name: "no user with given username", status: 500, body: `{"error":"No user with given username","trace":[]}`, code: NotFound,
		},
		{
			name: "no variable found", status: 500, body: `{"error":"no variable found with given name: FOO","trace":[]}`, code: NotFound,
		},
		{
			name: "periphery not connected is not a wrong id", status: 500,
			body: `{"error":"Failed to get periphery client","trace":["No connection found for server 6759a2f1c0ffee0011223344"]}`, code: ServerError,
		},
		{
			name: "redirect", status: 308, body: "", code: NetworkError, hintHas: "https://",
		},
		{
			name: "auth proxy page", status: 401, body: "<html><head><title>Login - Authelia</title></head></html>",
			code: AuthError, message: "HTTP 401 Unauthorized: Login - Authelia",
		},
		{
			name: "other JSON shape is foreign", status: 500, body: `{"message":"boom"}`,
			code: NetworkError, message: `{"message":"boom"}`,
		},
		{
			name: "malformed trace keeps the message", status: 500, body: `{"error":"Did not find any Build matching api","trace":"oops"}`,
			code: NotFound, message: "Did not find any Build matching api", noTrace: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromResponse(tt.status, []byte(tt.body))
			if e == nil {
				t.Fatal("nil error")
			}
			if e.Code != tt.code {
				t.Errorf("code = %s, want %s (message %q)", e.Code, tt.code, e.Message)
			}
			if e.Status != tt.status {
				t.Errorf("status = %d, want %d", e.Status, tt.status)
			}
			if tt.message != "" && e.Message != tt.message {
				t.Errorf("message = %q, want %q", e.Message, tt.message)
			}
			if tt.trace != nil && strings.Join(e.Trace, "|") != strings.Join(tt.trace, "|") {
				t.Errorf("trace = %q, want %q", e.Trace, tt.trace)
			}
			if tt.noTrace && len(e.Trace) != 0 {
				t.Errorf("trace = %q, want none", e.Trace)
			}
			if !strings.Contains(e.Hint, tt.hintHas) {
				t.Errorf("hint = %q, want it to mention %q", e.Hint, tt.hintHas)
			}
			if e.Message == "" || e.Hint == "" {
				t.Errorf("empty message or hint: %+v", e)
			}
		})
	}
}

func TestError_At(t *testing.T) {
	e := FromResponse(405, nil).At("POST", "https://bob:pw@komodo.example.com/komodo/read/ListServers?x=1")
	if e.Code != NetworkError {
		t.Fatalf("code = %s, want NETWORK_ERROR", e.Code)
	}
	want := "https://komodo.example.com/komodo/read/ListServers"
	if !strings.Contains(e.Message, "POST "+want) || !strings.Contains(e.Hint, want) || !strings.Contains(e.Hint, "KOMODO_URL") {
		t.Errorf("message %q / hint %q: want the path tried and KOMODO_URL", e.Message, e.Hint)
	}
	if strings.Contains(e.Message+e.Hint, "pw") {
		t.Errorf("user information leaked: %q %q", e.Message, e.Hint)
	}
	nf := FromResponse(500, []byte(`{"error":"Did not find any Server matching x","trace":[]}`))
	if got := nf.At("POST", "https://k/read/GetServer"); got != nf {
		t.Errorf("At changed an error that is not about the address: %+v", got)
	}
}

func TestFromResponse_success(t *testing.T) {
	for _, s := range []int{200, 201, 204} {
		if e := FromResponse(s, []byte(`{}`)); e != nil {
			t.Errorf("FromResponse(%d) = %v, want nil", s, e)
		}
	}
}

func TestFromResponse_shortens(t *testing.T) {
	trace := make([]string, 12)
	for i := range trace {
		trace[i] = strings.Repeat("é", 400) // 800 bytes, two-byte runes
	}
	trace[0] = "same as the message"
	body, _ := json.Marshal(map[string]any{"error": "same as the message", "trace": trace})
	e := FromResponse(500, body)
	if len(e.Trace) != maxTrace+1 {
		t.Fatalf("trace has %d entries, want %d: %q", len(e.Trace), maxTrace+1, e.Trace)
	}
	if last := e.Trace[maxTrace]; last != "... 6 more" {
		t.Errorf("last trace entry = %q", last)
	}
	for _, tr := range e.Trace[:maxTrace] {
		if !strings.HasSuffix(tr, "bytes cut]") || len(tr) > maxTraceEntry+30 || !json.Valid([]byte(`"`+tr+`"`)) {
			t.Errorf("trace entry not cut cleanly: %d bytes, %q...", len(tr), tr[len(tr)-30:])
		}
	}

	long, _ := json.Marshal(map[string]any{"error": strings.Repeat("x", 10000)})
	if e := FromResponse(500, long); len(e.Message) > maxMessage+30 {
		t.Errorf("message not shortened: %d bytes", len(e.Message))
	}
}

func TestError_ToolJSON(t *testing.T) {
	e := FromResponse(500, []byte(`{"error":"Did not find any Server matching prod-9 <&>","trace":["failed to get server"]}`))
	got := string(e.ToolJSON())
	want := `{"error":"Did not find any Server matching prod-9 <&>","code":"NOT_FOUND","status":500,"hint":"Check the id or name; use the list tools to find valid ids or names.","trace":["failed to get server"]}`
	if got != want {
		t.Errorf("ToolJSON =\n%s\nwant\n%s", got, want)
	}
	// json.Marshal of the Error gives the same document (it escapes <&>
	// as \u003c... on top, which decodes to the same text).
	b, err := json.Marshal(e)
	var viaMarshal, viaTool map[string]any
	if err != nil || json.Unmarshal(b, &viaMarshal) != nil || json.Unmarshal([]byte(want), &viaTool) != nil ||
		fmt.Sprint(viaMarshal) != fmt.Sprint(viaTool) {
		t.Errorf("json.Marshal = %s, %v", b, err)
	}
	// The minimal {error, code} shape when there is nothing more to say.
	min := &Error{Code: NetworkError, Message: "Network request failed"}
	if got := string(min.ToolJSON()); got != `{"error":"Network request failed","code":"NETWORK_ERROR"}` {
		t.Errorf("minimal ToolJSON = %s", got)
	}
	if got := e.Error(); got != "NOT_FOUND: Did not find any Server matching prod-9 <&>" {
		t.Errorf("Error() = %q", got)
	}
}
