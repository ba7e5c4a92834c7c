package main

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The catalogs of the older Komodo versions users run (api/versions/VERSION.openapi.json)
// are data, not Go: gzip-compressed JSON embedded in gen/catalog and decoded only when the
// Core met runs that version, so that they cost neither start-up nor memory otherwise.

// versionFile is one older version's catalog as gen/catalog decodes it.
type versionFile struct {
	Version string `json:"version"`
	// Operations lists every operation of the version by module (read, write, execute,
	// auth...), tools or not.
	Operations map[string][]string `json:"operations"`
	Tools      []jsonTool          `json:"tools"`
}

// jsonTool is catalog.Tool in JSON (the same field names).
type jsonTool struct {
	Name, Title, Description        string
	Module, Operation, Method, Path string
	Toolset                         string
	Effect                          string
	Idempotent                      bool
	InputSchema                     json.RawMessage
	OutputSchema                    json.RawMessage `json:",omitempty"`
	ResultWrap                      string          `json:",omitempty"`
	Paged                           bool            `json:",omitempty"`
	ListKey                         string          `json:",omitempty"`
	TargetField                     string          `json:",omitempty"`
	Params                          []string        `json:",omitempty"`
	Defaults                        json.RawMessage `json:",omitempty"`
}

// versionDoc is one loaded document.
type versionDoc struct {
	version string
	doc     *openapi3.T
}

// loadVersionDocs loads every VERSION.openapi.json of dir, oldest first.
func loadVersionDocs(dir string) ([]versionDoc, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.openapi.json"))
	if err != nil {
		return nil, err
	}
	var out []versionDoc
	for _, p := range paths {
		doc, err := openapi3.NewLoader().LoadFromFile(p)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", p, err)
		}
		v := strings.TrimSuffix(filepath.Base(p), ".openapi.json")
		if doc.Info == nil || doc.Info.Version != v {
			return nil, fmt.Errorf("%s: the document is of version %v", p, doc.Info.Version)
		}
		out = append(out, versionDoc{version: v, doc: doc})
	}
	sort.Slice(out, func(i, j int) bool { return versionLess(out[i].version, out[j].version) })
	return out, nil
}

// versionLess orders dotted versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(pa) && i < len(pb); i++ {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// writeVersions writes outDir/VERSION.json.gz for every older version and removes the
// files of versions no longer there.
func writeVersions(docs []versionDoc, cur *curation, effects map[string]string, outDir string) error {
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, vd := range docs {
		tools, err := buildTools(vd.doc, cur, effects, false)
		if err != nil {
			return fmt.Errorf("%s: %w", vd.version, err)
		}
		f := versionFile{Version: vd.version, Operations: operationsByModule(vd.doc)}
		for _, t := range tools {
			f.Tools = append(f.Tools, jsonTool{
				Name: t.Name, Title: t.Title, Description: t.Description,
				Module: t.Module, Operation: t.Operation, Method: t.Method, Path: t.Path, Toolset: t.Toolset,
				Effect: t.Effect, Idempotent: t.Idempotent,
				InputSchema: t.InputSchema, OutputSchema: t.OutputSchema, ResultWrap: t.ResultWrap,
				Paged: t.Paged, ListKey: t.ListKey, TargetField: t.TargetField, Params: t.Params, Defaults: t.Defaults,
			})
		}
		name := vd.version + ".json.gz"
		keep[name] = true
		if err := writeGzipJSON(filepath.Join(outDir, name), f); err != nil {
			return err
		}
	}
	old, _ := filepath.Glob(filepath.Join(outDir, "*.json.gz"))
	for _, p := range old {
		if base := filepath.Base(p); !keep[base] && base != changesFile {
			if err := os.Remove(p); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeGzipJSON writes v as compact JSON, gzip-compressed without a timestamp so that the
// bytes depend on the content only.
func writeGzipJSON(path string, v any) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	if _, err := zw.Write(raw); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}

// operationsByModule lists a document's operations by module, sorted.
func operationsByModule(doc *openapi3.T) map[string][]string {
	out := map[string][]string{}
	for path, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			m := moduleOf(path)
			out[m] = append(out[m], op.OperationID)
		}
	}
	for m := range out {
		sort.Strings(out[m])
	}
	return out
}

