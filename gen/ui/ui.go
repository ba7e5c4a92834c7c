// Package ui embeds the MCP App views of komodo-mcp. fleet.html is generated: `make ui`
// bundles it from tools/ui (its source and pinned lockfile); never edit it by hand.
package ui

import _ "embed"

// FleetHTML is the fleet view: one self-contained HTML document (script and styles inline,
// no external origin).
//
//go:embed fleet.html
var FleetHTML string
