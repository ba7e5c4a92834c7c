package main

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// Komodo Core serves its own utoipa OpenAPI document at GET /docs, without authentication,
// embedded in an HTML page (bin/core/src/api/openapi/mod.rs, docs.html at v2.3.2).
const docsPath = "/docs"

// knownDocsDrift are the differences between Core's /docs and its routed request enums at
// 2.3.2, which are not drift of our document: /docs lists InspectStackSwarmInfo, which no
// request enum has (so it cannot be called), and lacks BatchCheckDeploymentForUpdate and
// BatchCheckStackForUpdate, which the write enum routes (client/core/rs/src/api/{read,write}/openapi.rs).
var knownDocsDrift = map[string]bool{
	"/read/InspectStackSwarmInfo":          true,
	"/write/BatchCheckDeploymentForUpdate": true,
	"/write/BatchCheckStackForUpdate":      true,
}

// rpcPrefixes are the modules compared: Komodo's own request enums. /docs also nests the auth
// crate's routes (with browser-only OIDC/GitHub/Google callbacks), which are not compared.
var rpcPrefixes = []string{"/read/", "/write/", "/execute/"}

var apiReference = regexp.MustCompile(`(?s)<script[^>]*id="api-reference"[^>]*>(.*?)</script>`)

// docsOperations reads the operation paths of the RPC modules from a /docs page.
func docsOperations(page []byte) ([]string, error) {
	m := apiReference.FindSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("no <script id=\"api-reference\"> in the page (is it Komodo Core's /docs?)")
	}
	var doc struct {
		Paths map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal([]byte(html.UnescapeString(strings.TrimSpace(string(m[1])))), &doc); err != nil {
		return nil, fmt.Errorf("the api-reference document is not JSON: %w", err)
	}
	return rpcPaths(doc.Paths), nil
}

// ourOperations are the RPC operation paths of the document the tools were generated from.
// ourOperations are the RPC paths (/read/X, /write/X, /execute/X) of a version's catalog.
func ourOperations(c *catalog.Catalog) []string {
	paths := map[string]bool{}
	for _, m := range []string{"read", "write", "execute"} {
		for _, op := range c.Operations(m) {
			paths["/"+m+"/"+op] = true
		}
	}
	return rpcPaths(paths)
}

func rpcPaths[V any](paths map[string]V) []string {
	var out []string
	for p := range paths {
		for _, prefix := range rpcPrefixes {
			if strings.HasPrefix(p, prefix) {
				out = append(out, p)
			}
		}
	}
	sort.Strings(out)
	return out
}

// docsDrift compares Core's operations with ours: added are Core's that we lack, removed
// ours that Core lacks, both without the known differences.
func docsDrift(core, ours []string) (added, removed []string) {
	for _, p := range core {
		if !slices.Contains(ours, p) && !knownDocsDrift[p] {
			added = append(added, p)
		}
	}
	for _, p := range ours {
		if !slices.Contains(core, p) && !knownDocsDrift[p] {
			removed = append(removed, p)
		}
	}
	return added, removed
}

// fetchDocs reads GET {base}/docs (no credentials: Core serves it to anyone).
func fetchDocs(ctx context.Context, base string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+docsPath, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	page, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s answered HTTP %d", docsPath, resp.StatusCode)
	}
	return page, nil
}
