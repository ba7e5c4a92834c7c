// Command mcpb lays out the MCP Bundle (.mcpb) of komodo-mcp: the server binaries for the
// platforms Claude Desktop runs on and a manifest.json per the MCPB specification (manifest
// version 0.3, github.com/modelcontextprotocol/mcpb MANIFEST.md). The official mcpb CLI,
// pinned in tools/mcpb/node, then validates the manifest and packs the directory
// (`make mcpb` does all three).
//
//	go run ./tools/mcpb -out dist/mcpb/komodo-mcp -version v1.2.3
//	go run ./tools/mcpb -out dist/mcpb/komodo-mcp -platforms linux/amd64   # CI: one platform
//	go run ./tools/mcpb -server-json dist/server.json -bundle dist/komodo-mcp.mcpb
//
// The last form writes the MCP Registry entry (server.json) of a packed bundle: the
// bundle as an mcpb package with its SHA-256, and the settings a client asks for.
//
// macOS gets one universal binary (amd64 and arm64 slices), because a manifest can
// override the command per operating system but not per architecture.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// platforms Claude Desktop runs on, as GOOS/GOARCH.
var allPlatforms = []string{"darwin/amd64", "darwin/arm64", "windows/amd64", "linux/amd64"}

func main() {
	var (
		out       = flag.String("out", "dist/mcpb/komodo-mcp", "the bundle directory to write (emptied first)")
		version   = flag.String("version", "", "the version to stamp, e.g. v1.2.3 (default: from git describe)")
		platforms = flag.String("platforms", strings.Join(allPlatforms, ","), "comma-separated GOOS/GOARCH to build")
		registry  = flag.String("server-json", "", "instead of laying out the bundle, write the MCP Registry's server.json for the packed bundle named by -bundle")
		bundle    = flag.String("bundle", "dist/komodo-mcp.mcpb", "the packed bundle server.json describes (its SHA-256)")
	)
	flag.StringVar(&licensePath, "license", licensePath, "the LICENSE file the bundle carries")
	flag.Parse()
	var err error
	if *registry != "" {
		err = writeServerJSON(*registry, *version, *bundle)
	} else {
		err = run(*out, *version, strings.Split(*platforms, ","))
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mcpb:", err)
		os.Exit(1)
	}
}

func run(out, version string, platforms []string) error {
	for _, p := range platforms {
		if !slices.Contains(allPlatforms, p) {
			return fmt.Errorf("platform %q is not one of %s", p, strings.Join(allPlatforms, ", "))
		}
	}
	if slices.Contains(platforms, "darwin/amd64") != slices.Contains(platforms, "darwin/arm64") {
		return fmt.Errorf("macOS needs both darwin/amd64 and darwin/arm64 (one universal binary)")
	}
	if version == "" {
		version = gitVersion()
	}
	if err := os.RemoveAll(out); err != nil {
		return err
	}
	serverDir := filepath.Join(out, "server")
	if err := os.MkdirAll(serverDir, 0o755); err != nil {
		return err
	}
	built := map[string]string{} // GOOS/GOARCH -> path
	for _, p := range platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		path := filepath.Join(serverDir, binaryName(goos, goarch))
		if err := goBuild(path, goos, goarch, version); err != nil {
			return err
		}
		built[p] = path
	}
	// One universal macOS binary from the two slices.
	var binaries []string
	amd, arm := built["darwin/amd64"], built["darwin/arm64"]
	if amd != "" && arm != "" {
		universal := filepath.Join(serverDir, "komodo-mcp-darwin")
		if err := writeUniversal(universal, amd, arm); err != nil {
			return err
		}
		if err := os.Remove(amd); err != nil {
			return err
		}
		if err := os.Remove(arm); err != nil {
			return err
		}
		binaries = append(binaries, "darwin")
	}
	if built["windows/amd64"] != "" {
		binaries = append(binaries, "win32")
	}
	if built["linux/amd64"] != "" {
		binaries = append(binaries, "linux")
	}
	m, err := newManifest(semver(version), binaries)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "manifest.json"), append(data, '\n'), 0o644); err != nil {
		return err
	}
	return copyLicense(out)
}

// licensePath is the repository's LICENSE (-license), relative to the working directory.
var licensePath = "LICENSE"

// copyLicense puts the repository's LICENSE into the bundle, beside manifest.json.
func copyLicense(out string) error {
	data, err := os.ReadFile(licensePath)
	if err != nil {
		return fmt.Errorf("the bundle carries the license: %w", err)
	}
	return os.WriteFile(filepath.Join(out, "LICENSE"), data, 0o644)
}

// writeServerJSON writes the registry entry of the bundle at bundlePath.
func writeServerJSON(out, version, bundlePath string) error {
	if version == "" {
		version = gitVersion()
	}
	s, err := newServerJSON(semver(version), bundlePath)
	if err != nil {
		return err
	}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(out, append(data, '\n'), 0o644)
}

// binaryName is a server binary's file name in the bundle's server/ directory.
func binaryName(goos, goarch string) string {
	name := "komodo-mcp-" + goos + "-" + goarch
	if goos == "windows" {
		name = "komodo-mcp.exe" // one Windows binary: the name users see in their task manager
	}
	return name
}

// goBuild cross-compiles the server: static (no cgo), stripped, reproducible paths, and the
// version stamped where `komodo-mcp version` reads it.
func goBuild(path, goos, goarch, version string) error {
	ldflags := "-s -w -X main.version=" + version
	if rev := gitOutput("rev-parse", "HEAD"); rev != "" {
		ldflags += " -X main.commit=" + rev
	}
	if t := gitOutput("log", "-1", "--format=%cI"); t != "" {
		ldflags += " -X main.date=" + t
	}
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags", ldflags, "-o", path, "./cmd/komodo-mcp")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	fmt.Fprintf(os.Stderr, "mcpb: building %s/%s\n", goos, goarch)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", goos, goarch, err)
	}
	return nil
}

// gitVersion is `git describe --tags --always --dirty`, or "dev" outside a checkout.
func gitVersion() string {
	if v := gitOutput("describe", "--tags", "--always", "--dirty"); v != "" {
		return v
	}
	return "dev"
}

func gitOutput(args ...string) string {
	out, err := exec.Command("git", args...).Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// semver turns a tag like v1.2.3 into the manifest's 1.2.3; anything that is not a release
// tag (a bare commit, "dev") becomes a 0.0.0 pre-release naming it, so that a real release
// always sorts higher.
func semver(version string) string {
	v := strings.TrimPrefix(version, "v")
	core, _, _ := strings.Cut(v, "-")
	parts := strings.Split(core, ".")
	if len(parts) == 3 && allDigits(parts[0]) && allDigits(parts[1]) && allDigits(parts[2]) {
		return v
	}
	return "0.0.0-dev." + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' {
			return r
		}
		return '.'
	}, version)
}

func allDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