// moduleOf is the module of a path: read, write, execute, auth, user (Komodo 1's /user/X
// requests are its API-key management, auth like Komodo 2's /auth/manage), terminal or core.
func moduleOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	switch {
	case len(parts) >= 2 && (parts[0] == "auth" || parts[0] == "user"):
		return "auth"
	case len(parts) >= 2:
		return parts[0]
	default:
		return "core"
	}
}

// changesFile is the changelog's data, beside the catalogs.
const changesFile = "changes.json.gz"

// change is what differs between two consecutive versions.
type change struct {
	From, To string
	Added    []opRef    `json:"added,omitempty"`
	Removed  []opRef    `json:"removed,omitempty"`
	Renamed  []rename   `json:"renamed,omitempty"`
	Fields   []opFields `json:"fields,omitempty"`
}

type opRef struct {
	Module    string `json:"module"`
	Operation string `json:"operation"`
}

type rename struct {
	Module string `json:"module"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// opFields are the request and response fields an operation gained or lost.
type opFields struct {
	Operation       string   `json:"operation"`
	RequestAdded    []string `json:"request_added,omitempty"`
	RequestRemoved  []string `json:"request_removed,omitempty"`
	ResponseAdded   []string `json:"response_added,omitempty"`
	ResponseRemoved []string `json:"response_removed,omitempty"`
}

// opInfo is what the changelog compares of one operation.
type opInfo struct {
	module         string
	request, reply []string
}

func operationInfo(doc *openapi3.T) map[string]opInfo {
	out := map[string]opInfo{}
	for path, item := range doc.Paths.Map() {
		for _, op := range item.Operations() {
			info := opInfo{module: moduleOf(path)}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if mt := op.RequestBody.Value.Content.Get("application/json"); mt != nil {
					info.request = fieldNames(mt.Schema)
				}
			}
			if r := op.Responses.Status(200); r != nil && r.Value != nil {
				if mt := r.Value.Content.Get("application/json"); mt != nil {
					info.reply = fieldNames(mt.Schema)
				}
			}
			out[op.OperationID] = info
		}
	}
	return out
}

// fieldNames are the property names of an object schema, or of an array's items, following
// refs and allOf wrappers; nil for anything else.
func fieldNames(ref *openapi3.SchemaRef) []string {
	for i := 0; ref != nil && ref.Value != nil && i < 4; i++ {
		s := ref.Value
		switch {
		case len(s.Properties) > 0:
			names := make([]string, 0, len(s.Properties))
			for n := range s.Properties {
				names = append(names, n)
			}
			sort.Strings(names)
			return names
		case s.Items != nil:
			ref = s.Items
		case len(s.AllOf) == 1:
			ref = s.AllOf[0]
		default:
			return nil
		}
	}
	return nil
}

// diffNames is what b has that a has not, and what a has that b has not.
func diffNames(a, b []string) (added, removed []string) {
	for _, n := range b {
		if !slices.Contains(a, n) {
			added = append(added, n)
		}
	}
	for _, n := range a {
		if !slices.Contains(b, n) {
			removed = append(removed, n)
		}
	}
	return added, removed
}

// changes compares each version with the next.
func changes(docs []versionDoc, cur *curation) []change {
	var out []change
	for i := 1; i < len(docs); i++ {
		a, b := operationInfo(docs[i-1].doc), operationInfo(docs[i].doc)
		c := change{From: docs[i-1].version, To: docs[i].version}
		renamedTo := map[string]string{}
		for _, old := range sortedKeys(a) {
			if newer, ok := cur.Renamed[old]; ok {
				if _, inB := b[newer]; inB {
					if _, stillOld := b[old]; !stillOld {
						renamedTo[old] = newer
						c.Renamed = append(c.Renamed, rename{Module: a[old].module, From: old, To: newer})
					}
				}
			}
		}
		renamedFrom := map[string]bool{}
		for _, n := range renamedTo {
			renamedFrom[n] = true
		}
		for _, name := range sortedKeys(b) {
			if _, ok := a[name]; !ok && !renamedFrom[name] {
				c.Added = append(c.Added, opRef{Module: b[name].module, Operation: name})
			}
		}
		for _, name := range sortedKeys(a) {
			if _, ok := b[name]; !ok && renamedTo[name] == "" {
				c.Removed = append(c.Removed, opRef{Module: a[name].module, Operation: name})
			}
		}
		for _, name := range sortedKeys(a) {
			newName := name
			if n, ok := renamedTo[name]; ok {
				newName = n
			}
			nb, ok := b[newName]
			if !ok {
				continue
			}
			f := opFields{Operation: newName}
			f.RequestAdded, f.RequestRemoved = diffNames(a[name].request, nb.request)
			f.ResponseAdded, f.ResponseRemoved = diffNames(a[name].reply, nb.reply)
			if f.RequestAdded != nil || f.RequestRemoved != nil || f.ResponseAdded != nil || f.ResponseRemoved != nil {
				c.Fields = append(c.Fields, f)
			}
		}
		out = append(out, c)
	}
	return out
}

// renderChangelog writes the changelog for people, from the same data.
func renderChangelog(all []versionDoc, cs []change) []byte {
	var b bytes.Buffer
	b.WriteString("<!-- Code generated by tools/toolgen from api/komodo.openapi.json and api/versions/. DO NOT EDIT. -->\n\n")
	b.WriteString("# Komodo API changes between the versions komodo-mcp serves\n\n")
	b.WriteString("Operations per version (read / write / execute / auth):\n\n")
	b.WriteString("| Version | Read | Write | Execute | Auth | All |\n|---|---|---|---|---|---|\n")
	for _, vd := range all {
		ops := operationsByModule(vd.doc)
		total := 0
		for _, l := range ops {
			total += len(l)
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d |\n", vd.version, len(ops["read"]), len(ops["write"]), len(ops["execute"]), len(ops["auth"]), total)
	}
	b.WriteString("\nOperation fields compared are the request's fields and the top-level fields of the answer (of its items, for lists).\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "\n## %s -> %s\n\n", c.From, c.To)
		fmt.Fprintf(&b, "%d added, %d removed, %d renamed; %d operations with changed fields.\n", len(c.Added), len(c.Removed), len(c.Renamed), len(c.Fields))
		if len(c.Renamed) > 0 {
			b.WriteString("\n### Renamed\n\n")
			for _, r := range c.Renamed {
				fmt.Fprintf(&b, "- %s: `%s` -> `%s`\n", r.Module, r.From, r.To)
			}
		}
		for _, sec := range []struct {
			title string
			ops   []opRef
		}{{"Added", c.Added}, {"Removed", c.Removed}} {
			if len(sec.ops) == 0 {
				continue
			}
			fmt.Fprintf(&b, "\n### %s\n\n", sec.title)
			for _, o := range sec.ops {
				fmt.Fprintf(&b, "- %s: `%s`\n", o.Module, o.Operation)
			}
		}
		if len(c.Fields) > 0 {
			b.WriteString("\n### Fields\n\n")
			for _, f := range c.Fields {
				var parts []string
				add := func(label string, names []string) {
					if len(names) > 0 {
						parts = append(parts, label+" "+strings.Join(names, ", "))
					}
				}
				add("request +", f.RequestAdded)
				add("request -", f.RequestRemoved)
				add("answer +", f.ResponseAdded)
				add("answer -", f.ResponseRemoved)
				fmt.Fprintf(&b, "- `%s`: %s\n", f.Operation, strings.Join(parts, "; "))
			}
		}
	}
	return b.Bytes()
}
