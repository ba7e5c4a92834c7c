package catalog

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// The catalogs of the older Komodo versions users run are gzip-compressed JSON
// (versions/VERSION.json.gz, written by tools/toolgen from api/versions/), decoded only when
// the Core met runs one of them: the newest version's catalog is Tools itself, which costs
// nothing to load.
//
//go:embed versions/*.json.gz
var versionFS embed.FS

// Catalog is the tool catalog of one Komodo version.
type Catalog struct {
	// Version is the Komodo version the catalog was generated for (2.3.2, 1.19.5).
	Version string
	// Tools is every tool, sorted by name. An older version's tool keeps the newest
	// version's tool name when Komodo renamed its operation (Operation and Path are the
	// names that Core knows).
	Tools []Tool
	// operations lists every operation of the version by module (read, write, execute,
	// auth, core, terminal), tools or not.
	operations map[string][]string
	index      map[string]int
}

// ByName returns the tool with the given name.
func (c *Catalog) ByName(name string) (*Tool, bool) {
	i, ok := c.index[name]
	if !ok {
		return nil, false
	}
	return &c.Tools[i], true
}

// HasOperation says whether the version has the operation (under this exact name).
func (c *Catalog) HasOperation(op string) bool {
	for _, ops := range c.operations {
		if slices.Contains(ops, op) {
			return true
		}
	}
	return false
}

// Operations lists the version's operations of a module (read, write, execute, auth, core,
// terminal), sorted.
func (c *Catalog) Operations(module string) []string { return c.operations[module] }

// Newest is the catalog of KomodoVersion, the newest version served.
func Newest() *Catalog { return newest() }

var newest = sync.OnceValue(func() *Catalog {
	return &Catalog{Version: KomodoVersion, Tools: Tools, index: index, operations: newestOperations}
})

// Versions lists the Komodo versions with a catalog, oldest first; the last is KomodoVersion.
func Versions() []string {
	entries, _ := versionFS.ReadDir("versions")
	var out []string
	for _, e := range entries {
		if v, ok := strings.CutSuffix(e.Name(), ".json.gz"); ok && v != "changes" {
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return compareVersions(out[i], out[j]) < 0 })
	return append(out, KomodoVersion)
}

var (
	loadMu sync.Mutex
	loaded = map[string]*Catalog{}
)

// Load returns the catalog of one of Versions() (exact version string), decoding it on
// first use.
func Load(version string) (*Catalog, error) {
	if version == KomodoVersion {
		return Newest(), nil
	}
	loadMu.Lock()
	defer loadMu.Unlock()
	if c, ok := loaded[version]; ok {
		return c, nil
	}
	var f struct {
		Version    string              `json:"version"`
		Operations map[string][]string `json:"operations"`
		Tools      []Tool              `json:"tools"`
	}
	if err := readGzipJSON("versions/"+version+".json.gz", &f); err != nil {
		return nil, fmt.Errorf("no catalog for Komodo %s: %w", version, err)
	}
	c := &Catalog{Version: f.Version, Tools: f.Tools, operations: f.Operations, index: make(map[string]int, len(f.Tools))}
	for i, t := range c.Tools {
		c.index[t.Name] = i
	}
	loaded[version] = c
	return c, nil
}

// Match is the catalog chosen for a Core's version.
type Match struct {
	Catalog *Catalog
	// Exact is true when the catalog is of the Core's major.minor version (2.3.0 and 2.3.2
	// share one; patch releases do not change the API).
	Exact bool
	// Warning says why the catalog may not fit, for the log and doctor; empty when Exact.
	Warning string
}

// ForCore chooses the catalog for a Core that reports version (as GET /version or
// GetVersion answer it: "2.3.2", "v1.19.5"): the catalog of the same major.minor; for a
// version newer than every catalog, the newest with a warning; for an older or unreadable
// one, the closest with a warning.
func ForCore(version string) (Match, error) {
	v := strings.TrimPrefix(strings.TrimSpace(version), "v")
	all := Versions()
	pick := func(cv string, warn string) (Match, error) {
		c, err := Load(cv)
		return Match{Catalog: c, Exact: warn == "", Warning: warn}, err
	}
	if _, ok := parseVersion(v); !ok {
		return pick(KomodoVersion, fmt.Sprintf("Komodo reports version %q, which is not a version number: using the tools of Komodo %s", version, KomodoVersion))
	}
	for _, cv := range all {
		if sameMinor(cv, v) {
			return pick(cv, "")
		}
	}
	if compareVersions(v, KomodoVersion) > 0 {
		return pick(KomodoVersion, fmt.Sprintf("Komodo %s is newer than every version komodo-mcp knows: using the tools of Komodo %s; tools it added are missing and some may have changed (a newer komodo-mcp may know it)", v, KomodoVersion))
	}
	// Older than the oldest, or a minor between two catalogs: the closest older catalog, else the oldest.
	best := all[0]
	for _, cv := range all {
		if compareVersions(cv, v) <= 0 {
			best = cv
		}
	}
	return pick(best, fmt.Sprintf("Komodo %s has no catalog of its own: using the tools of Komodo %s, the closest known; some tools may not fit", v, best))
}

// Change is what differs in Komodo's API from one served version to the next.
type Change struct {
	From    string `json:"From"`
	To      string `json:"To"`
	Added   []OpRef
	Removed []OpRef
	Renamed []Rename
	Fields  []OpFields
}

// OpRef names one operation.
type OpRef struct {
	Module    string `json:"module"`
	Operation string `json:"operation"`
}

// Rename is an operation Komodo renamed.
type Rename struct {
	Module string `json:"module"`
	From   string `json:"from"`
	To     string `json:"to"`
}

// OpFields are the request and answer fields one operation gained or lost.
type OpFields struct {
	Operation       string   `json:"operation"`
	RequestAdded    []string `json:"request_added,omitempty"`
	RequestRemoved  []string `json:"request_removed,omitempty"`
	ResponseAdded   []string `json:"response_added,omitempty"`
	ResponseRemoved []string `json:"response_removed,omitempty"`
}

// Changes is the changelog between the served versions, oldest first: each entry compares
// one version of Versions() with the next.
func Changes() ([]Change, error) { return changes() }

var changes = sync.OnceValues(func() ([]Change, error) {
	var cs []Change
	err := readGzipJSON("versions/changes.json.gz", &cs)
	return cs, err
})

func readGzipJSON(name string, v any) error {
	raw, err := versionFS.ReadFile(name)
	if err != nil {
		return err
	}
	zr, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

// parseVersion reads major.minor.patch (missing parts are 0; a pre-release suffix after
// '-' is ignored).
func parseVersion(v string) ([3]int, bool) {
	var out [3]int
	v, _, _ = strings.Cut(v, "-")
	parts := strings.Split(v, ".")
	if len(parts) == 0 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// compareVersions orders two versions numerically (-1, 0, 1); unreadable ones sort first.
func compareVersions(a, b string) int {
	x, _ := parseVersion(a)
	y, _ := parseVersion(b)
	for i := range 3 {
		if x[i] != y[i] {
			if x[i] < y[i] {
				return -1
			}
			return 1
		}
	}
	return 0
}

func sameMinor(a, b string) bool {
	x, okx := parseVersion(a)
	y, oky := parseVersion(b)
	return okx && oky && x[0] == y[0] && x[1] == y[1]
}
