package main

import (
	"fmt"
	"strings"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
)

// manifest is manifest.json, MCPB manifest version 0.3 (the version the pinned mcpb CLI
// writes and validates; its JSON Schema is vendored in testdata/).
type manifest struct {
	ManifestVersion string                `json:"manifest_version"`
	Name            string                `json:"name"`
	DisplayName     string                `json:"display_name"`
	Version         string                `json:"version"`
	Description     string                `json:"description"`
	LongDescription string                `json:"long_description"`
	Author          author                `json:"author"`
	Repository      repository            `json:"repository"`
	Homepage        string                `json:"homepage"`
	License         string                `json:"license"`
	Documentation   string                `json:"documentation"`
	Support         string                `json:"support"`
	Server          serverSpec            `json:"server"`
	Tools           []tool                `json:"tools"`
	ToolsGenerated  bool                  `json:"tools_generated"`
	PromptsGen      bool                  `json:"prompts_generated"`
	Keywords        []string              `json:"keywords"`
	Compatibility   compatibility         `json:"compatibility"`
	UserConfig      map[string]userOption `json:"user_config"`
}

type author struct {
	Name string `json:"name"`
	URL  string `json:"url,omitempty"`
}

type repository struct {
	Type string `json:"type"`
	URL  string `json:"url"`
}

type serverSpec struct {
	Type       string    `json:"type"`
	EntryPoint string    `json:"entry_point"`
	MCPConfig  mcpConfig `json:"mcp_config"`
}

type mcpConfig struct {
	Command           string                 `json:"command"`
	Args              []string               `json:"args"`
	Env               map[string]string      `json:"env"`
	PlatformOverrides map[string]mcpOverride `json:"platform_overrides,omitempty"`
}

type mcpOverride struct {
	Command string `json:"command"`
}

type tool struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
}

type compatibility struct {
	Platforms []string `json:"platforms"`
}

type userOption struct {
	Type        string `json:"type"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Required    bool   `json:"required"`
	Sensitive   bool   `json:"sensitive,omitempty"`
	Default     any    `json:"default,omitempty"`
}

const repoURL = "https://github.com/komodo-mcp/komodo-mcp"

// License is the SPDX expression of komodo-mcp's license (LICENSE, and README's "License"):
// the bundle and the MCP Registry entry state it, and the bundle carries the LICENSE file.
const License = "GPL-3.0-or-later"

// option is one setting a person installing komodo-mcp is asked for: the bundle's
// user_config and the registry's environmentVariables are both made from this table.
type option struct {
	key, env, title, description string
	kind                         string // string or boolean
	required, secret             bool
	def                          string
}

var options = []option{
	{key: "komodo_url", env: "KOMODO_URL", title: "Komodo URL", kind: "string", required: true,
		description: "Address of your Komodo Core, e.g. https://komodo.example.com"},
	{key: "api_key", env: "KOMODO_API_KEY", title: "API key", kind: "string", required: true,
		description: "An API key created in Komodo (Settings, API keys)."},
	{key: "api_secret", env: "KOMODO_API_SECRET", title: "API secret", kind: "string", required: true, secret: true,
		description: "The API key's secret, shown once when the key was created."},
	{key: "toolsets", env: "KOMODO_TOOLSETS", title: "Toolsets", kind: "string", def: "default",
		description: "Comma-separated toolsets to offer: default, or e.g. stacks,deployments,builds; all offers every Komodo operation (large: costs many tokens in every conversation)."},
	{key: "read_only", env: "KOMODO_READ_ONLY", title: "Read-only", kind: "boolean", def: "false",
		description: "Offer only tools that change nothing in Komodo."},
}

// entryPoints are the server binaries by MCPB platform (Node's process.platform).
var entryPoints = map[string]string{
	"darwin": "server/komodo-mcp-darwin",
	"win32":  "server/komodo-mcp.exe",
	"linux":  "server/komodo-mcp-linux-amd64",
}

// newManifest describes the bundle carrying binaries for platforms (darwin, win32, linux).
// The tools listed are the default surface; the toolsets option offers more, hence
// tools_generated.
func newManifest(version string, platforms []string) (*manifest, error) {
	if len(platforms) == 0 {
		return nil, fmt.Errorf("no platform to bundle")
	}
	tools, err := server.List(server.Selection{})
	if err != nil {
		return nil, err
	}
	m := &manifest{
		ManifestVersion: "0.3",
		Name:            "komodo-mcp",
		DisplayName:     "Komodo",
		Version:         version,
		Description:     "Operate Komodo, the build-and-deploy system: servers, stacks, deployments, builds, procedures, alerts.",
		LongDescription: "komodo-mcp lets Claude list and inspect what your Komodo Core manages, and deploy, build, " +
			"run procedures and actions, following each job to its end. It talks to your Komodo with an API key " +
			"created in Komodo (Settings, API keys). A small default set of tools is offered; the Toolsets option " +
			"adds more (for example stacks,deployments, or all), and Read-only offers only tools that change nothing.",
		Author:         author{Name: "komodo-mcp contributors", URL: repoURL},
		Repository:     repository{Type: "git", URL: repoURL + ".git"},
		Homepage:       repoURL,
		License:        License,
		Documentation:  repoURL + "#readme",
		Support:        repoURL + "/issues",
		ToolsGenerated: true,
		PromptsGen:     true,
		Keywords:       []string{"komodo", "deploy", "docker", "compose", "devops", "ci-cd"},
		Compatibility:  compatibility{Platforms: platforms},
		UserConfig:     map[string]userOption{},
	}
	env := map[string]string{}
	for _, o := range options {
		u := userOption{Type: o.kind, Title: o.title, Description: o.description, Required: o.required, Sensitive: o.secret}
		switch {
		case o.kind == "boolean":
			u.Default = o.def == "true"
		case o.def != "":
			u.Default = o.def
		}
		m.UserConfig[o.key] = u
		env[o.env] = "${user_config." + o.key + "}"
	}
	// The base command is the first platform's; the others override it.
	m.Server = serverSpec{Type: "binary", EntryPoint: entryPoints[platforms[0]], MCPConfig: mcpConfig{
		Command: "${__dirname}/" + entryPoints[platforms[0]],
		Args:    []string{},
		Env:     env,
	}}
	if len(platforms) > 1 {
		m.Server.MCPConfig.PlatformOverrides = map[string]mcpOverride{}
		for _, p := range platforms[1:] {
			m.Server.MCPConfig.PlatformOverrides[p] = mcpOverride{Command: "${__dirname}/" + entryPoints[p]}
		}
	}
	for _, t := range tools {
		desc := t.Title
		if ct, ok := catalog.ByName(t.Name); ok && ct.Description != "" {
			desc = ct.Description
		}
		m.Tools = append(m.Tools, tool{Name: t.Name, Description: firstLine(desc)})
	}
	return m, nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
