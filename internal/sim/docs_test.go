package sim

import (
	"encoding/json"
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestUIFallback: a path Core does not route reaches its web UI: a POST (a wrong base path
// in KOMODO_URL) is 405 with an empty body, a GET the index page with 404.
func TestUIFallback(t *testing.T) {
	s := Start(t)
	if st, body := doRaw(t, s, http.MethodPost, "/komodo/read/ListServers", map[string]any{}, nil); st != 405 || len(body) != 0 {
		t.Errorf("POST to a wrong base path: HTTP %d %q, want 405 and no body", st, body)
	}
	if st, body := doRaw(t, s, http.MethodGet, "/komodo/version", nil, nil); st != 404 || !strings.Contains(string(body), "<title>Komodo</title>") {
		t.Errorf("GET of an unknown path: HTTP %d %.80q, want the UI's index with 404", st, body)
	}
	if st, body := doRaw(t, s, http.MethodGet, "/read/ListServers", nil, nil); st != 405 || len(body) != 0 {
		t.Errorf("GET of a POST route: HTTP %d %q, want axum's empty 405", st, body)
	}
}

// TestDocsPage: GET /docs without credentials is an HTML page with the operation list,
// which has Core's known differences from the routed operations.
func TestDocsPage(t *testing.T) {
	s := Start(t, func(o *Options) { o.DocsAdd = []string{"/read/ListWidgets"} })
	resp, err := http.Get(s.URL() + DocsPath)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	ops := docsOperations(page)
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") || len(ops) < 300 {
		t.Fatalf("GET /docs: HTTP %d %s, %d operations", resp.StatusCode, resp.Header.Get("Content-Type"), len(ops))
	}
	for _, p := range []string{"/read/InspectStackSwarmInfo", "/execute/Deploy", "/auth/login/LoginLocalUser", "/read/ListWidgets"} {
		if !slices.Contains(ops, p) {
			t.Errorf("/docs lacks %s", p)
		}
	}
	for _, p := range append(slices.Clone(DocsDrift.Missing), "/user", "/version", "/terminal/execute") {
		if slices.Contains(ops, p) {
			t.Errorf("/docs lists %s", p)
		}
	}
}

// docsOperations reads the operation paths of a /docs page (for tests and doctor alike).
func docsOperations(page []byte) []string {
	m := regexp.MustCompile(`(?s)<script id="api-reference" type="application/json">(.*?)</script>`).FindSubmatch(page)
	if m == nil {
		return nil
	}
	var doc struct {
		Paths map[string]any `json:"paths"`
	}
	if json.Unmarshal([]byte(html.UnescapeString(strings.TrimSpace(string(m[1])))), &doc) != nil {
		return nil
	}
	var out []string
	for p := range doc.Paths {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}
