package main

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// serdeFacts are how Komodo serializes its types, beyond what the OpenAPI document says:
// the value a field takes when Komodo creates a resource or serde fills a missing field in
// (#[serde(default = "fn")], #[partial_default(expr)], impl Default), the fields Komodo
// leaves out of its JSON (skip_serializing_if) and the default variant of an enum
// (#[default]). The simulator builds its world from them, and its fidelity test requires
// every other field in every answer. They are read from komodo_client's Rust sources and
// committed (api/komodo.serde.json):
//
//	go run ./tools/specgen -serde-src KOMODO/client/core/rs/src
type serdeFacts struct {
	// Sources names what the facts were read from.
	Sources []string `json:"sources"`
	// Structs maps a struct name to its fields (wire names) that carry a fact.
	Structs map[string]map[string]serdeField `json:"structs"`
	// Enums maps an enum name to the wire name of its #[default] variant.
	Enums map[string]string `json:"enums"`
}

// serdeField is one field's serialization facts.
type serdeField struct {
	// Default is the field's default value, when Komodo's sources give one other than the
	// type's zero value (a literal, or a function returning one).
	Default any `json:"default,omitempty"`
	// SkipIf is the skip_serializing_if predicate: when it holds, the field is absent;
	// "always" for #[serde(skip_serializing)] and #[serde(skip)].
	SkipIf string `json:"skip_serializing_if,omitempty"`
}

var (
	fnDef          = regexp.MustCompile(`(?ms)^(?:pub(?:\([^)]*\))? )?fn (\w+)\(\)\s*->\s*[^{\n]+\{\n(.*?)\n\}`)
	defaultImpl    = regexp.MustCompile(`(?ms)^impl Default for (\w+) \{\n(.*?)\n\}`)
	implField      = regexp.MustCompile(`^(?:r#)?(\w+):\s*(.+?),?$`)
	serdeDefaultFn = regexp.MustCompile(`(?:^|[,(\s])default\s*=\s*"([\w:]+)"`)
	skipIf         = regexp.MustCompile(`skip_serializing_if\s*=\s*"([^"]+)"`)
	skipAlways     = regexp.MustCompile(`(?:^|[,(\s])skip(?:_serializing)?\s*(?:[,)]|$)`)
	partialDefault = regexp.MustCompile(`^#\[partial_default\((.+)\)\]$`)
	enumStart      = regexp.MustCompile(`^pub enum (\w+)\s*\{\s*$`)
	renameAll      = regexp.MustCompile(`rename_all\s*=\s*"([^"]+)"`)
	variantLine    = regexp.MustCompile(`^(\w+)\s*(?:[,({]|$)`)
	stringFrom     = regexp.MustCompile(`^String::from\(\s*"((?:[^"\\]|\\.)*)",?\s*\)$`)
	toString       = regexp.MustCompile(`^"((?:[^"\\]|\\.)*)"\.(?:to_string|to_owned|into)\(\)$`)
	renameTo       = regexp.MustCompile(`(?:^|[,(\s])rename\s*=\s*"([^"]*)"`)
	callExpr       = regexp.MustCompile(`^(?:super::|Self::|self::)?(\w+)\(\)$`)
)

