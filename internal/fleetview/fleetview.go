// Package fleetview is komodo-mcp's MCP App (the io.modelcontextprotocol/ui extension,
// SEP-1865): the fleet view a host renders in the conversation. It holds what is the
// same for every server: the extension's names and how a client declares it, the ui://
// resource (the bundled HTML of tools/ui, committed as gen/ui/fleet.html), the fleet's
// view model read from Komodo, and the shape of a followed Update's stages.
//
// The tools themselves are registered by internal/fleettools, so that the view's calls go
// through the server's one tool path (validation, confirmation, audit).
package fleetview

import (
	"context"
	"slices"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/komodo-mcp/komodo-mcp/gen/ui"
)

const (
	// Extension is the MCP Apps extension's identifier in capabilities.extensions.
	Extension = "io.modelcontextprotocol/ui"
	// MIMEType is the MIME type of an MCP App's HTML resource.
	MIMEType = "text/html;profile=mcp-app"
	// ResourceURI names the fleet view.
	ResourceURI = "ui://komodo-mcp/fleet.html"
)

// ClientSupports reports whether a client declared the extension with the HTML MIME type in
// its capabilities (capabilities.extensions["io.modelcontextprotocol/ui"].mimeTypes), as
// the extension's capability negotiation asks servers to check before offering a view.
func ClientSupports(caps *mcp.ClientCapabilities) bool {
	if caps == nil {
		return false
	}
	settings, ok := caps.Extensions[Extension].(map[string]any)
	if !ok {
		return false
	}
	types, _ := settings["mimeTypes"].([]any)
	return slices.Contains(types, any(MIMEType))
}

// Visibility values of _meta.ui.visibility.
const (
	VisibleToModel = "model"
	VisibleToApp   = "app"
)

// ToolMeta is a tool's _meta linking it to the fleet view, with who may see the tool:
// nothing means the extension's default (the model and the view).
func ToolMeta(visibility ...string) mcp.Meta {
	ui := map[string]any{"resourceUri": ResourceURI}
	if len(visibility) > 0 {
		ui["visibility"] = visibility
	}
	return mcp.Meta{"ui": ui}
}

// AppOnly reports whether a tool's _meta keeps it away from the model.
func AppOnly(meta mcp.Meta) bool {
	ui, _ := meta["ui"].(map[string]any)
	switch v := ui["visibility"].(type) {
	case []string:
		return len(v) > 0 && !slices.Contains(v, VisibleToModel)
	case []any:
		return len(v) > 0 && !slices.Contains(v, any(VisibleToModel))
	}
	return false
}

// resourceMeta is the view's _meta.ui: no external origin of any kind (every connect,
// resource, frame and base-uri list empty, so the host applies its most restrictive CSP),
// and a border from the host.
func resourceMeta() mcp.Meta {
	return mcp.Meta{"ui": map[string]any{
		"csp": map[string]any{
			"connectDomains":  []string{},
			"resourceDomains": []string{},
			"frameDomains":    []string{},
			"baseUriDomains":  []string{},
		},
		"prefersBorder": true,
	}}
}

// Resource is the fleet view as resources/list shows it.
func Resource() *mcp.Resource {
	return &mcp.Resource{
		URI:         ResourceURI,
		Name:        "komodo_fleet_view",
		Title:       "Komodo fleet",
		Description: "Interactive view of the Komodo fleet: servers with their state and load, the stacks and deployments on each, open alerts, and deploys as they run.",
		MIMEType:    MIMEType,
		Meta:        resourceMeta(),
	}
}

// ReadResource answers resources/read of the fleet view: the one self-contained HTML file.
func ReadResource(_ context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
	if req.Params == nil || req.Params.URI != ResourceURI {
		return nil, mcp.ResourceNotFoundError(req.Params.URI)
	}
	return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{
		URI:      ResourceURI,
		MIMEType: MIMEType,
		Text:     ui.FleetHTML,
		Meta:     resourceMeta(),
	}}}, nil
}
