package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/komodo-mcp/komodo-mcp/gen/catalog"
	"github.com/komodo-mcp/komodo-mcp/internal/server"
)

// listTools prints the tools a configuration exposes, with the size of their schemas.
// It does not contact Komodo.
func listTools(args []string, stdout, stderr io.Writer, getenv func(string) string) error {
	fs, cf := newFlagSet("tools", stderr)
	cf.Offline = true
	cfg, err := parseConfig(fs, cf, args, getenv)
	if err != nil {
		return err
	}
	version := catalog.KomodoVersion
	if cfg.CoreVersion != "" {
		m, err := catalog.ForCore(cfg.CoreVersion)
		if err != nil {
			return err
		}
		if !m.Exact {
			fmt.Fprintln(stderr, "komodo-mcp tools:", m.Warning)
		}
		version = m.Catalog.Version
	}
	tools, err := server.List(selection(cfg))
	if err != nil {
		return usageError("%v", err)
	}
	fmt.Fprintf(stdout, "Tools for Komodo Core %s (catalogs: %s; serving a Core uses its own version's)\n\n", version, strings.Join(catalog.Versions(), ", "))
	w := tabwriter.NewWriter(stdout, 2, 8, 2, ' ', 0)
	fmt.Fprintln(w, "TOOL\tTOOLSET\tHINTS\tINPUT SCHEMA\tOUTPUT SCHEMA")
	total := 0
	for _, t := range tools {
		hints := "read-only"
		if !t.ReadOnly {
			hints = "writes"
			if t.Destructive {
				hints = "destructive"
			}
		}
		out := "-"
		if t.OutputBytes > 0 {
			out = fmt.Sprintf("%d B", t.OutputBytes)
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%d B\t%s\n", t.Name, t.Toolset, hints, t.InputBytes, out)
		total += t.InputBytes + t.OutputBytes
	}
	if err := w.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\n%d tools, %d bytes of schemas\n", len(tools), total)
	return nil
}
