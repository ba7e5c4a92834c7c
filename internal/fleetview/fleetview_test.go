package fleetview

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Only the extension's own declaration, with the HTML MIME type, turns the view on: every
// other way a client may spell (or misspell) its capabilities leaves it off.
func TestClientSupports(t *testing.T) {
	for _, tc := range []struct {
		caps string
		want bool
	}{
		{`{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/html;profile=mcp-app"]}}}`, true},
		{`{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/plain","text/html;profile=mcp-app"]}}}`, true},
		{`{"extensions":{"io.modelcontextprotocol/ui":{}}}`, false},
		{`{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":[]}}}`, false},
		{`{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/html"]}}}`, false},
		{`{"extensions":{"io.modelcontextprotocol/ui":{"mimeTypes":"text/html;profile=mcp-app"}}}`, false},
		{`{"extensions":{"io.modelcontextprotocol/apps":{"mimeTypes":["text/html;profile=mcp-app"]}}}`, false},
		{`{"experimental":{"io.modelcontextprotocol/ui":{"mimeTypes":["text/html;profile=mcp-app"]}}}`, false},
		{`{"extensions":{"io.modelcontextprotocol/ui":true}}`, false},
		{`{}`, false},
	} {
		var caps mcp.ClientCapabilities
		if err := json.Unmarshal([]byte(tc.caps), &caps); err != nil {
			t.Fatal(err)
		}
		if got := ClientSupports(&caps); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.caps, got, tc.want)
		}
	}
	if ClientSupports(nil) {
		t.Error("no capabilities: supported")
	}
}

func TestAppOnly(t *testing.T) {
	for _, tc := range []struct {
		meta mcp.Meta
		want bool
	}{
		{ToolMeta(VisibleToApp), true},
		{ToolMeta(VisibleToModel, VisibleToApp), false},
		{ToolMeta(), false},                                                // the default: both
		{mcp.Meta{"ui": map[string]any{"visibility": []any{"app"}}}, true}, // as decoded from JSON
		{mcp.Meta{"ui": map[string]any{"visibility": []any{}}}, false},
		{nil, false},
	} {
		if got := AppOnly(tc.meta); got != tc.want {
			t.Errorf("%v: %v, want %v", tc.meta, got, tc.want)
		}
	}
}

// The embedded view is one document with everything inline and a CSP that allows no origin.
func TestResourceIsSelfContained(t *testing.T) {
	res, err := ReadResource(t.Context(), &mcp.ReadResourceRequest{Params: &mcp.ReadResourceParams{URI: ResourceURI}})
	if err != nil {
		t.Fatal(err)
	}
	c := res.Contents[0]
	if c.MIMEType != MIMEType || !strings.HasPrefix(c.Text, "<!doctype html>") {
		t.Fatalf("resource %s %.40q", c.MIMEType, c.Text)
	}
	for _, bad := range []string{"<script src", "<link ", "@import", "url(http"} {
		if strings.Contains(c.Text, bad) {
			t.Errorf("the view loads something from elsewhere: %q", bad)
		}
	}
	if !strings.Contains(c.Text, `content="default-src 'none'`) {
		t.Error("the view has no restrictive Content-Security-Policy")
	}
	csp := c.Meta["ui"].(map[string]any)["csp"].(map[string]any)
	for k, v := range csp {
		if len(v.([]string)) != 0 {
			t.Errorf("csp %s = %v, want none", k, v)
		}
	}
	if _, err := ReadResource(t.Context(), &mcp.ReadResourceRequest{Params: &mcp.ReadResourceParams{URI: "ui://komodo-mcp/other.html"}}); err == nil {
		t.Error("another ui:// URI is served")
	}
}
