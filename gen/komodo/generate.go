// Package komodo is a typed Go client for the Komodo Core API, generated from
// api/komodo.openapi.json by oapi-codegen. Regenerate with `make generate` (the
// go:generate line is in api/generate.go: the generator is a tool of the main module, so
// that this module requires only what the client itself imports).
package komodo
