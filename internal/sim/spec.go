package sim

import (
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/komodo-mcp/komodo-mcp/api"
)

// operation is one entry of the document, precompiled for the request path.
type operation struct {
	ID     string // operationId, e.g. "ListServers"
	Module string // "read", "write", "execute", "auth/login", "auth/manage", or "" for the rest
	Method string
	Path   string
	Public bool                // security: [] in the document
	Req    *openapi3.SchemaRef // request body schema, nil for GET
	Resp   *openapi3.SchemaRef // 200 schema
	// RespType is the component name of the 200 schema ("Update", "ListServersResponse"), or "".
	RespType string
	// Text is true when the 200 answer is text/plain.
	Text bool
}

// spec is the loaded document with its operations indexed by path and by name.
type spec struct {
	doc     *openapi3.T
	byPath  map[string]*operation
	byID    map[string]*operation
	modules map[string][]string // module -> sorted operation names, for serde's "expected one of"
	// operations is the Operation enum: the values an Update's operation may take.
	operations map[string]bool
}

var (
	specOnce sync.Once
	specVal  *spec
	specErr  error
)

// loadSpec parses api.Document once per process: every simulator shares the result,
// which keeps start-up of the second and later simulators cheap.
func loadSpec() (*spec, error) {
	specOnce.Do(func() { specVal, specErr = parseSpec(api.Document) })
	return specVal, specErr
}

func parseSpec(data []byte) (*spec, error) {
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		return nil, fmt.Errorf("load the Komodo document: %w", err)
	}
	sp := &spec{doc: doc, byPath: map[string]*operation{}, byID: map[string]*operation{}, modules: map[string][]string{}}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := &operation{ID: op.OperationID, Method: method, Path: path}
			if i := strings.LastIndex(path, "/"); i > 0 {
				o.Module = strings.TrimPrefix(path[:i], "/")
			}
			if op.Security != nil && len(*op.Security) == 0 {
				o.Public = true
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil && mt.Schema != nil {
					o.Req = mt.Schema
				}
			}
			if r := op.Responses.Status(http.StatusOK); r != nil && r.Value != nil {
				for ct, mt := range r.Value.Content {
					if mt.Schema == nil {
						continue
					}
					o.Resp = mt.Schema
					o.Text = ct == "text/plain"
					if ref := mt.Schema.Ref; ref != "" {
						o.RespType = ref[strings.LastIndex(ref, "/")+1:]
					}
				}
			}
			if o.Resp == nil {
				return nil, fmt.Errorf("operation %s has no 200 schema", o.ID)
			}
			sp.byPath[path] = o
			sp.byID[o.ID] = o
			if o.Module != "" {
				sp.modules[o.Module] = append(sp.modules[o.Module], o.ID)
			}
		}
	}
	sp.operations = map[string]bool{}
	if enum := sp.schema("Operation"); enum != nil {
		for _, v := range enum.Enum {
			if name, ok := v.(string); ok {
				sp.operations[name] = true
			}
		}
	}
	for _, names := range sp.modules {
		sort.Strings(names)
	}
	return sp, nil
}

// schema returns a component schema by name, or nil.
func (sp *spec) schema(name string) *openapi3.Schema {
	if ref, ok := sp.doc.Components.Schemas[name]; ok && ref != nil {
		return ref.Value
	}
	return nil
}

// ref returns a component schema as a reference to it ("#/components/schemas/name"), so
// that what walks it knows the type's name (Komodo's defaults are kept by type), or nil.
func (sp *spec) ref(name string) *openapi3.SchemaRef {
	if r, ok := sp.doc.Components.Schemas[name]; ok && r != nil {
		return &openapi3.SchemaRef{Ref: "#/components/schemas/" + name, Value: r.Value}
	}
	return nil
}
