// Command specgen writes the Komodo OpenAPI document (api/komodo.openapi.json) from the
// official komodo_client and mogh_auth_client TypeScript types.
//
// It runs the pinned ts-json-schema-generator (tools/specgen/node) over the packages'
// src/types.ts and src/responses.ts, then turns the JSON Schema definitions into an
// OpenAPI 3.0.3 document: one operation per Komodo request type, faithful types, every
// optional field nullable. With -check it regenerates in memory and fails when the
// committed document differs.
//
//	go run ./tools/specgen            # write api/komodo.openapi.json
//	go run ./tools/specgen -check     # fail if it is out of date
//	go run ./tools/specgen -rust-src KOMODO/client/core/rs/src,LIB/auth/client/rs/src
//	                                  # refresh tools/specgen/rust-facts.json (see rust.go)
//	go run ./tools/specgen -serde-src KOMODO/client/core/rs/src
//	                                  # refresh api/komodo.serde.json (see serde.go)
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

func main() {
	var (
		nodeDir  = flag.String("node", "tools/specgen/node", "directory holding the pinned node tooling (package.json, node_modules)")
		out      = flag.String("out", "api/komodo.openapi.json", "where to write the document")
		check    = flag.Bool("check", false, "do not write; exit 1 if the document at -out differs from a fresh generation")
		facts    = flag.String("facts", "tools/specgen/rust-facts.json", "the facts of the Rust structs the TypeScript types lose (serde defaults, integer widths)")
		rustSrc  = flag.String("rust-src", "", "comma-separated Rust source directories of komodo_client and mogh_auth_client at the pinned versions: rewrite -facts from them and exit")
		serde    = flag.String("serde", "api/komodo.serde.json", "the serialization facts of Komodo's Rust types (defaults, skip_serializing_if, enum defaults) the simulator builds its world from")
		serdeSrc = flag.String("serde-src", "", "comma-separated Rust source directories of komodo_client at the pinned version: rewrite -serde from them and exit")
	)
	flag.Parse()
	logger := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if *serdeSrc != "" {
		summary, err := writeSerdeFacts(strings.Split(*serdeSrc, ","), *serde)
		if err != nil {
			logger.Error("serde facts", "err", err)
			os.Exit(1)
		}
		logger.Info("wrote serde facts", "path", *serde, "facts", summary)
		return
	}
	if *rustSrc != "" {
		if err := writeRustFacts(strings.Split(*rustSrc, ","), *facts); err != nil {
			logger.Error("rust facts", "err", err)
			os.Exit(1)
		}
		logger.Info("wrote rust facts", "path", *facts)
		return
	}
	rf, err := readRustFacts(*facts)
	if err != nil {
		logger.Error("specgen failed", "err", err)
		os.Exit(1)
	}
	doc, err := generate(*nodeDir, rf, logger)
	if err != nil {
		logger.Error("specgen failed", "err", err)
		os.Exit(1)
	}
	if *check {
		old, err := os.ReadFile(*out)
		if err != nil || !bytes.Equal(old, doc) {
			fmt.Fprintf(os.Stderr, "%s is out of date: run `make spec` and commit the result\n", *out)
			os.Exit(1)
		}
		return
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		logger.Error("write document", "err", err)
		os.Exit(1)
	}
	logger.Info("wrote document", "path", *out, "bytes", len(doc))
}

// generate converts both packages and assembles the document bytes.
func generate(nodeDir string, facts *rustFacts, logger *slog.Logger) ([]byte, error) {
	versions := map[string]string{}
	sources := map[string]map[string]any{}
	for _, pkg := range []string{"komodo_client", "mogh_auth_client"} {
		v, err := packageVersion(filepath.Join(nodeDir, "node_modules", pkg))
		if err != nil {
			return nil, err
		}
		versions[pkg] = v
		defs, err := tsToJSONSchema(nodeDir, pkg)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pkg, err)
		}
		sources[pkg] = defs
	}
	doc, st, err := buildDocument(sources["komodo_client"], sources["mogh_auth_client"], versions, facts)
	if err != nil {
		return nil, err
	}
	logger.Info("rust facts applied", "required_relaxed", st.Relaxed, "made_non_nullable", st.NotNullable,
		"numbers_made_integers", st.Integers, "facts_without_field", st.MissingField)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// packageVersion reads the version of an installed npm package.
func packageVersion(dir string) (string, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%w (run `npm ci` in tools/specgen/node, or `make spec`)", err)
	}
	var pkg struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", dir, err)
	}
	return pkg.Version, nil
}

// tsToJSONSchema runs ts-json-schema-generator over a package's types and responses and
// returns its definitions.
func tsToJSONSchema(nodeDir, pkg string) (map[string]any, error) {
	cmd := exec.Command(filepath.Join("node_modules", ".bin", "ts-json-schema-generator"),
		"--path", "node_modules/"+pkg+"/src/{types,responses}.ts",
		"--type", "*", "--expose", "export", "--jsDoc", "extended", "--no-type-check")
	cmd.Dir = nodeDir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("ts-json-schema-generator: %w: %s", err, stderr.String())
	}
	var schema struct {
		Definitions map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(out, &schema); err != nil {
		return nil, fmt.Errorf("parse ts-json-schema-generator output: %w", err)
	}
	return schema.Definitions, nil
}
