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

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

func main() {
	var (
		specPath     = flag.String("spec", "api/komodo.openapi.json", "the OpenAPI document")
		curationPath = flag.String("curation", "api/mcp.yaml", "the MCP curation file")
		effectsPath  = flag.String("effects", "api/effects.yaml", "the effect of every operation")
		out          = flag.String("out", "gen/catalog/catalog.gen.go", "the Go file to write")
	)
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if err := run(*specPath, *curationPath, *effectsPath, *out); err != nil {
		logger.Error("toolgen failed", "err", err)
		os.Exit(1)
	}
}

func run(specPath, curationPath, effectsPath, out string) error {
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
	tools, err := buildTools(doc, &cur, effects)
	if err != nil {
		return err
	}
	src, err := render(tools, &cur)
	if err != nil {
		return err
	}
	formatted, err := format.Source(src)
	if err != nil {
		return fmt.Errorf("gofmt generated code: %w", err)
	}
	return os.WriteFile(out, formatted, 0o644)
}
