// Command toolgen writes the MCP tool catalog (gen/catalog/catalog.gen.go) from the Komodo
// OpenAPI document, the curation file api/mcp.yaml and the effect of every operation
// (api/effects.yaml): one tool per operation with its
// input schema converted to the JSON Schema MCP clients accept (inlined, no $ref, object
// root), an output schema where it is small, annotations and a toolset.
//
//	go run ./tools/toolgen -spec api/komodo.openapi.json -curation api/mcp.yaml -effects api/effects.yaml -out gen/catalog/catalog.gen.go
package main

import (
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

func main() {
	var (
		specPath     = flag.String("spec", "api/komodo.openapi.json", "the OpenAPI document")
		curationPath = flag.String("curation", "api/mcp.yaml", "the MCP curation file")
		effectsPath  = flag.String("effects", "api/effects.yaml", "the effect of every operation")
		out          = flag.String("out", "gen/catalog/catalog.gen.go", "the Go file to write")
		versions     = flag.String("versions", "", "directory of the older Komodo versions' documents (VERSION.openapi.json): write their catalogs and the changelog too")
		versionsOut  = flag.String("versions-out", "gen/catalog/versions", "where the older versions' catalogs and the changelog data go")
		changelog    = flag.String("changelog", "gen/catalog/versions/CHANGELOG.md", "the changelog for people")
	)
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*specPath, *curationPath, *effectsPath, *out, *versions, *versionsOut, *changelog); err != nil {
		logger.Error("toolgen failed", "err", err)
		os.Exit(1)
	}
}

func run(specPath, curationPath, effectsPath, out, versionsDir, versionsOut, changelog string) error {
	doc, err := openapi3.NewLoader().LoadFromFile(specPath)
	if err != nil {
		return fmt.Errorf("load %s: %w", specPath, err)
	}
	raw, err := os.ReadFile(curationPath)
	if err != nil {
		return err
	}
	var cur curation
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&cur); err != nil {
		return fmt.Errorf("%s: %w", curationPath, err)
	}
	effects, err := readEffects(effectsPath)
	if err != nil {
		return err
	}
	tools, err := buildTools(doc, &cur, effects, true)
	if err != nil {
		return err
	}
	if versionsDir != "" {
		older, err := loadVersionDocs(versionsDir)
		if err != nil {
			return err
		}
		for _, vd := range older {
			if !versionLess(vd.version, doc.Info.Version) {
				return fmt.Errorf("%s/%s.openapi.json is not older than the newest version, %s", versionsDir, vd.version, doc.Info.Version)
			}
		}
		if err := writeVersions(older, &cur, effects, versionsOut); err != nil {
			return err
		}
		all := append(older, versionDoc{version: doc.Info.Version, doc: doc})
		cs := changes(all, &cur)
		if err := writeGzipJSON(filepath.Join(versionsOut, changesFile), cs); err != nil {
			return err
		}
		if err := os.WriteFile(changelog, renderChangelog(all, cs), 0o644); err != nil {
			return err
		}
	}
	src, err := render(doc.Info.Version, operationsByModule(doc), tools, &cur)
	if err != nil {
		return err
	}
	formatted, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("gofmt generated code: %w", err)
	}
	return os.WriteFile(out, formatted, 0o644)
}
