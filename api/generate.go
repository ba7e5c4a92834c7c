package api

// The typed client gen/komodo is its own module (gen/komodo/go.mod) so that its users
// download only what it imports; its generator, oapi-codegen, is pinned here, in the main
// module's go.mod (tool directive), and writes into that module's directory.
//
//go:generate go tool oapi-codegen -config ../gen/komodo/oapi-codegen.yaml -o ../gen/komodo/komodo.gen.go komodo.openapi.json
