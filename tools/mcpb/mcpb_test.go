package main

import (
	"bytes"
	"crypto/sha256"
	"debug/macho"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/komodo-mcp/komodo-mcp/internal/config"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
)

// thinMachO writes a minimal 64-bit Mach-O executable header for cpu (no load commands).
func thinMachO(t *testing.T, dir string, cpu macho.Cpu, sub uint32, size int) string {
	t.Helper()
	b := make([]byte, size)
	binary.LittleEndian.PutUint32(b[0:], macho.Magic64)
	binary.LittleEndian.PutUint32(b[4:], uint32(cpu))
	binary.LittleEndian.PutUint32(b[8:], sub)
	binary.LittleEndian.PutUint32(b[12:], uint32(macho.TypeExec))
	for i := 32; i < size; i++ { // a recognisable body
		b[i] = byte(i)
	}
	path := filepath.Join(dir, cpu.String())
	if err := os.WriteFile(path, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestWriteUniversal(t *testing.T) {
	dir := t.TempDir()
	amd := thinMachO(t, dir, macho.CpuAmd64, 3, 40000)
	arm := thinMachO(t, dir, macho.CpuArm64, 0, 20001)
	out := filepath.Join(dir, "universal")
	if err := writeUniversal(out, amd, arm); err != nil {
		t.Fatal(err)
	}
	ff, err := macho.OpenFat(out)
	if err != nil {
		t.Fatalf("the standard library does not read it as a universal binary: %v", err)
	}
	defer ff.Close()
	if len(ff.Arches) != 2 {
		t.Fatalf("%d slices, want 2", len(ff.Arches))
	}
	raw, _ := os.ReadFile(out)
	for i, want := range []struct {
		cpu  macho.Cpu
		sub  uint32
		path string
	}{{macho.CpuAmd64, 3, amd}, {macho.CpuArm64, 0, arm}} {
		a := ff.Arches[i]
		if a.Cpu != want.cpu || a.SubCpu != want.sub || a.Align != fatAlign {
			t.Errorf("slice %d: cpu %v sub %d align %d", i, a.Cpu, a.SubCpu, a.Align)
		}
		if a.Offset%(1<<fatAlign) != 0 {
			t.Errorf("slice %d at offset %d, not aligned to %d", i, a.Offset, 1<<fatAlign)
		}
		thin, _ := os.ReadFile(want.path)
		if !bytes.Equal(raw[a.Offset:a.Offset+a.Size], thin) {
			t.Errorf("slice %d differs from %s", i, want.path)
		}
	}
	if err := writeUniversal(filepath.Join(dir, "bad"), amd, out+"-missing"); err == nil {
		t.Error("a missing slice is not an error")
	}
	notMachO := filepath.Join(dir, "text")
	_ = os.WriteFile(notMachO, []byte("#!/bin/sh\n"), 0o755)
	if err := writeUniversal(filepath.Join(dir, "bad"), amd, notMachO); err == nil {
		t.Error("a slice that is not Mach-O is not an error")
	}
}

func allManifest(t *testing.T) (*manifest, []byte) {
	t.Helper()
	m, err := newManifest("1.2.3", []string{"darwin", "win32", "linux"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return m, data
}

// The manifest validates against the MCPB 0.3 schema shipped by @anthropic-ai/mcpb 2.1.2
// (testdata/, copied from node_modules/@anthropic-ai/mcpb/schemas/). `make mcpb` also
// runs the official CLI's own validation.
func TestManifest_ValidAgainstMCPBSchema(t *testing.T) {
	c := jsonschema.NewCompiler()
	sch, err := c.Compile("testdata/mcpb-manifest-v0.3.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	_, data := allManifest(t)
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("manifest.json is not a valid MCPB 0.3 manifest: %v", err)
	}
	// And the check can fail: a manifest without a server is refused.
	var broken map[string]any
	_ = json.Unmarshal(data, &broken)
	delete(broken, "server")
	if sch.Validate(broken) == nil {
		t.Error("the schema accepts a manifest without server: the check is not working")
	}
}

func TestManifest_Content(t *testing.T) {
	m, _ := allManifest(t)
	// Every variable the server reads from user configuration is a real setting, and every
	// ${user_config.x} it references is declared.
	known := map[string]bool{}
	for _, s := range config.Settings() {
		known[s.Env] = true
	}
	ref := regexp.MustCompile(`^\$\{user_config\.([a-z_]+)\}$`)
	used := map[string]bool{}
	for env, val := range m.Server.MCPConfig.Env {
		if !known[env] {
			t.Errorf("env %s is not a komodo-mcp setting", env)
		}
		sub := ref.FindStringSubmatch(val)
		if sub == nil {
			t.Errorf("env %s=%q is not a user_config reference", env, val)
			continue
		}
		if _, ok := m.UserConfig[sub[1]]; !ok {
			t.Errorf("env %s references undeclared user_config.%s", env, sub[1])
		}
		used[sub[1]] = true
	}
	for k := range m.UserConfig {
		if !used[k] {
			t.Errorf("user_config.%s is asked for but never passed to the server", k)
		}
	}
	if o := m.UserConfig["api_secret"]; !o.Sensitive || !o.Required {
		t.Errorf("api_secret: %+v, want required and sensitive", o)
	}
	for _, k := range []string{"komodo_url", "api_key"} {
		if !m.UserConfig[k].Required {
			t.Errorf("%s is not required", k)
		}
	}
	if m.UserConfig["read_only"].Type != "boolean" || m.UserConfig["toolsets"].Default != "default" {
		t.Errorf("options: %+v", m.UserConfig)
	}

	// Each platform runs the binary the build writes for it.
	wantCmd := map[string]string{
		"darwin": "${__dirname}/server/komodo-mcp-darwin",
		"win32":  "${__dirname}/server/" + binaryName("windows", "amd64"),
		"linux":  "${__dirname}/server/" + binaryName("linux", "amd64"),
	}
	if m.Server.MCPConfig.Command != wantCmd["darwin"] || m.Server.EntryPoint != "server/komodo-mcp-darwin" {
		t.Errorf("base command %q entry %q", m.Server.MCPConfig.Command, m.Server.EntryPoint)
	}
	for p, o := range m.Server.MCPConfig.PlatformOverrides {
		if o.Command != wantCmd[p] {
			t.Errorf("%s runs %q, want %q", p, o.Command, wantCmd[p])
		}
	}
	if len(m.Server.MCPConfig.PlatformOverrides) != 2 {
		t.Errorf("overrides %v", m.Server.MCPConfig.PlatformOverrides)
	}

	// The tools listed are the default surface, each described.
	def, err := server.List(server.Selection{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Tools) != len(def) {
		t.Fatalf("%d tools listed, default surface has %d", len(m.Tools), len(def))
	}
	for i, tl := range m.Tools {
		if tl.Name != def[i].Name || tl.Description == "" || strings.Contains(tl.Description, "\n") {
			t.Errorf("tool %d: %+v", i, tl)
		}
	}
}

func TestSemver(t *testing.T) {
	cases := map[string]string{
		"v1.2.3":                  "1.2.3",
		"1.2.3":                   "1.2.3",
		"v1.2.3-rc.1":             "1.2.3-rc.1",
		"v1.2.3-4-gabcdef0-dirty": "1.2.3-4-gabcdef0-dirty",
		"abcdef0":                 "0.0.0-dev.abcdef0",
		"dev":                     "0.0.0-dev.dev",
		"abcdef0-dirty":           "0.0.0-dev.abcdef0.dirty",
	}
	for in, want := range cases {
		if got := semver(in); got != want {
			t.Errorf("semver(%q) = %q, want %q", in, got, want)
		}
	}
}

// Mistakes in the platform list are refused before anything is built.
func TestRun_RefusesBadPlatforms(t *testing.T) {
	if err := run(t.TempDir(), "v1.0.0", []string{"plan9/amd64"}); err == nil || !strings.Contains(err.Error(), "plan9/amd64") {
		t.Errorf("unknown platform: %v", err)
	}
	if err := run(t.TempDir(), "v1.0.0", []string{"darwin/arm64", "linux/amd64"}); err == nil || !strings.Contains(err.Error(), "universal") {
		t.Errorf("one macOS slice: %v", err)
	}
}

// server.json validates against the MCP Registry's published schema (vendored in testdata/),
// names that schema, and describes the bundle it was made from.
func TestServerJSON_ValidAgainstRegistrySchema(t *testing.T) {
	bundle := filepath.Join(t.TempDir(), "komodo-mcp.mcpb")
	if err := os.WriteFile(bundle, []byte("not really a zip"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := newServerJSON("1.2.3", bundle)
	if err != nil {
		t.Fatal(err)
	}
	data, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	sch, err := c.Compile("testdata/registry-server.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("server.json does not validate against the registry schema: %v", err)
	}
	var vendored struct {
		ID string `json:"$id"`
	}
	raw, _ := os.ReadFile("testdata/registry-server.schema.json")
	_ = json.Unmarshal(raw, &vendored)
	if s.Schema != vendored.ID {
		t.Errorf("server.json names schema %q, the vendored one is %q", s.Schema, vendored.ID)
	}
	p := s.Packages[0]
	if p.FileSHA256 != sha256Hex(t, bundle) || p.Version != "1.2.3" || !strings.HasSuffix(p.Identifier, "/v1.2.3/komodo-mcp.mcpb") {
		t.Errorf("package %+v", p)
	}
	known := map[string]bool{}
	for _, st := range config.Settings() {
		known[st.Env] = true
	}
	for _, in := range p.Env {
		if !known[in.Name] {
			t.Errorf("%s is not a komodo-mcp setting", in.Name)
		}
		if in.IsSecret != (in.Name == "KOMODO_API_SECRET") {
			t.Errorf("%s: isSecret %v", in.Name, in.IsSecret)
		}
	}

	// The check can fail: a description over the registry's 100 characters is refused.
	var broken map[string]any
	_ = json.Unmarshal(data, &broken)
	broken["description"] = strings.Repeat("x", 101)
	if sch.Validate(broken) == nil {
		t.Error("the registry schema accepts a 101-character description: the check is not working")
	}
}

func sha256Hex(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// TestLicense: the repository's LICENSE is the license that the bundle's manifest, the MCP
// Registry entry, the release archives and the README state.
func TestLicense(t *testing.T) {
	text, err := os.ReadFile("../../LICENSE")
	if err != nil {
		t.Fatal(err)
	}
	if License != "GPL-3.0-or-later" || !bytes.Contains(text, []byte("GNU GENERAL PUBLIC LICENSE\n                       Version 3, 29 June 2007")) {
		t.Errorf("LICENSE is not the text of %s", License)
	}
	m, _ := allManifest(t)
	if m.License != License {
		t.Errorf("manifest.json license %q", m.License)
	}
	bundle := filepath.Join(t.TempDir(), "komodo-mcp.mcpb")
	_ = os.WriteFile(bundle, []byte("zip"), 0o644)
	s, err := newServerJSON("1.2.3", bundle)
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Meta["io.modelcontextprotocol.registry/publisher-provided"]["license"]; got != License {
		t.Errorf("server.json license %q", got)
	}
	out := t.TempDir()
	licensePath = "../../LICENSE"
	if err := copyLicense(out); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "LICENSE")); !bytes.Equal(got, text) {
		t.Error("the bundle's LICENSE differs from the repository's")
	}
	goreleaser, _ := os.ReadFile("../../.goreleaser.yaml")
	if !regexp.MustCompile(`(?m)^      - LICENSE$`).Match(goreleaser) {
		t.Error(".goreleaser.yaml: the archives do not carry LICENSE")
	}
	readme, _ := os.ReadFile("../../README.md")
	if !bytes.Contains(readme, []byte("## License")) || !bytes.Contains(readme, []byte(License)) {
		t.Errorf("README.md has no License section naming %s", License)
	}
}

// TestOptions_TitlesAreTheServers: a configuration error names a setting by the title the
// extension shows (config.DesktopTitle), so the two must agree.
func TestOptions_TitlesAreTheServers(t *testing.T) {
	for _, o := range options {
		if got := config.DesktopTitle(o.env); got != o.title {
			t.Errorf("%s: the extension shows %q, config.DesktopTitle says %q", o.env, o.title, got)
		}
	}
}
