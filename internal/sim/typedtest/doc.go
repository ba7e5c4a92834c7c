// Package typedtest checks the Komodo simulator (internal/sim) and the terminal request
// bodies through the typed Go client (gen/komodo). It is a module of its own, with tests
// only, so that the main module does not require the typed client: `go install
// github.com/komodo-mcp/komodo-mcp/cmd/komodo-mcp@latest` then needs no replace directive,
// and the client module needs nothing of the server. Run with `make test` (or
// `go -C internal/sim/typedtest test ./...`).
package typedtest
