package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
)

// The TypeScript types lose two facts of the Rust structs they come from (typeshare writes
// them): a field with #[serde(default)] is optional on the wire although the TypeScript field
// is not, and Rust's i32/u32/u16/... become TypeScript `number`. rustFacts holds those facts,
// read once from the Rust sources of komodo_client at each Komodo version and committed
// (tools/specgen/facts/VERSION.json; mogh_auth_client's, shared by every Komodo 2, in
// facts/mogh_auth_client.json), so that generation needs neither the sources nor crates.io:
//
//	go run ./tools/specgen -rust-src KOMODO@vX/client/core/rs/src -version X
type rustFacts struct {
	// Sources names what the facts were read from.
	Sources []string `json:"sources"`
	// Structs maps a struct name to its fields (wire names) that carry a fact.
	Structs map[string]map[string]rustField `json:"structs"`
}

// rustField is what the TypeScript type does not say about one field.
type rustField struct {
	// Default is set when serde fills the field in when it is missing
	// (#[serde(default)] on the field or the struct): not required on the wire.
	Default bool `json:"default,omitempty"`
	// Type is the Rust type when it is a fixed-width integer, possibly in an Option or Vec
	// (i32, Option<u16>, Vec<u32>); such a field is an integer, not a number.
	Type string `json:"type,omitempty"`
	// Option is set when the Rust type is an Option: only then may the field be null.
	Option bool `json:"option,omitempty"`
}

var (
	structStart = regexp.MustCompile(`^pub struct (\w+)(?:<[^{]*>)?\s*\{\s*$`)
	fieldLine   = regexp.MustCompile(`^pub (?:r#)?(\w+)\s*:\s*(.+?),?\s*$`)
	serdeAttr   = regexp.MustCompile(`serde\s*\((.*)\)`)
	defaultWord = regexp.MustCompile(`(?:^|[,(\s])default\s*(?:[,)=]|$)`)
	renameAttr  = regexp.MustCompile(`(?:^|[,(\s])rename\s*=\s*"([^"]+)"`)
	intType     = regexp.MustCompile(`^(?:Option<|Vec<)?(i8|i16|i32|u8|u16|u32)>?$`)
)

// extractRustFacts reads every .rs file under dirs.
func extractRustFacts(dirs []string) (*rustFacts, error) {
	facts := &rustFacts{Structs: map[string]map[string]rustField{}}
	conflicts := map[string]bool{}
	for _, dir := range dirs {
		facts.Sources = append(facts.Sources, sourceName(dir))
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rs") {
				return err
			}
			structs, err := parseRustFile(path)
			if err != nil {
				return err
			}
			for name, fields := range structs {
				if old, dup := facts.Structs[name]; dup && !sameFields(old, fields) {
					conflicts[name] = true
				}
				facts.Structs[name] = fields
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// A name defined twice with different facts cannot be applied by name.
	for name := range conflicts {
		delete(facts.Structs, name)
	}
	for name, fields := range facts.Structs {
		if len(fields) == 0 {
			delete(facts.Structs, name)
		}
	}
	return facts, nil
}

// sourceName shortens a source directory to its part from the checkout's name on, when the
// checkout is named like repo@version (moghtech/komodo@v2.3.2/client/core/rs/src).
func sourceName(dir string) string {
	parts := strings.Split(filepath.ToSlash(dir), "/")
	for i, p := range parts {
		if strings.Contains(p, "@") {
			start := max(i-1, 0)
			return strings.Join(parts[start:], "/")
		}
	}
	return filepath.ToSlash(dir)
}

func sameFields(a, b map[string]rustField) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// parseRustFile finds the structs with named fields of one file and the facts of their fields.
// It is a line scanner for rustfmt-formatted code, which is what these crates are.
func parseRustFile(path string) (map[string]map[string]rustField, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer func() { _ = f.Close() }()
	out := map[string]map[string]rustField{}
	var (
		attrs       []string // attributes seen since the last item
		attr        strings.Builder
		inAttr      int // open brackets of an attribute spanning lines
		current     map[string]rustField
		name        string
		structDeflt bool
		partial     bool   // #[derive(Partial)]: a Partial<Name> with every field an Option exists too
		pending     string // a field whose type spans lines
	)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if inAttr > 0 {
			attr.WriteString(" " + line)
			inAttr += strings.Count(line, "[") - strings.Count(line, "]")
			if inAttr <= 0 {
				attrs, inAttr = append(attrs, attr.String()), 0
			}
			continue
		}
		switch {
		case line == "" || strings.HasPrefix(line, "//"):
			continue
		case strings.HasPrefix(line, "#["):
			depth := strings.Count(line, "[") - strings.Count(line, "]")
			if depth > 0 {
				attr.Reset()
				attr.WriteString(line)
				inAttr = depth
				continue
			}
			attrs = append(attrs, line)
			continue
		}
		if current == nil {
			if m := structStart.FindStringSubmatch(line); m != nil {
				name, current, structDeflt = m[1], map[string]rustField{}, hasSerdeDefault(attrs)
				partial = derivesPartial(attrs)
			}
			attrs = nil
			continue
		}
		if pending != "" {
			line = pending + " " + line
			pending = ""
		}
		if line == "}" {
			out[name] = current
			if partial {
				// The partial_derive2 macro writes Partial<Name> with each field an Option of
				// its type: the integer facts hold there too.
				p := map[string]rustField{}
				for field, fact := range current {
					if base := intType.FindStringSubmatch(fact.Type); base != nil && !strings.HasPrefix(fact.Type, "Vec<") {
						p[field] = rustField{Type: "Option<" + base[1] + ">", Option: true}
					}
				}
				out["Partial"+name] = p
			}
			current, attrs = nil, nil
			continue
		}
		m := fieldLine.FindStringSubmatch(line)
		if m == nil {
			attrs = nil
			continue
		}
		typ := strings.TrimSuffix(strings.TrimSpace(m[2]), ",")
		if strings.Count(typ, "<") != strings.Count(typ, ">") {
			pending = line // the type continues on the next line
			continue
		}
		wire := m[1]
		for _, a := range attrs {
			if s := serdeAttr.FindStringSubmatch(a); s != nil {
				if r := renameAttr.FindStringSubmatch(s[1]); r != nil {
					wire = r[1]
				}
			}
		}
		typ = strings.ReplaceAll(typ, " ", "")
		fact := rustField{Default: structDeflt || hasSerdeDefault(attrs), Option: strings.HasPrefix(typ, "Option<")}
		if intType.MatchString(typ) {
			fact.Type = typ
		}
		if fact.Default || fact.Type != "" {
			current[wire] = fact
		}
		attrs = nil
	}
	return out, sc.Err()
}

