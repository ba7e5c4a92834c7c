package rpc

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/komodo-mcp/komodo-mcp/api"
	"github.com/komodo-mcp/komodo-mcp/internal/errcode"
)

// A Core of another version than the tools were generated for lacks some operations, and
// answers them as it answers any operation it does not know: Komodo routes
// POST /{read,write,execute}/{Type} and turns {Type} into its request enum with serde, so
// an unknown Type is a 500 "unknown variant `Type`, expected one of ..." (bin/core/src/api/
// read/mod.rs variant_handler, the same at 1.19.5 and 2.x); a module a Core does not have
// at all (/terminal/... before 2.0) falls through to the web UI: 405 with an empty body.
// The second is also what a wrong base path in KOMODO_URL looks like, so the Core is asked
// its version (GET /version; GetVersion on Komodo 1): when it answers, the address is right
// and this one operation is missing; only when that fails too is KOMODO_URL to blame.

// versionTTL is how long the Core's version is trusted (a Core may be upgraded under a
// long-running server).
const versionTTL = 10 * time.Minute

// GeneratedFor is the Komodo version the tools were generated for (the document's
// info.version).
var GeneratedFor = sync.OnceValue(func() string {
	var doc struct {
		Info struct{ Version string } `json:"info"`
	}
	if json.Unmarshal(api.Document, &doc) != nil || doc.Info.Version == "" {
		return "unknown"
	}
	return doc.Info.Version
})

// coreVersion caches what GET /version answered.
type coreVersion struct {
	mu      sync.Mutex
	version string
	at      time.Time
}

// CoreVersion is the version Komodo Core reports (Version: GET /version, or GetVersion on
// Komodo 1, which has no GET /version), asked again after versionTTL; an error when the
// Core answers neither.
func (c *Client) CoreVersion(ctx context.Context) (string, error) {
	c.core.mu.Lock()
	defer c.core.mu.Unlock()
	if c.core.version != "" && time.Since(c.core.at) < versionTTL {
		return c.core.version, nil
	}
	v, err := c.Version(ctx)
	if err != nil {
		return "", err
	}
	c.core.version, c.core.at = v, time.Now()
	return v, nil
}

// rpcModules are the path prefixes whose last segment names an operation.
var rpcModules = []string{"/read/", "/write/", "/execute/", "/auth/login/", "/auth/manage/", "/terminal/"}

// operationOf is the operation a request path names ("/read/ListSwarms": ListSwarms) and
// how to name it to a person ("ListSwarms", "terminal/execute").
func operationOf(method, path string) (op, shown string, ok bool) {
	if method != http.MethodPost {
		return "", "", false
	}
	for i, m := range rpcModules {
		if op, ok := strings.CutPrefix(path, m); ok && op != "" && !strings.Contains(op, "/") {
			if i < 3 { // read, write, execute: operations have names of their own
				return op, op, true
			}
			return op, strings.TrimPrefix(path, "/"), true
		}
	}
	return "", "", false
}

// notRouted reports whether e is how Komodo answers an operation it does not have.
func notRouted(e *errcode.Error, op string) bool {
	if e.WrongAddress() && (e.Status == http.StatusMethodNotAllowed || e.Status == http.StatusNotFound) {
		return true
	}
	unknown := "unknown variant `" + op + "`"
	if strings.Contains(e.Message, unknown) {
		return true
	}
	for _, t := range e.Trace {
		if strings.Contains(t, unknown) {
			return true
		}
	}
	return false
}

// missingOperation turns the answer to an operation the Core does not have into an error
// that says so, with the Core's version; e is returned unchanged when it is something
// else, or when the Core does not answer GET /version either (then KOMODO_URL is wrong).
func (c *Client) missingOperation(ctx context.Context, method, path string, e *errcode.Error) *errcode.Error {
	op, shown, ok := operationOf(method, path)
	if !ok || op == versionOperation || !notRouted(e, op) { // the version question itself: nothing to ask
		return e
	}
	version, err := c.CoreVersion(ctx)
	if err != nil {
		return e
	}
	gen := GeneratedFor()
	return &errcode.Error{
		Code:    errcode.NotFound,
		Status:  e.Status,
		Message: fmt.Sprintf("this Komodo Core (version %s) has no operation %s", version, shown),
		Hint: fmt.Sprintf("komodo-mcp's tools were generated for Komodo %s; Komodo %s does not know %s (it was added, renamed or removed in another version). "+
			"If --komodo-version (KOMODO_CORE_VERSION) names another version than this Core's, remove it: komodo-mcp then serves this Core's own tools. "+
			"Else find another tool for the job with komodo_search_tools. KOMODO_URL is right: the Core answers other calls.", gen, version, shown),
	}
}
