package main

import (
	"os"
	"regexp"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The release build stamps the variables `komodo-mcp version` prints, for every platform the
// README promises. (`make release-check` runs GoReleaser's own validation of the file.)
func TestGoReleaserConfig(t *testing.T) {
	raw, err := os.ReadFile("../../.goreleaser.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var cfg struct {
		Builds []struct {
			Main    string   `yaml:"main"`
			Env     []string `yaml:"env"`
			Ldflags []string `yaml:"ldflags"`
			Goos    []string `yaml:"goos"`
			Goarch  []string `yaml:"goarch"`
		} `yaml:"builds"`
		Checksum struct {
			Name string `yaml:"name_template"`
		} `yaml:"checksum"`
	}
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.Builds) != 1 || cfg.Builds[0].Main != "./cmd/komodo-mcp" {
		t.Fatalf("builds: %+v", cfg.Builds)
	}
	b := cfg.Builds[0]
	stamped := map[string]bool{}
	for _, l := range b.Ldflags {
		for _, m := range regexp.MustCompile(`-X main\.(\w+)=`).FindAllStringSubmatch(l, -1) {
			stamped[m[1]] = true
		}
	}
	for _, v := range []string{"version", "commit", "date"} {
		if !stamped[v] {
			t.Errorf("release builds do not set main.%s", v)
		}
	}
	// Compile-time check that the stamped variables exist; TestVersion shows they are printed.
	_, _, _ = version, commit, date
	for _, goos := range []string{"linux", "darwin", "windows"} {
		if !slices.Contains(b.Goos, goos) {
			t.Errorf("no release for %s", goos)
		}
	}
	for _, arch := range []string{"amd64", "arm64"} {
		if !slices.Contains(b.Goarch, arch) {
			t.Errorf("no release for %s", arch)
		}
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") {
		t.Error("release binaries must be static (CGO_ENABLED=0)")
	}
	if cfg.Checksum.Name == "" {
		t.Error("no checksums file")
	}
}
