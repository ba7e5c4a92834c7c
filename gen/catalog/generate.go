package catalog

//go:generate go run ../../tools/toolgen -spec ../../api/komodo.openapi.json -curation ../../api/mcp.yaml -effects ../../api/effects.yaml -out catalog.gen.go -versions ../../api/versions -versions-out versions -changelog versions/CHANGELOG.md