var partialDerive = regexp.MustCompile(`derive\s*\([^)]*\bPartial\b`)

func derivesPartial(attrs []string) bool {
	for _, a := range attrs {
		if partialDerive.MatchString(a) {
			return true
		}
	}
	return false
}

func hasSerdeDefault(attrs []string) bool {
	for _, a := range attrs {
		if s := serdeAttr.FindStringSubmatch(a); s != nil && defaultWord.MatchString(s[1]) {
			return true
		}
	}
	return false
}

// writeRustFacts extracts the facts and writes them, sorted, to path.
func writeRustFacts(dirs []string, path string) error {
	facts, err := extractRustFacts(dirs)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(data, '\n'), 0o644)
}

// authFactsFile holds the facts of mogh_auth_client's Rust structs (moghtech/lib), which
// every Komodo 2 shares; a version's own file holds komodo_client's.
const authFactsFile = "mogh_auth_client.json"

// readRustFacts reads the committed facts of Komodo version, plus mogh_auth_client's when
// withAuth (Komodo 2); the auth package's facts win for a struct both name, as its
// definitions do.
func readRustFacts(dir, version string, withAuth bool) (*rustFacts, error) {
	facts, err := readFactsFile(filepath.Join(dir, version+".json"))
	if err != nil {
		return nil, err
	}
	if withAuth {
		auth, err := readFactsFile(filepath.Join(dir, authFactsFile))
		if err != nil {
			return nil, err
		}
		facts.Sources = append(facts.Sources, auth.Sources...)
		for name, fields := range auth.Structs {
			facts.Structs[name] = fields
		}
	}
	return facts, nil
}

func readFactsFile(path string) (*rustFacts, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w (write it from the Rust sources of that Komodo version: `make regenerate KOMODO_VERSION=X KOMODO_SRC=...`, see tools/specgen/rust.go)", err)
	}
	var facts rustFacts
	if err := json.Unmarshal(data, &facts); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if facts.Structs == nil {
		facts.Structs = map[string]map[string]rustField{}
	}
	return &facts, nil
}

// intBounds are the value ranges of Rust's fixed-width integers.
var intBounds = map[string][2]float64{
	"i8": {-128, 127}, "i16": {-32768, 32767}, "i32": {-2147483648, 2147483647},
	"u8": {0, 255}, "u16": {0, 65535}, "u32": {0, 4294967295},
}

// factStats counts what applyRustFacts changed, for the generator's log.
type factStats struct {
	Relaxed      int // required fields that are no longer required
	NotNullable  int // of those, fields that can no longer be null (not an Option in Rust)
	Integers     int // number fields that became integers
	MissingField int // facts naming a field the schema does not have (reported, not fatal)
}

