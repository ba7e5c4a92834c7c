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
//	go run ./tools/specgen -komodo KOMODO/client/core/ts -out api/versions/1.19.5.openapi.json
//	                                  # a version not on npm, from a Komodo source checkout
//	go run ./tools/specgen -rust-src KOMODO/client/core/rs/src -version 2.3.2
//	                                  # refresh tools/specgen/facts/2.3.2.json (see rust.go)
//	go run ./tools/specgen -serde-src KOMODO/client/core/rs/src
//	                                  # refresh api/komodo.serde.json (see serde.go)
//
// `make regenerate KOMODO_VERSION=X` runs all of this (tools/regenerate.sh).
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
		komodo   = flag.String("komodo", "", "the komodo_client TypeScript package to read (package.json, src/types.ts, src/responses.ts): default the one installed in -node; a Komodo source checkout's client/core/ts for versions not on npm")
		auth     = flag.String("auth", "", "the mogh_auth_client package (2.x only; default the one installed in -node)")
		out      = flag.String("out", "api/komodo.openapi.json", "where to write the document")
		check    = flag.Bool("check", false, "do not write; exit 1 if the document at -out differs from a fresh generation")
		factsDir = flag.String("facts", "tools/specgen/facts", "the facts of the Rust structs the TypeScript types lose (serde defaults, integer widths): KOMODO_VERSION.json per Komodo version and mogh_auth_client.json")
		rustSrc  = flag.String("rust-src", "", "the Rust sources of komodo_client (a Komodo checkout's client/core/rs/src) at -version: write -facts/VERSION.json from them and exit")
		version  = flag.String("version", "", "with -rust-src: the Komodo version the sources are of")
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
		if *version == "" {
			logger.Error("-rust-src needs -version")
			os.Exit(2)
		}
		path := filepath.Join(*factsDir, *version+".json")
		if err := writeRustFacts(strings.Split(*rustSrc, ","), path); err != nil {
			logger.Error("rust facts", "err", err)
			os.Exit(1)
		}
		logger.Info("wrote rust facts", "path", path)
		return
	}
	if *komodo == "" {
		*komodo = filepath.Join(*nodeDir, "node_modules", "komodo_client")
	}
	if *auth == "" {
		*auth = filepath.Join(*nodeDir, "node_modules", "mogh_auth_client")
	}
	doc, err := generate(*nodeDir, *komodo, *auth, *factsDir, logger)
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
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		logger.Error("write document", "err", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, doc, 0o644); err != nil {
		logger.Error("write document", "err", err)
		os.Exit(1)
	}
	logger.Info("wrote document", "path", *out, "bytes", len(doc))
}

// generate converts komodo_client (and, for Komodo 2, mogh_auth_client) and assembles the
// document bytes. Komodo 1 has no auth package: its login and API-key requests are in
// komodo_client itself (AuthRequest, UserRequest).
func generate(nodeDir, komodoPkg, authPkg, factsDir string, logger *slog.Logger) ([]byte, error) {
	versions := map[string]string{}
	kv, err := packageVersion(komodoPkg)
	if err != nil {
		return nil, err
	}
	versions["komodo_client"] = kv
	komodo, err := tsToJSONSchema(nodeDir, komodoPkg)
	if err != nil {
		return nil, fmt.Errorf("komodo_client: %w", err)
	}
	var authDefs map[string]any
	if _, v1 := komodo["AuthRequest"]; !v1 {
		av, err := packageVersion(authPkg)
		if err != nil {
			return nil, err
		}
		versions["mogh_auth_client"] = av
		if authDefs, err = tsToJSONSchema(nodeDir, authPkg); err != nil {
			return nil, fmt.Errorf("mogh_auth_client: %w", err)
		}
	}
	facts, err := readRustFacts(factsDir, kv, authDefs != nil)
	if err != nil {
		return nil, err
	}
	doc, st, err := buildDocument(komodo, authDefs, versions, facts)
	if err != nil {
		return nil, err
	}
	logger.Info("rust facts applied", "komodo_version", kv, "required_relaxed", st.Relaxed, "made_non_nullable", st.NotNullable,
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
func tsToJSONSchema(nodeDir, pkgDir string) (map[string]any, error) {
	abs, err := filepath.Abs(pkgDir)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(filepath.Join("node_modules", ".bin", "ts-json-schema-generator"),
		"--path", filepath.ToSlash(abs)+"/src/{types,responses}.ts",
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
