package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"slices"
	"strings"
)

// call is one request on its way to a handler.
type call struct {
	op   *operation
	user *user
	body map[string]any
	r    *http.Request
}

// handlerFunc answers one operation; it runs with Server.mu held.
type handlerFunc func(s *Server, c *call) (any, *apiError)

// newHandlers builds the table of stateful handlers by operationId; the operations
// without one answer generically.
func newHandlers() map[string]handlerFunc {
	table := map[string]handlerFunc{}
	handle := func(op string, h handlerFunc) {
		if _, dup := table[op]; dup {
			panic("sim: two handlers for " + op)
		}
		table[op] = h
	}
	for _, register := range []func(handle func(string, handlerFunc)){
		authHandlers, resourceHandlers,
		tagHandlers, variableHandlers, userHandlers, alertHandlers, updateHandlers, runtimeHandlers, accountHandlers, exportHandlers, apiKeyHandlers, inspectHandlers,
	} {
		register(handle)
	}
	return table
}

// legacyNames are operations renamed in 2.3 that Komodo still answers under the old name.
var legacyNames = map[string]string{
	"ListDockerContainers":       "ListContainers",
	"ListAllDockerContainers":    "ListAllContainers",
	"ListDockerImages":           "ListImages",
	"ListDockerNetworks":         "ListNetworks",
	"ListDockerVolumes":          "ListVolumes",
	"ListDockerImageHistory":     "ListImageHistory",
	"InspectDockerContainer":     "InspectContainer",
	"InspectDockerImage":         "InspectImage",
	"InspectDockerNetwork":       "InspectNetwork",
	"InspectDockerVolume":        "InspectVolume",
	"GetDockerContainersSummary": "GetContainersSummary",
}

// rpcModules are the path prefixes whose last segment names the operation.
var rpcModules = []string{"read", "write", "execute", "auth/login", "auth/manage"}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if strings.HasPrefix(path, ControlPrefix) && !s.opts.DisableControl {
		s.serveControl(w, r)
		return
	}
	if path == UpdatesPath {
		s.serveUpdates(w, r)
		return
	}
	if path == DocsPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) && s.hasDocs() {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(s.docsPage())
		return
	}
	getUser := false
	if s.older != nil {
		var refuse bool
		if path, refuse, getUser = s.olderPath(path, r.Method); refuse {
			s.refuseOlder(w, r, path)
			return
		}
	}
	module, name := splitRPC(path)
	op := s.sp.byPath[path]
	if op == nil && module != "" {
		if newName, ok := legacyNames[name]; ok {
			op = s.sp.byPath["/"+module+"/"+newName]
		}
	}
	if op != nil && s.lacks(op.ID) {
		op = nil
	}
	countName := name
	if op != nil {
		countName = op.ID
	}
	if countName == "" && (path == "/read" || path == "/write" || path == "/execute") {
		countName = "legacy:" + path
	}
	if countName != "" {
		s.faults.count(countName)
		if f := s.faults.take(countName); f != nil && s.applyFault(w, r, f) {
			return
		}
	}
	switch {
	case op != nil:
	case module != "" || path == "/read" || path == "/write" || path == "/execute":
		// Unknown operations and the legacy {"type","params"} form: serde decides.
	default:
		serveUI(w, r)
		return
	}
	if !getUser && (op != nil && r.Method != op.Method || op == nil && r.Method != http.MethodPost) {
		// axum's answer to a routed path with another method: 405, empty body.
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}

	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(io.LimitReader(r.Body, 32<<20))
		if err != nil {
			writeError(w, &apiError{Status: http.StatusBadRequest, Msg: "Failed to read the request body: " + err.Error()})
			return
		}
	}
	var usr *user
	public := op != nil && op.Public || path == "/version"
	if !public {
		var aerr *apiError
		if usr, aerr = s.authenticate(r, body); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	if r.Method == http.MethodGet || getUser {
		s.dispatch(w, &call{op: op, user: usr, r: r})
		return
	}
	if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
		writeError(w, &apiError{Status: http.StatusUnsupportedMediaType, Msg: "Expected request with `Content-Type: application/json`"})
		return
	}
	var params any
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&params); err != nil {
		writeError(w, &apiError{Status: http.StatusBadRequest, Msg: "Failed to parse the request body as JSON: " + serdeSyntax(err)})
		return
	}
	if op == nil {
		var aerr *apiError
		if op, params, aerr = s.resolveUnknown(module, name, path, params); aerr != nil {
			writeError(w, aerr)
			return
		}
	}
	obj, ok := params.(map[string]any)
	if !ok {
		writeError(w, deserializeErr(fmt.Sprintf("invalid type: %s, expected struct %s", unexpected(params), op.ID)))
		return
	}
	applyAliases(op, obj)
	if msg := serdeCheck(op.Req, obj); msg != "" {
		writeError(w, deserializeErr(msg))
		return
	}
	s.dispatch(w, &call{op: op, user: usr, body: obj, r: r})
}

