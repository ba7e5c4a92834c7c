// Package secrets redacts the credentials Komodo holds from its answers, by type: which
// fields of which Komodo types are credentials is recorded once in api/secrets.yaml, and
// the answer of an operation is walked along the operation's response schema
// (api/komodo.openapi.json), so that a field is redacted because of what it is, never
// because of how it is spelled. TOML that Komodo returns (exports, an update's config
// before and after, a sync's diffs) is parsed and redacted by the same record.
package secrets

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/komodo-mcp/komodo-mcp/api"
)

// Redaction is the marker that replaces a credential.
const Redaction = "[redacted]"

// Kind says what a credential field holds and how it is redacted (api/secrets.yaml).
type Kind string

// The kinds of api/secrets.yaml.
const (
	Secret    Kind = "secret"
	SecretIf  Kind = "secret_if"
	URL       Kind = "url"
	Env       Kind = "env"
	TOML      Kind = "toml"
	ShownOnce Kind = "shown_once"
)

var kinds = map[Kind]bool{Secret: true, SecretIf: true, URL: true, Env: true, TOML: true, ShownOnce: true}

// ShownOnceNote is the note a result carries next to a credential Komodo shows only once.
const ShownOnceNote = "This is the only time this credential is shown: Komodo keeps only a hash (or the public half) of it and cannot show it again. " +
	"Hand it to the person now, to store in their secret manager; it is not written to the server's logs or audit."

// Field is one entry of the record: a field path of a type and its kind.
type Field struct {
	Type string // e.g. GitProviderAccount
	Path string // e.g. token, data.password
	Kind Kind
}

// Record is the reviewed list of credential fields, compiled against a Komodo document.
type Record struct {
	fields  map[string]map[string]Kind // type -> path -> kind
	schemas map[string]any             // the document's components.schemas
	ops     map[string]*node           // operationId -> compiled 200 response schema
	reqs    map[string]*node           // operationId -> compiled request body schema
	nodes   map[string]*node           // component name -> compiled node
	all     []*node                    // every node, for the liveness fixpoint
	live    map[*node]bool             // a credential can be below the node
	toml    *node                      // ResourcesToml, with Komodo's singular table names
}

// node is what to do with a value of one schema: a kind to apply to it, and where to go
// into it. alts are further nodes for the same value (allOf, oneOf: every variant).
type node struct {
	kind   Kind
	fields map[string]*node
	items  *node // array elements
	values *node // map values (additionalProperties)
	alts   []*node
}

// Fields lists the record, sorted by type and path.
func (r *Record) Fields() []Field {
	var out []Field
	for t, paths := range r.fields {
		for p, k := range paths {
			out = append(out, Field{Type: t, Path: p, Kind: k})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Type != out[j].Type {
			return out[i].Type < out[j].Type
		}
		return out[i].Path < out[j].Path
	})
	return out
}

// Default is the record of api/secrets.yaml compiled against api/komodo.openapi.json.
var Default = sync.OnceValue(func() *Record {
	r, err := Load(api.Secrets, api.Document)
	if err != nil {
		panic(err) // both embedded; TestDefault loads them
	}
	return r
})

// Load reads a record (api/secrets.yaml) and the Komodo document it applies to. Every type
// the record names must be in the document.
func Load(record, document []byte) (*Record, error) {
	var raw map[string]map[string]string
	if err := yaml.Unmarshal(record, &raw); err != nil {
		return nil, fmt.Errorf("secrets record: %w", err)
	}
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]any `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(document, &doc); err != nil {
		return nil, fmt.Errorf("komodo document: %w", err)
	}
	r := &Record{fields: map[string]map[string]Kind{}, schemas: doc.Components.Schemas, ops: map[string]*node{}, reqs: map[string]*node{},
		nodes: map[string]*node{}, live: map[*node]bool{}}
	for typ, paths := range raw {
		if _, ok := r.schemas[typ]; !ok {
			return nil, fmt.Errorf("secrets record: type %s is not in the Komodo document", typ)
		}
		r.fields[typ] = map[string]Kind{}
		for p, k := range paths {
			if !kinds[Kind(k)] {
				return nil, fmt.Errorf("secrets record: %s.%s: unknown kind %q", typ, p, k)
			}
			r.fields[typ][p] = Kind(k)
		}
	}
	for _, item := range doc.Paths {
		for _, raw := range item {
			var op struct {
				OperationID string `json:"operationId"`
				RequestBody struct {
					Content map[string]struct {
						Schema any `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
				Responses map[string]struct {
					Content map[string]struct {
						Schema any `json:"schema"`
					} `json:"content"`
				} `json:"responses"`
			}
			if json.Unmarshal(raw, &op) != nil || op.OperationID == "" {
				continue
			}
			if js, ok := op.Responses["200"].Content["application/json"]; ok {
				r.ops[op.OperationID] = r.compile(js.Schema)
			}
			if js, ok := op.RequestBody.Content["application/json"]; ok {
				r.reqs[op.OperationID] = r.compile(js.Schema)
			}
		}
	}
	for name := range r.schemas {
		r.compile(map[string]any{"$ref": "#/components/schemas/" + name})
	}
	r.fixLiveness()
	r.toml = r.tomlNode()
	if r.toml == nil {
		return nil, fmt.Errorf("komodo document: no ResourcesToml, which TOML answers are redacted by")
	}
	return r, nil
}

