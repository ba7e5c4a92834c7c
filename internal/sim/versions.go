package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// An older Komodo (Options.KomodoVersion of another minor than the document's) is played
// with the same world, answering only the operations that version has, under the names it
// has them (its catalog in gen/catalog): the others are refused as that Core refuses an
// operation it does not know, with serde's "unknown variant". Komodo 1 also routes its auth
// and API-key requests differently (POST /auth/{Type}, POST /user/{Type}) and has neither
// GET /version nor GET /user (bin/core/src/main.rs and api/{auth,user}.rs at v1.19.5).

// olderCatalog is the catalog of the version played when it is older than the document's,
// else nil.
func olderCatalog(version string) (*catalog.Catalog, error) {
	m, err := catalog.ForCore(version)
	if err != nil {
		return nil, err
	}
	if !m.Exact {
		return nil, fmt.Errorf("sim: no catalog of Komodo %s to play (%s)", version, strings.Join(catalog.Versions(), ", "))
	}
	if m.Catalog.Version == catalog.KomodoVersion {
		return nil, nil
	}
	return m.Catalog, nil
}

// v1Paths are Komodo 1's auth and API-key paths, as Komodo 2 serves the same requests.
var v1Paths = map[string]string{
	"/auth/GetLoginOptions": "/auth/login/GetLoginOptions",
	"/auth/LoginLocalUser":  "/auth/login/LoginLocalUser",
	"/auth/ExchangeForJwt":  "/auth/login/ExchangeForJwt",
	"/auth/SignUpLocalUser": "/auth/login/SignUpLocalUser",
	"/user/CreateApiKey":    "/auth/manage/CreateApiKey",
	"/user/DeleteApiKey":    "/auth/manage/DeleteApiKey",
}

// olderPath maps a request to an older version onto the simulator's paths. refuse is true
// when that version does not have the operation: the caller answers as that Core would.
// getUser is Komodo 1's POST /auth/GetUser, which GET /user answers.
func (s *Server) olderPath(path, method string) (mapped string, refuse, getUser bool) {
	c := s.older
	has := func(module, op string) bool { return slices.Contains(c.Operations(module), op) }
	v1 := len(c.Operations("core")) == 0
	if v1 {
		if path == "/auth/GetUser" && has("auth", "GetUser") {
			return "/user", false, true
		}
		if p, ok := v1Paths[path]; ok && has("auth", path[strings.LastIndexByte(path, '/')+1:]) {
			return p, false, false
		}
	}
	switch {
	case path == "/version":
		return path, !has("core", "GetCoreVersionText"), false
	case path == "/user":
		return path, !has("core", "GetUser"), false
	case strings.HasPrefix(path, "/auth/"):
		return path, v1 || !has("auth", path[strings.LastIndexByte(path, '/')+1:]), false
	}
	for _, m := range []string{"read", "write", "execute"} {
		if name, ok := strings.CutPrefix(path, "/"+m+"/"); ok {
			return path, !has(m, name), false
		}
	}
	return path, false, false
}

// refuseOlder answers a request for an operation the version played does not have.
func (s *Server) refuseOlder(w http.ResponseWriter, r *http.Request, path string) {
	module, name := splitRPC(path)
	if module == "" {
		serveUI(w, r) // not a route of that Core: its UI answers
		return
	}
	writeError(w, deserializeErr(fmt.Sprintf("unknown variant `%s`, expected one of the %s operations of Komodo %s", name, module, s.opts.KomodoVersion)))
}

// hasDocs says whether the version played serves GET /docs (Komodo 2 does, 1.19.5 does not).
func (s *Server) hasDocs() bool { return s.older == nil || len(s.older.Operations("core")) > 0 }
