// Package komodo is a typed Go client for the Komodo Core API, generated from
// api/komodo.openapi.json by oapi-codegen. Regenerate with `make generate`.
package komodo

//go:generate go tool oapi-codegen -config oapi-codegen.yaml ../../api/komodo.openapi.json