// extractSerdeFacts reads every .rs file under dirs.
func extractSerdeFacts(dirs []string) (*serdeFacts, error) {
	facts := &serdeFacts{Structs: map[string]map[string]serdeField{}, Enums: map[string]string{}}
	conflicts := map[string]bool{}
	for _, dir := range dirs {
		facts.Sources = append(facts.Sources, sourceName(dir))
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".rs") {
				return err
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			structs, enums := parseSerdeFile(string(data), parentFns(path))
			for name, fields := range structs {
				if old, dup := facts.Structs[name]; dup && !sameJSON(old, fields) {
					conflicts[name] = true
				}
				facts.Structs[name] = fields
			}
			for name, v := range enums {
				if old, dup := facts.Enums[name]; dup && old != v {
					conflicts["enum "+name] = true
				}
				facts.Enums[name] = v
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	for name := range conflicts {
		delete(facts.Structs, name)
		delete(facts.Enums, strings.TrimPrefix(name, "enum "))
	}
	for name, fields := range facts.Structs {
		if len(fields) == 0 {
			delete(facts.Structs, name)
		}
	}
	return facts, nil
}

// parentFns are the functions of the parent module (mod.rs next to the file's directory, or
// the directory's own mod.rs), which a `super::name` default refers to.
func parentFns(path string) map[string]string {
	out := map[string]string{}
	for _, p := range []string{filepath.Join(filepath.Dir(path), "mod.rs"), filepath.Join(filepath.Dir(filepath.Dir(path)), "mod.rs")} {
		if data, err := os.ReadFile(p); err == nil && p != path {
			for k, v := range fileFns(string(data)) {
				if _, ok := out[k]; !ok {
					out[k] = v
				}
			}
		}
	}
	return out
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

// fileFns maps the argument-less functions of a file to their body's last expression.
func fileFns(src string) map[string]string {
	fns := map[string]string{}
	for _, m := range fnDef.FindAllStringSubmatch(src, -1) {
		var lines []string
		for _, l := range strings.Split(m[2], "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "//") {
				lines = append(lines, l)
			}
		}
		fns[m[1]] = strings.Join(lines, " ")
	}
	return fns
}

// evalRust evaluates the literal expressions Komodo's defaults are written in; ok is false
// for anything else (a static, a computed value), which is then not recorded.
func evalRust(expr string, fns, parent map[string]string, depth int) (any, bool) {
	expr = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(expr), ","))
	expr = strings.ReplaceAll(strings.ReplaceAll(expr, "( ", "("), " )", ")")
	switch expr {
	case "true":
		return true, true
	case "false":
		return false, true
	case "String::new()", `String::from("")`:
		return "", true
	case "vec![]", "Vec::new()":
		return []any{}, true
	}
	if f, err := strconv.ParseFloat(strings.ReplaceAll(expr, "_", ""), 64); err == nil {
		return f, true
	}
	for _, suffix := range []string{"i32", "i64", "u16", "u32", "u64", "f32", "f64", "usize"} {
		if f, err := strconv.ParseFloat(strings.TrimSuffix(expr, suffix), 64); err == nil && strings.HasSuffix(expr, suffix) {
			return f, true
		}
	}
	if m := stringFrom.FindStringSubmatch(expr); m != nil {
		s, err := strconv.Unquote(`"` + m[1] + `"`)
		return s, err == nil
	}
	if m := toString.FindStringSubmatch(expr); m != nil {
		s, err := strconv.Unquote(`"` + m[1] + `"`)
		return s, err == nil
	}
	if m := callExpr.FindStringSubmatch(expr); m != nil && depth < 4 {
		body, ok := fns[m[1]]
		if strings.HasPrefix(expr, "super::") || !ok {
			body, ok = parent[m[1]]
		}
		if ok {
			return evalRust(body, fns, parent, depth+1)
		}
	}
	return nil, false
}

