package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/api"
	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
)

// Set by release builds (.goreleaser.yaml):
//
//	-ldflags "-X main.version=v1.2.3 -X main.commit=<sha> -X main.date=<RFC 3339>"
//
// Other builds read the same facts from the build information the go command records.
var (
	version string
	commit  string
	date    string
)

// versionInfo is what `komodo-mcp version` prints.
type versionInfo struct {
	Version  string // module version: a tag for releases and `go install ...@v1.2.3`, else "(devel)"
	Revision string // VCS revision, "" when the build recorded none
	Time     string // commit time, RFC 3339
	Modified bool   // built from a work tree with uncommitted changes
	Go       string // the Go version that built it
	Komodo   string // the Komodo Core version the tools were generated for
}

// buildVersion assembles the version from -ldflags, else from the build information.
func buildVersion() versionInfo {
	v := versionInfo{Version: "(devel)", Go: runtime.Version(), Komodo: komodoVersion()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v.Version = bi.Main.Version
		}
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Revision = s.Value
			case "vcs.time":
				v.Time = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	if version != "" {
		v.Version = version
	}
	// GoReleaser stamps "none" and the zero time when the repository has no tag (snapshots).
	if commit != "" && commit != "none" {
		v.Revision, v.Modified = commit, false
	}
	if date != "" && !strings.HasPrefix(date, "0001-") {
		v.Time = date
	}
	return v
}

// komodoVersion is the version of Komodo Core the OpenAPI document, and so the tools, were
// generated from (info.version).
func komodoVersion() string {
	var doc struct {
		Info struct {
			Version string `json:"version"`
		} `json:"info"`
	}
	if err := json.Unmarshal(api.Document, &doc); err != nil || doc.Info.Version == "" {
		return "unknown"
	}
	return doc.Info.Version
}

func printVersion(args []string, stdout, stderr io.Writer) error {
	fs, _ := newFlagSet("version", stderr)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError("version takes no arguments")
	}
	v := buildVersion()
	fmt.Fprintln(stdout, "komodo-mcp", v.Version)
	if v.Revision == "" {
		fmt.Fprintln(stdout, "revision: not recorded (built outside a git checkout, or with -buildvcs=false)")
	} else {
		rev := v.Revision
		if v.Time != "" {
			rev += " (" + v.Time + ")"
		}
		if v.Modified {
			rev += " with uncommitted changes"
		}
		fmt.Fprintln(stdout, "revision:", rev)
	}
	fmt.Fprintln(stdout, "built with:", v.Go)
	fmt.Fprintln(stdout, "tools generated for: Komodo Core", v.Komodo)
	fmt.Fprintln(stdout, "catalogs: Komodo Core", strings.Join(catalog.Versions(), ", "), "(the one of the Core's own version is served; a newer Core gets the newest)")
	return nil
}
