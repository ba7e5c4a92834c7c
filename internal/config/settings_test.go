package config

import (
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// envConstants are the KOMODO_* variables the package reads, found in its source, so that a
// setting added later cannot be missed by the help texts.
func envConstants(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			v, err := strconv.Unquote(lit.Value)
			if err == nil && strings.HasPrefix(v, "KOMODO_") && strings.ToUpper(v) == v && !strings.ContainsAny(v, " =") {
				out = append(out, v)
			}
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("found only %v in the source: the scan is broken", out)
	}
	return out
}

func TestSettings_DescribeEveryVariable(t *testing.T) {
	described := map[string]bool{}
	for _, s := range Settings() {
		described[s.Env] = true
		if s.File != "" {
			described[s.File] = true
		}
		if s.Usage == "" {
			t.Errorf("%s has no description", s.Env)
		}
		if s.Group == 0 || s.Group&^AllGroups != 0 {
			t.Errorf("%s has no group", s.Env)
		}
	}
	for _, env := range envConstants(t) {
		if !described[env] && !described[strings.TrimSuffix(env, "_FILE")] {
			t.Errorf("%s is read but not in Settings(): add it to flagDefs or envOnlyDefs so that --help lists it", env)
		}
	}
}

func TestSettings_Placeholders(t *testing.T) {
	for _, s := range Settings() {
		switch {
		case s.Flag == "":
			if s.Placeholder != "" {
				t.Errorf("%s has no flag but a placeholder", s.Env)
			}
		case strings.Contains(s.Usage, "`"):
			t.Errorf("--%s: usage %q still has a backquote", s.Flag, s.Usage)
		}
	}
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	NewFlags(fs)
	fs.VisitAll(func(f *flag.Flag) {
		name, _ := flag.UnquoteUsage(f)
		isBool := false
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok {
			isBool = b.IsBoolFlag()
		}
		if !isBool && (name == "" || name == "value") {
			t.Errorf("--%s has no named placeholder: put one word of its usage in backquotes", f.Name)
		}
		if isBool && name != "" {
			t.Errorf("--%s is a boolean but has placeholder %q", f.Name, name)
		}
	})
	for _, s := range Settings() {
		if s.Env == envAPISecret && (s.Flag != "" || s.File != "KOMODO_API_SECRET_FILE") {
			t.Errorf("KOMODO_API_SECRET: %+v, want environment only with a _FILE form", s)
		}
	}
}

func TestNewFlags_Groups(t *testing.T) {
	fs := flag.NewFlagSet("tools", flag.ContinueOnError)
	NewFlags(fs, Selection)
	for _, want := range []string{"toolsets", "tools", "exclude-tools", "read-only", "log-level", "env-file"} {
		if fs.Lookup(want) == nil {
			t.Errorf("--%s missing from the Selection flags", want)
		}
	}
	for _, not := range []string{"http", "url", "wait-cap", "demo"} {
		if fs.Lookup(not) != nil {
			t.Errorf("--%s registered though not in the Selection group", not)
		}
	}
	all := flag.NewFlagSet("serve", flag.ContinueOnError)
	NewFlags(all)
	n := 0
	all.VisitAll(func(*flag.Flag) { n++ })
	if n != len(flagDefs) {
		t.Errorf("NewFlags without groups registered %d flags, want all %d", n, len(flagDefs))
	}
}

// A setting whose flag a command does not offer is still read from the environment.
func TestNewFlags_UnregisteredStillFromEnv(t *testing.T) {
	inTempDir(t)
	fs := flag.NewFlagSet("tools", flag.ContinueOnError)
	f := NewFlags(fs, Selection)
	f.Offline = true
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	c, err := f.Load(env(map[string]string{"KOMODO_TIMEOUT": "7s"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.Timeout.Seconds() != 7 {
		t.Errorf("timeout = %v, want 7s from the environment", c.Timeout)
	}
}