// applyRustFacts changes the converted schemas:
//
//   - a field with a serde default is removed from `required` (and, unless it is an Option
//     in Rust, made non-nullable: serde fills a missing field in but refuses null) - in the
//     schemas only requests use (see requestOnlySchemas), and in request bodies that
//     responses also carry (required relaxed only, since Komodo sends those whole);
//   - a field whose Rust type is a fixed-width integer becomes an integer with that type's
//     range, wherever the schema is used.
func applyRustFacts(schemas map[string]any, facts *rustFacts, requestOnly, requestBody map[string]bool) factStats {
	var st factStats
	// An alias (pub type CreateVariableResponse = Variable) is the same schema object under
	// another name: a change is only "request-only" when every name of the object is.
	names := map[uintptr][]string{}
	for name, v := range schemas {
		if m, ok := v.(object); ok {
			p := reflect.ValueOf(m).Pointer()
			names[p] = append(names[p], name)
		}
	}
	allOf := func(set map[string]bool, schema object) bool {
		for _, n := range names[reflect.ValueOf(schema).Pointer()] {
			if !set[n] {
				return false
			}
		}
		return true
	}
	for _, name := range sortedKeys(facts.Structs) {
		schema, ok := schemas[name].(object)
		if !ok {
			continue
		}
		onlyRequests := allOf(requestOnly, schema)
		bodyOrRequest := true
		for _, n := range names[reflect.ValueOf(schema).Pointer()] {
			bodyOrRequest = bodyOrRequest && (requestOnly[n] || requestBody[n])
		}
		props, _ := schema["properties"].(object)
		fields := facts.Structs[name]
		for _, field := range sortedKeys(fields) {
			fact := fields[field]
			prop, ok := props[field].(object)
			if !ok {
				st.MissingField++
				continue
			}
			if fact.Type != "" && makeInteger(prop, fact.Type) {
				st.Integers++
			}
			if fact.Default && bodyOrRequest {
				if req, ok := schema["required"].([]any); ok {
					if kept := without(req, field); len(kept) != len(req) {
						st.Relaxed++
						if len(kept) == 0 {
							delete(schema, "required")
						} else {
							schema["required"] = kept
						}
					}
				}
				if !fact.Option && prop["nullable"] == true && onlyRequests {
					delete(prop, "nullable")
					st.NotNullable++
				}
			}
		}
	}
	return st
}

// makeInteger turns a number schema (or an array of numbers) into integers within the
// Rust type's range. It reports whether it changed anything.
func makeInteger(prop object, rustType string) bool {
	base := intType.FindStringSubmatch(rustType)[1]
	target := prop
	if strings.HasPrefix(rustType, "Vec<") {
		items, ok := prop["items"].(object)
		if !ok {
			return false
		}
		target = items
	}
	if target["type"] != "number" {
		return false
	}
	target["type"] = "integer"
	bounds := intBounds[base]
	target["minimum"], target["maximum"] = bounds[0], bounds[1]
	return true
}

func without(list []any, s string) []any {
	out := make([]any, 0, len(list))
	for _, v := range list {
		if v != s {
			out = append(out, v)
		}
	}
	return out
}

// reachable returns the schema names reachable through $ref from the given roots.
func reachable(schemas map[string]any, roots []any) map[string]bool {
	seen := map[string]bool{}
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case object:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if !seen[name] {
					seen[name] = true
					walk(schemas[name])
				}
			}
			for _, k := range sortedKeys(x) {
				walk(x[k])
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, r := range roots {
		walk(r)
	}
	return seen
}

// requestOnlySchemas are the schemas reachable from request bodies and not from responses.
// A struct also in responses (a procedure's stages hold execute requests, a variable is read
// back) keeps its fields required and nullable as they are: Komodo always sends them.
func requestOnlySchemas(schemas map[string]any, paths object) map[string]bool {
	var reqRoots, respRoots []any
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(object)
		for _, m := range sortedKeys(item) {
			op, _ := item[m].(object)
			reqRoots = append(reqRoots, op["requestBody"])
			respRoots = append(respRoots, op["responses"])
		}
	}
	resp := reachable(schemas, respRoots)
	out := map[string]bool{}
	for name := range reachable(schemas, reqRoots) {
		if !resp[name] {
			out[name] = true
		}
	}
	return out
}

// requestBodySchemas are the schemas that are an operation's request body. Responses reach
// some of them too (a procedure's stages hold execute requests, which Komodo sends whole),
// but on the way in a field with a serde default may be left out.
func requestBodySchemas(paths object) map[string]bool {
	out := map[string]bool{}
	for _, p := range sortedKeys(paths) {
		item, _ := paths[p].(object)
		for _, m := range sortedKeys(item) {
			op, _ := item[m].(object)
			body, _ := op["requestBody"].(object)
			content, _ := body["content"].(object)
			js, _ := content["application/json"].(object)
			schema, _ := js["schema"].(object)
			if ref, ok := schema["$ref"].(string); ok {
				out[strings.TrimPrefix(ref, "#/components/schemas/")] = true
			}
		}
	}
	return out
}

// staleDefault is the wording of the list requests' doc comments, which predate Komodo's
// default_pagination_limit of 50 (client/core/rs/src/entities/config/core.rs:407-410 at v2.3.2).
const staleDefault = "`default_pagination_limit` (default: 30)"

// fixStaleDefaults corrects that wording in every description.
func fixStaleDefaults(v any) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if d, ok := e.(string); ok && k == "description" {
				x[k] = strings.ReplaceAll(d, staleDefault, "`default_pagination_limit` (default: 50)")
			} else {
				fixStaleDefaults(e)
			}
		}
	case []any:
		for _, e := range x {
			fixStaleDefaults(e)
		}
	}
}
