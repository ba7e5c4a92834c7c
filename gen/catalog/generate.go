package catalog

//go:generate go run ../../tools/toolgen -spec ../../api/komodo.openapi.json -curation ../../api/mcp.yaml -out catalog.gen.go