// fixLiveness computes, for every node, whether a credential can be below it: a node is
// live when it has a kind or leads to a live node. The graph has cycles (recursive types),
// so this iterates to the fixpoint.
func (r *Record) fixLiveness() {
	for changed := true; changed; {
		changed = false
		for _, n := range r.all {
			if r.live[n] {
				continue
			}
			v := n.kind != "" || r.live[n.items] || r.live[n.values]
			for _, c := range n.fields {
				v = v || r.live[c]
			}
			for _, c := range n.alts {
				v = v || r.live[c]
			}
			if v {
				r.live[n], changed = true, true
			}
		}
	}
}

// forType is the record of a type: its own entries, or those of the full config a
// Partial* / _Partial* config is the partial form of.
func (r *Record) forType(name string) map[string]Kind {
	if f, ok := r.fields[name]; ok {
		return f
	}
	base := strings.TrimPrefix(strings.TrimPrefix(name, "_"), "Partial")
	if base != name {
		return r.fields[base]
	}
	return nil
}

// compile builds the node of a schema; component nodes are shared (and may be cyclic).
func (r *Record) compile(schema any) *node {
	m, _ := schema.(map[string]any)
	if m == nil {
		return nil
	}
	if ref, ok := m["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/components/schemas/")
		if n, ok := r.nodes[name]; ok {
			return n
		}
		n := r.newNode()
		r.nodes[name] = n
		*n = *r.build(r.schemas[name], name)
		return n
	}
	return r.build(m, "")
}

func (r *Record) newNode() *node {
	n := &node{}
	r.all = append(r.all, n)
	return n
}

func (r *Record) build(schema any, name string) *node {
	n := &node{} // copied into a component's node, or returned (and registered) by compile
	if name == "" {
		n = r.newNode()
	}
	m, _ := schema.(map[string]any)
	if m == nil {
		return n
	}
	if ref, ok := m["$ref"].(string); ok {
		n.alts = append(n.alts, r.compile(map[string]any{"$ref": ref}))
		return n
	}
	for _, key := range []string{"allOf", "oneOf", "anyOf"} {
		parts, _ := m[key].([]any)
		for _, p := range parts {
			if c := r.compile(p); c != nil {
				n.alts = append(n.alts, c)
			}
		}
	}
	if props, ok := m["properties"].(map[string]any); ok {
		n.fields = map[string]*node{}
		for p, s := range props {
			if c := r.compile(s); c != nil {
				n.fields[p] = c
			}
		}
	}
	if items, ok := m["items"]; ok {
		n.items = r.compile(items)
	}
	if ap, ok := m["additionalProperties"].(map[string]any); ok {
		n.values = r.compile(ap)
	}
	for path, kind := range r.forType(name) {
		r.mark(n, strings.Split(path, "."), kind)
	}
	return n
}

// mark sets kind at a field path below n, without changing shared nodes: a field that has
// a node gets a fresh node holding the kind with the old one as an alternative.
func (r *Record) mark(n *node, path []string, kind Kind) {
	if n.fields == nil {
		n.fields = map[string]*node{}
	}
	old := n.fields[path[0]]
	fresh := r.newNode()
	if old != nil {
		fresh.alts = []*node{old}
	}
	if len(path) == 1 {
		fresh.kind = kind
	} else {
		r.mark(fresh, path[1:], kind)
	}
	n.fields[path[0]] = fresh
}

// operation is the compiled node of an operation's answer, or nil when it holds no
// credential.
func (r *Record) operation(op string) *node {
	if n := r.ops[op]; r.live[n] {
		return n
	}
	return nil
}

