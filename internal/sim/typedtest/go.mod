module github.com/komodo-mcp/komodo-mcp/internal/sim/typedtest

go 1.26.0

require (
	github.com/getkin/kin-openapi v0.153.0
	github.com/komodo-mcp/komodo-mcp v0.0.0-00010101000000-000000000000
	github.com/komodo-mcp/komodo-mcp/gen/komodo v0.0.0-00010101000000-000000000000
)

require (
	github.com/apapsch/go-jsonmerge/v2 v2.0.0 // indirect
	github.com/coder/websocket v1.8.15 // indirect
	github.com/go-openapi/jsonpointer v0.23.1 // indirect
	github.com/go-openapi/swag/jsonname v0.26.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/oapi-codegen/runtime v1.8.0 // indirect
	github.com/pelletier/go-toml/v2 v2.4.3 // indirect
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3 // indirect
	go.yaml.in/yaml/v4 v4.0.0 // indirect
	golang.org/x/text v0.44.0 // indirect
)

// Tests only, never installed: both are this repository's own checkout.
replace (
	github.com/komodo-mcp/komodo-mcp => ../../..
	github.com/komodo-mcp/komodo-mcp/gen/komodo => ../../../gen/komodo
)