// resolveUnknown handles a path the document does not list: the legacy
// `POST /read {"type": ..., "params": ...}` form, or an unknown variant.
func (s *Server) resolveUnknown(module, name, path string, params any) (*operation, any, *apiError) {
	if module == "" {
		module = strings.TrimPrefix(path, "/")
		m, _ := params.(map[string]any)
		t, ok := m["type"].(string)
		if !ok {
			return nil, nil, deserializeErr("missing field `type`")
		}
		name = t
		params = m["params"]
		if params == nil {
			params = map[string]any{}
		}
	}
	if op := s.sp.byPath["/"+module+"/"+name]; op != nil && !s.lacks(op.ID) {
		return op, params, nil
	}
	if newName, ok := legacyNames[name]; ok {
		if op := s.sp.byPath["/"+module+"/"+newName]; op != nil && !s.lacks(op.ID) {
			return op, params, nil
		}
	}
	names := make([]any, 0, len(s.sp.modules[module]))
	for _, n := range s.sp.modules[module] {
		if !s.lacks(n) {
			names = append(names, n)
		}
	}
	return nil, nil, deserializeErr(fmt.Sprintf("unknown variant `%s`, expected %s", name, oneOfNames(names)))
}

// lacks reports whether this Core is set up without an operation (Options.Lacks).
func (s *Server) lacks(op string) bool { return slices.Contains(s.opts.Lacks, op) }

// deserializeErr is Komodo's answer to a request serde refuses: the path-style route
// (bin/core/src/api/read/mod.rs variant_handler) turns {"type": Type, "params": body} into
// the request enum with serde_json::from_value and `?`, which mogh_error answers as a 500
// with serde's own words and no trace (moghtech/lib crates/error/src/axum.rs, From<E>).
func deserializeErr(msg string) *apiError {
	return &apiError{Status: http.StatusInternalServerError, Msg: msg}
}

// serdeSyntax words a JSON syntax error like serde_json does.
func serdeSyntax(err error) string {
	if err == io.EOF {
		return "EOF while parsing a value at line 1 column 0"
	}
	return err.Error()
}

func splitRPC(path string) (module, name string) {
	for _, m := range rpcModules {
		if rest, ok := strings.CutPrefix(path, "/"+m+"/"); ok && rest != "" && !strings.Contains(rest, "/") {
			return m, rest
		}
	}
	return "", ""
}

// applyAliases lets Get* reads name their target with `id` or `name`, as Komodo's
// #[serde(alias)] does. Writes and executions take only their own field.
func applyAliases(op *operation, body map[string]any) {
	if op.Module != "read" || !strings.HasPrefix(op.ID, "Get") || op.Req == nil || op.Req.Value == nil {
		return
	}
	for _, field := range op.Req.Value.Required {
		if kindByField(field) == nil {
			continue
		}
		if _, ok := body[field]; ok {
			return
		}
		for _, alias := range []string{"id", "name"} {
			if v, ok := body[alias]; ok {
				body[field] = v
				return
			}
		}
	}
}

// dispatch runs the handler (or the generic answer) under the lock and writes the
// answer; streamed operations run their own course.
func (s *Server) dispatch(w http.ResponseWriter, c *call) {
	if st, ok := streamers[c.op.ID]; ok {
		st(s, w, c)
		return
	}
	s.mu.Lock()
	var (
		out  any
		aerr *apiError
	)
	if aerr = s.checkPermission(c); aerr == nil {
		if h, ok := s.handlers[c.op.ID]; ok {
			out, aerr = h(s, c)
		} else if c.op.Module == "execute" && c.op.RespType == "Update" {
			out, aerr = s.execute(c)
		} else if c.op.Module == "execute" && c.op.RespType == "BatchExecutionResponse" {
			out, aerr = s.batch(c)
		} else {
			out = minimal(c.op.Resp)
		}
	}
	var data []byte
	if aerr == nil && !c.op.Text {
		var err error
		if data, err = json.Marshal(out); err != nil {
			aerr = errf("failed to serialize response: %v", err)
		}
	}
	s.unlock()
	if aerr != nil {
		s.log.Debug("komodo error", "op", c.op.ID, "status", aerr.Status, "error", aerr.Msg)
		writeError(w, aerr)
		return
	}
	if c.op.Text {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprint(w, out)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(data)
}
