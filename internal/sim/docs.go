package sim

import (
	"encoding/json"
	"net/http"
	"regexp"
	"slices"
	"strings"
)

// DocsPath is where Komodo Core serves its own API reference: an HTML page whose
// <script id="api-reference" type="application/json"> holds the utoipa OpenAPI document
// (bin/core/src/api/openapi/mod.rs and docs.html at v2.3.2; no authentication).
const DocsPath = "/docs"

// DocsDrift are the known differences at v2.3.2 between Core's /docs document and the
// operations Core routes, which the simulator reproduces: /docs lists InspectStackSwarmInfo,
// which no request enum has, and lacks BatchCheckDeploymentForUpdate and
// BatchCheckStackForUpdate, which the write enum routes
// (client/core/rs/src/api/{read,write}/openapi.rs).
var DocsDrift = struct{ Extra, Missing []string }{
	Extra:   []string{"/read/InspectStackSwarmInfo"},
	Missing: []string{"/write/BatchCheckDeploymentForUpdate", "/write/BatchCheckStackForUpdate"},
}

// docsPage renders the /docs page from the simulator's document, as Core's utoipa document
// would list it: the /auth, /read, /write and /execute operations (KomodoApi nests exactly
// these, client/core/rs/src/openapi.rs), with DocsDrift applied and Options.DocsDrift on top.
func (s *Server) docsPage() []byte {
	paths := map[string]any{}
	for _, op := range s.sp.byID {
		if !slices.Contains(rpcModules, op.Module) {
			continue
		}
		paths[op.Path] = map[string]any{"post": map[string]any{"operationId": snake(op.ID), "tags": []string{op.Module}}}
	}
	if s.older != nil { // an older Komodo 2 lists its own operations, under its names
		paths = map[string]any{}
		for _, m := range []string{"read", "write", "execute"} {
			for _, op := range s.older.Operations(m) {
				paths["/"+m+"/"+op] = map[string]any{"post": map[string]any{"operationId": snake(op), "tags": []string{m}}}
			}
		}
	}
	for _, p := range DocsDrift.Missing {
		delete(paths, p)
	}
	for _, p := range DocsDrift.Extra {
		paths[p] = map[string]any{"post": map[string]any{"operationId": snake(p[strings.LastIndex(p, "/")+1:]), "tags": []string{"read"}}}
	}
	for _, p := range s.opts.DocsRemove {
		delete(paths, p)
	}
	for _, p := range s.opts.DocsAdd {
		paths[p] = map[string]any{"post": map[string]any{"operationId": snake(p[strings.LastIndex(p, "/")+1:])}}
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info":    map[string]any{"title": "komodo_client", "version": s.opts.KomodoVersion, "license": map[string]any{"name": "GPL-3.0-or-later"}},
		"paths":   paths,
	}
	spec, _ := json.Marshal(doc)
	return []byte("<!doctype html>\n<html>\n\n<head>\n  <title>Komodo API Docs</title>\n  <meta charset=\"utf-8\" />\n" +
		"  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\" />\n</head>\n\n<body>\n\n" +
		"  <script id=\"api-reference\" type=\"application/json\">\n    " + string(spec) + "\n</script>\n" +
		"  <script src=\"https://cdn.jsdelivr.net/npm/@scalar/api-reference\"></script>\n</body>\n\n</html>\n")
}

var upperRun = regexp.MustCompile(`([a-z0-9])([A-Z])`)

// snake is utoipa's default operationId: the handler function's name (run_action).
func snake(s string) string { return strings.ToLower(upperRun.ReplaceAllString(s, "${1}_${2}")) }

// uiIndex is what Core's static UI answers for a GET it has no file for: index.html, with
// status 404 (mogh_server's serve_static_ui, crates/server/src/ui.rs: a ServeDir whose
// not_found_service is the index).
const uiIndex = "<!doctype html>\n<html lang=\"en\">\n  <head>\n    <meta charset=\"UTF-8\" />\n    <title>Komodo</title>\n  </head>\n  <body>\n    <div id=\"root\"></div>\n  </body>\n</html>\n"

// serveUI answers a path Core does not route, as its static UI fallback does
// (bin/core/src/api/mod.rs:41): GET and HEAD get the index page with 404, any other method
// 405 with an empty body - which is what a POST to a wrong base path in KOMODO_URL meets.
func serveUI(w http.ResponseWriter, r *http.Request) {
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusNotFound)
		if r.Method == http.MethodGet {
			_, _ = w.Write([]byte(uiIndex))
		}
	default:
		w.Header().Set("Allow", "GET,HEAD")
		w.WriteHeader(http.StatusMethodNotAllowed)
	}
}