// RequestValues are the credentials in the arguments of a request to op (a token given to
// CreateGitProviderAccount, a webhook URL given to UpdateAlerter), by the same record: an
// error about the request must not show them. args is left as it is.
func (r *Record) RequestValues(op string, args map[string]any) []string {
	n := r.reqs[op]
	if !r.live[n] || len(args) == 0 {
		return nil
	}
	data, err := json.Marshal(args)
	if err != nil {
		return nil
	}
	var cp any
	if json.Unmarshal(data, &cp) != nil {
		return nil
	}
	var res Result
	r.walk(n, cp, "", &res)
	return res.Values
}

// Result is what redacting an answer found.
type Result struct {
	// ShownOnce lists the fields (paths in the answer) holding a credential Komodo shows
	// only in this answer; they are left as they are.
	ShownOnce []string
	// Values are the credential values that were redacted, so that the caller can also
	// hide them where they appear in free text (a log line, an error).
	Values []string
}

// Redact redacts, in place, the answer v of a Komodo operation (decoded JSON) and returns it.
func (r *Record) Redact(op string, v any) (any, Result) {
	var res Result
	n := r.operation(op)
	if n == nil {
		return v, res
	}
	return r.walk(n, v, "", &res), res
}

// RedactItems redacts the items of a list operation's answer (an array answer's elements,
// or those under listKey of an object answer).
func (r *Record) RedactItems(op, listKey string, items []any) ([]any, Result) {
	var res Result
	n := r.operation(op)
	if n == nil {
		return items, res
	}
	wrapped := any(items)
	if listKey != "" {
		wrapped = map[string]any{listKey: items}
	}
	out := r.walk(n, wrapped, "", &res)
	if listKey != "" {
		out = out.(map[string]any)[listKey]
	}
	list, _ := out.([]any)
	return list, res
}

// RedactType redacts, in place, a value of the named Komodo type (e.g. "Update").
func (r *Record) RedactType(name string, v any) (any, Result) {
	var res Result
	n := r.nodes[name]
	if !r.live[n] {
		return v, res
	}
	return r.walk(n, v, "", &res), res
}

func (r *Record) walk(n *node, v any, path string, res *Result) any {
	if n == nil || v == nil || !r.live[n] {
		return v
	}
	if n.kind != "" && n.kind != SecretIf {
		v = r.apply(n.kind, v, path, res)
		if n.kind != ShownOnce {
			return v
		}
	}
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			c := n.fields[k]
			if c == nil {
				c = n.values
			}
			if c != nil && c.kind == SecretIf {
				if secret, _ := x["is_secret"].(bool); secret {
					x[k] = r.apply(Secret, e, join(path, k), res)
					continue
				}
			}
			x[k] = r.walk(c, e, join(path, k), res)
		}
	case []any:
		for i, e := range x {
			x[i] = r.walk(n.items, e, path+"[]", res)
		}
	}
	for _, a := range n.alts {
		v = r.walk(a, v, path, res)
	}
	return v
}

func join(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

// apply redacts one credential value of the given kind.
func (r *Record) apply(kind Kind, v any, path string, res *Result) any {
	switch kind {
	case ShownOnce:
		if s, ok := v.(string); ok && s != "" {
			res.ShownOnce = append(res.ShownOnce, path)
		}
		return v
	case URL:
		if s, ok := v.(string); ok {
			out := redactURL(s)
			if out != s {
				res.Values = append(res.Values, s)
			}
			return out
		}
	case Env:
		if list, ok := v.([]any); ok {
			for i, e := range list {
				if s, ok := e.(string); ok {
					if name, val, found := strings.Cut(s, "="); found && val != "" {
						list[i] = name + "=" + Redaction
						res.Values = append(res.Values, val)
					}
				}
			}
			return list
		}
	case TOML:
		if s, ok := v.(string); ok && s != "" {
			out, values := r.redactTOML(s)
			res.Values = append(res.Values, values...)
			return out
		}
		return v
	}
	return redactAll(v, res)
}

// redactAll replaces every non-empty string in v (a credential may be an object, a list or
// Komodo's opaque JSON), keeping v's shape so that it still matches its schema.
func redactAll(v any, res *Result) any {
	switch x := v.(type) {
	case string:
		if x == "" || x == Redaction {
			return x
		}
		res.Values = append(res.Values, x)
		return Redaction
	case map[string]any:
		for k, e := range x {
			x[k] = redactAll(e, res)
		}
	case []any:
		for i, e := range x {
			x[i] = redactAll(e, res)
		}
	}
	return v
}