// parseSerdeFile finds the serialization facts of the structs and enums of one file.
func parseSerdeFile(src string, parent map[string]string) (map[string]map[string]serdeField, map[string]string) {
	fns := fileFns(src)
	structs := map[string]map[string]serdeField{}
	enums := map[string]string{}
	wireNames := map[string]map[string]string{} // struct -> rust field -> wire name

	var (
		attrs   []string
		attr    strings.Builder
		inAttr  int
		kind    string // "struct", "enum" or ""
		name    string
		fields  map[string]serdeField
		wire    map[string]string
		rename  string // the enum's rename_all
		isDeflt bool   // the next variant is #[default]
		variant string // the enum's default variant (wire name)
		found   bool   // variant is set
		pending string
	)
	for _, raw := range strings.Split(src, "\n") {
		line := strings.TrimSpace(raw)
		if inAttr > 0 {
			attr.WriteString(" " + line)
			inAttr += strings.Count(line, "[") - strings.Count(line, "]") + strings.Count(line, "(") - strings.Count(line, ")")
			if inAttr <= 0 {
				attrs, inAttr = append(attrs, attr.String()), 0
			}
			continue
		}
		if line == "" || strings.HasPrefix(line, "//") {
			continue
		}
		if strings.HasPrefix(line, "#[") {
			depth := strings.Count(line, "[") - strings.Count(line, "]") + strings.Count(line, "(") - strings.Count(line, ")")
			if depth > 0 {
				attr.Reset()
				attr.WriteString(line)
				inAttr = depth
				continue
			}
			attrs = append(attrs, line)
			continue
		}
		switch kind {
		case "":
			if m := structStart.FindStringSubmatch(line); m != nil {
				kind, name, fields, wire = "struct", m[1], map[string]serdeField{}, map[string]string{}
			} else if m := enumStart.FindStringSubmatch(line); m != nil {
				kind, name, rename, variant, isDeflt, found = "enum", m[1], "", "", false, false
				for _, a := range attrs {
					if s := serdeAttr.FindStringSubmatch(a); s != nil {
						if r := renameAll.FindStringSubmatch(s[1]); r != nil {
							rename = r[1]
						}
					}
				}
			}
			attrs = nil
			continue
		case "enum":
			if line == "}" {
				if found {
					enums[name] = variant
				}
				kind, attrs = "", nil
				continue
			}
			for _, a := range attrs {
				if a == "#[default]" {
					isDeflt = true
				}
			}
			if m := variantLine.FindStringSubmatch(line); m != nil && isDeflt && !found {
				variant, found = renameVariant(m[1], rename), true
				for _, a := range attrs {
					if s := serdeAttr.FindStringSubmatch(a); s != nil {
						if r := renameTo.FindStringSubmatch(s[1]); r != nil {
							variant = r[1]
						}
					}
				}
				isDeflt = false
			}
			attrs = nil
			continue
		}
		// In a struct.
		if pending != "" {
			line, pending = pending+" "+line, ""
		}
		if line == "}" {
			structs[name], wireNames[name] = fields, wire
			kind, attrs = "", nil
			continue
		}
		m := fieldLine.FindStringSubmatch(line)
		if m == nil {
			attrs = nil
			continue
		}
		typ := strings.TrimSuffix(strings.TrimSpace(m[2]), ",")
		if strings.Count(typ, "<") != strings.Count(typ, ">") {
			pending = line
			continue
		}
		field := serdeField{}
		wireName := m[1]
		var deflt string
		for _, a := range attrs {
			if s := serdeAttr.FindStringSubmatch(a); s != nil && strings.HasPrefix(a, "#[serde") {
				if r := renameTo.FindStringSubmatch(s[1]); r != nil {
					wireName = r[1]
				}
				if d := serdeDefaultFn.FindStringSubmatch(s[1]); d != nil {
					deflt = d[1] + "()"
				}
				if k := skipIf.FindStringSubmatch(s[1]); k != nil {
					field.SkipIf = k[1]
				} else if skipAlways.MatchString(s[1]) {
					field.SkipIf = "always" // #[serde(skip)] / #[serde(skip_serializing)]: never sent
				}
			}
			if p := partialDefault.FindStringSubmatch(a); p != nil {
				deflt = p[1]
			}
		}
		wire[m[1]] = wireName
		if deflt != "" {
			if v, ok := evalRust(deflt, fns, parent, 0); ok {
				field.Default = v
			}
		}
		if field.Default != nil || field.SkipIf != "" {
			fields[wireName] = field
		}
		attrs = nil
	}
	// impl Default for X { fn default() -> Self { Self { field: expr, ... } } }
	for _, m := range defaultImpl.FindAllStringSubmatch(src, -1) {
		fields, ok := structs[m[1]]
		if !ok {
			continue
		}
		var lines []string
		for _, l := range strings.Split(m[2], "\n") {
			if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "//") {
				lines = append(lines, l)
			}
		}
		// Join expressions that span lines: a line ending in "(" continues.
		var joined []string
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			for strings.Count(l, "(") > strings.Count(l, ")") && i+1 < len(lines) {
				i++
				l += " " + lines[i]
			}
			joined = append(joined, l)
		}
		for _, l := range joined {
			f := implField.FindStringSubmatch(l)
			if f == nil {
				continue
			}
			wireName, known := wireNames[m[1]][f[1]]
			if !known {
				continue
			}
			v, ok := evalRust(f[2], fns, parent, 0)
			if !ok || isZero(v) {
				continue
			}
			fact := fields[wireName]
			fact.Default = v
			fields[wireName] = fact
		}
	}
	return structs, enums
}

func isZero(v any) bool {
	switch x := v.(type) {
	case bool:
		return !x
	case string:
		return x == ""
	case float64:
		return x == 0
	case []any:
		return len(x) == 0
	}
	return v == nil
}

// renameVariant applies serde's rename_all to a variant name.
func renameVariant(v, rule string) string {
	switch rule {
	case "lowercase":
		return strings.ToLower(v)
	case "UPPERCASE":
		return strings.ToUpper(v)
	case "snake_case", "kebab-case", "SCREAMING_SNAKE_CASE":
		var b strings.Builder
		sep := "_"
		if rule == "kebab-case" {
			sep = "-"
		}
		for i, r := range v {
			if r >= 'A' && r <= 'Z' {
				if i > 0 {
					b.WriteString(sep)
				}
				r += 'a' - 'A'
			}
			b.WriteRune(r)
		}
		if rule == "SCREAMING_SNAKE_CASE" {
			return strings.ToUpper(b.String())
		}
		return b.String()
	}
	return v
}

// writeSerdeFacts extracts the facts, writes them to path and returns their summary.
func writeSerdeFacts(dirs []string, path string) (string, error) {
	facts, err := extractSerdeFacts(dirs)
	if err != nil {
		return "", err
	}
	data, err := json.MarshalIndent(facts, "", "  ")
	if err != nil {
		return "", err
	}
	return serdeSummary(facts), os.WriteFile(path, append(data, '\n'), 0o644)
}

// serdeSummary counts the facts, for the generator's log.
func serdeSummary(f *serdeFacts) string {
	defaults, skips := 0, 0
	for _, fields := range f.Structs {
		for _, x := range fields {
			if x.Default != nil {
				defaults++
			}
			if x.SkipIf != "" {
				skips++
			}
		}
	}
	return fmt.Sprintf("%d structs, %d defaults, %d skip_serializing_if, %d enum defaults", len(f.Structs), defaults, skips, len(f.Enums))
}
