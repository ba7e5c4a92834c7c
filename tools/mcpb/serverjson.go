package main

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
)

// registrySchema is the MCP Registry's server.json schema this file follows (vendored in
// testdata/ with its provenance).
const registrySchema = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"

// serverJSON is the MCP Registry entry (server.json) of one release: the .mcpb bundle as
// the package, and the settings a client must ask for as environment variables.
type serverJSON struct {
	Schema      string      `json:"$schema"`
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Description string      `json:"description"`
	Version     string      `json:"version"`
	WebsiteURL  string      `json:"websiteUrl"`
	Repository  regRepo     `json:"repository"`
	Packages    []regPackge `json:"packages"`
	// Meta carries what the registry's schema has no field for: the license.
	Meta map[string]map[string]string `json:"_meta"`
}

type regRepo struct {
	URL    string `json:"url"`
	Source string `json:"source"`
}

type regPackge struct {
	RegistryType string     `json:"registryType"`
	Identifier   string     `json:"identifier"`
	Version      string     `json:"version"`
	FileSHA256   string     `json:"fileSha256"`
	Transport    regTransp  `json:"transport"`
	Env          []regInput `json:"environmentVariables"`
}

type regTransp struct {
	Type string `json:"type"`
}

type regInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	IsRequired  bool   `json:"isRequired,omitempty"`
	IsSecret    bool   `json:"isSecret,omitempty"`
	Format      string `json:"format,omitempty"`
	Default     string `json:"default,omitempty"`
}

// newServerJSON describes release version (semver, no "v") whose bundle is the file at
// bundlePath, published as a GitHub release asset.
func newServerJSON(version, bundlePath string) (*serverJSON, error) {
	data, err := os.ReadFile(bundlePath)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256(data)
	pkg := regPackge{
		RegistryType: "mcpb",
		Identifier:   repoURL + "/releases/download/v" + version + "/komodo-mcp.mcpb",
		Version:      version,
		FileSHA256:   hex.EncodeToString(sum[:]),
		Transport:    regTransp{Type: "stdio"},
	}
	for _, o := range options {
		in := regInput{Name: o.env, Description: o.description, IsRequired: o.required, IsSecret: o.secret, Default: o.def}
		if o.kind == "boolean" {
			in.Format = "boolean"
		}
		pkg.Env = append(pkg.Env, in)
	}
	return &serverJSON{
		Schema:      registrySchema,
		Name:        "io.github.komodo-mcp/komodo-mcp",
		Title:       "Komodo",
		Description: "Operate Komodo (build and deploy): servers, stacks, deployments, builds, procedures, alerts.",
		Version:     version,
		WebsiteURL:  repoURL,
		Repository:  regRepo{URL: repoURL, Source: "github"},
		Packages:    []regPackge{pkg},
		Meta:        map[string]map[string]string{"io.modelcontextprotocol.registry/publisher-provided": {"license": License}},
	}, nil
}
