# komodo-mcp: one target for each thing a person does. CI calls the same targets.
SHELL := /bin/bash
GO ?= go
NODE_DIR := tools/specgen/node
# The newest Komodo version served lives in one place: tools/specgen/node/package.json.
# Regenerate everything for a version with
#   make regenerate KOMODO_VERSION=2.4.0
KOMODO_VERSION ?=

.PHONY: regenerate check-regenerate all build test test-e2e e2e-deps ui ui-deps check-ui test-ui fuzz conformance spec check-spec generate check-generate check-tidy bench bench-tasks bench-http lint node-deps clean

# The Go modules of the repository: the server (.), the typed client (gen/komodo, a module of
# its own so that its users download nothing of the server) and the tests that use both
# (internal/sim/typedtest, never installed). `go test ./...` in the root covers only the first.
MODULES := . gen/komodo internal/sim/typedtest

all: build

build:
	$(GO) build ./...

## test: vet and run every test, then the official TypeScript client's end-to-end suite (the same command CI runs)
test:
	@set -e; for m in $(MODULES); do echo "== $$m"; $(GO) -C $$m vet ./...; $(GO) -C $$m test ./...; done
	$(MAKE) test-e2e

E2E_DIR := tools/e2e

## e2e-deps: install the pinned official TypeScript MCP client of the end-to-end suite (package-lock.json)
e2e-deps:
	cd $(E2E_DIR) && npm ci --no-audit --no-fund --loglevel=error

## test-e2e: komodo-mcp --demo on stdio through the official TypeScript MCP client (installs it on first use)
test-e2e:
	@test -d $(E2E_DIR)/node_modules || $(MAKE) e2e-deps
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && $(GO) build -o "$$dir/komodo-mcp" ./cmd/komodo-mcp && \
		cd $(E2E_DIR) && KOMODO_MCP_BIN="$$dir/komodo-mcp" node --test --test-concurrency=1 --test-reporter=spec

UI_DIR := tools/ui

## ui-deps: install the fleet view's pinned tooling (@modelcontextprotocol/ext-apps, esbuild, Rollup, playwright-core; package-lock.json)
ui-deps:
	cd $(UI_DIR) && npm ci --no-audit --no-fund --loglevel=error

## ui: rebuild gen/ui/fleet.html, the fleet view (an MCP App) embedded in the binary, from tools/ui
ui:
	@test -d $(UI_DIR)/node_modules || $(MAKE) ui-deps
	cd $(UI_DIR) && node build.mjs

## check-ui: fail when the committed gen/ui/fleet.html differs from a fresh build of tools/ui
check-ui: ui
	@git diff --exit-code -- gen/ui/ || { echo "gen/ui is out of date: run 'make ui' and commit the result" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- gen/ui/)" || { git status --porcelain -- gen/ui/; echo "gen/ui has untracked or changed files: run 'make ui' and commit the result" >&2; exit 1; }

## test-ui: the fleet view in headless Chromium (/usr/bin/chromium) on a test host (the SDK's AppBridge) connected to komodo-mcp and its simulator; screenshots in tools/ui/screenshots
CHROMIUM ?= /usr/bin/chromium
test-ui:
	@test -d $(UI_DIR)/node_modules || $(MAKE) ui-deps
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && $(GO) build -o "$$dir/komodo-mcp" ./cmd/komodo-mcp && \
		cd $(UI_DIR) && KOMODO_MCP_BIN="$$dir/komodo-mcp" CHROMIUM="$(CHROMIUM)" node --test --test-concurrency=1 --test-reporter=spec test/

## node-deps: install the pinned node tooling of the spec generator (package-lock.json)
node-deps:
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error

## regenerate: everything that depends on the Komodo version, for KOMODO_VERSION (an npm komodo_client version, or a source tag of KOMODO_SRC, a git clone of moghtech/komodo): document, Rust facts, typed client, catalogs, changelog, fixtures, snapshots (tools/regenerate.sh)
KOMODO_SRC ?=
regenerate:
	@test -n "$(KOMODO_VERSION)" || { echo "usage: make regenerate KOMODO_VERSION=2.3.2 [KOMODO_SRC=path/to/komodo]" >&2; exit 2; }
	KOMODO_SRC="$(KOMODO_SRC)" GO="$(GO)" tools/regenerate.sh $(KOMODO_VERSION)

## check-regenerate: `make regenerate` for another version (CHECK_VERSION, default 2.3.0) on a scratch copy of the tree, then `make test` there - every test of the three modules and the official client's end-to-end suite, as README promises (CI)
CHECK_VERSION ?= 2.3.0
check-regenerate:
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
		git ls-files -z | xargs -0 cp --parents -t "$$dir" && \
		{ test ! -d $(NODE_DIR)/node_modules || cp -r $(NODE_DIR)/node_modules "$$dir/$(NODE_DIR)/"; } && \
		{ test ! -d $(E2E_DIR)/node_modules || cp -r $(E2E_DIR)/node_modules "$$dir/$(E2E_DIR)/"; } && \
		cd "$$dir" && start=$$(date +%s) && \
		$(MAKE) --no-print-directory regenerate KOMODO_VERSION=$(CHECK_VERSION) && \
		echo "make regenerate KOMODO_VERSION=$(CHECK_VERSION): $$(( $$(date +%s) - start )) s" && \
		grep -q '"x-komodo-client-version": "$(CHECK_VERSION)"' api/komodo.openapi.json && \
		$(MAKE) --no-print-directory test

## spec: regenerate api/komodo.openapi.json from komodo_client (optionally bumping KOMODO_VERSION)
spec:
ifneq ($(KOMODO_VERSION),)
	cd $(NODE_DIR) && npm install --save-exact --no-audit --no-fund --loglevel=error komodo_client@$(KOMODO_VERSION)
else
	$(MAKE) node-deps
endif
	$(GO) run ./tools/specgen

## check-spec: fail when the committed document differs from a fresh generation
check-spec: node-deps
	$(GO) run ./tools/specgen -check

## generate: regenerate gen/ (typed client and MCP tool catalog) from api/
generate:
	$(GO) generate ./...

## check-generate: fail when the committed gen/ differs from a fresh generation
check-generate: generate
	@git diff --exit-code -- gen/ || { echo "gen/ is out of date: run 'make generate' and commit the result" >&2; exit 1; }
	@test -z "$$(git status --porcelain -- gen/)" || { git status --porcelain -- gen/; echo "gen/ has untracked or changed files: run 'make generate' and commit the result" >&2; exit 1; }

## conformance: the official MCP conformance suite's applicable server scenarios over streamable HTTP
CONFORMANCE_DIR := tools/conformance
CONFORMANCE_ADDR ?= 127.0.0.1:18765
conformance:
	cd $(CONFORMANCE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && $(GO) build -o "$$dir/komodo-mcp" ./cmd/komodo-mcp && \
		$(CONFORMANCE_DIR)/run.sh "$$dir/komodo-mcp" $(CONFORMANCE_ADDR)

## check-tidy: fail when go.mod or go.sum differ from what `go mod tidy` would write
check-tidy:
	@for m in $(MODULES); do $(GO) -C $$m mod tidy -diff || { echo "$$m/go.mod or go.sum are not tidy: run 'go -C $$m mod tidy' and commit the result" >&2; exit 1; }; done

## fuzz: run every fuzz test (func Fuzz... in *_test.go) for FUZZTIME each; their seed corpora run in make test
FUZZTIME ?= 30s
fuzz:
	@set -e; for dir in $$(grep -rl --include='*_test.go' '^func Fuzz' internal cmd tools 2>/dev/null | xargs -n1 dirname | sort -u); do \
		for name in $$(grep -h '^func Fuzz' $$dir/*_test.go | sed 's/^func \(Fuzz[A-Za-z0-9_]*\).*/\1/'); do \
			echo "== ./$$dir $$name for $(FUZZTIME)"; \
			$(GO) test ./$$dir -run '^$$' -fuzz "^$$name\$$" -fuzztime $(FUZZTIME); \
		done; \
	done

MCPB_DIR := tools/mcpb/node
MCPB := $(MCPB_DIR)/node_modules/.bin/mcpb
# The platforms Claude Desktop runs on; CI packs linux/amd64 only. Each is a build of its own
# (22 min for all four with an empty build cache on a shared 2-core machine): one platform,
# e.g. make mcpb MCPB_PLATFORMS=darwin/arm64, to try the bundle locally.
MCPB_PLATFORMS ?= darwin/amd64,darwin/arm64,windows/amd64,linux/amd64
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: mcpb mcpb-deps release-check release-check-force release-snapshot

# GoReleaser, pinned in its own module (tools/goreleaser/go.mod) so that its many dependencies
# stay out of the main module; built once into bin/.
GORELEASER := bin/goreleaser
$(GORELEASER): tools/goreleaser/go.mod tools/goreleaser/go.sum
	$(GO) build -C tools/goreleaser -o $(CURDIR)/$(GORELEASER) github.com/goreleaser/goreleaser/v2

# release-check's inputs, and the digest of the inputs it last passed with (committed): CI
# builds GoReleaser (~11 min of CPU on an empty build cache) only when they changed.
RELEASE_INPUTS := .goreleaser.yaml tools/goreleaser/go.mod tools/goreleaser/go.sum
RELEASE_CHECKED := tools/goreleaser/checked.sha256

## release-check: validate .goreleaser.yaml with the pinned GoReleaser when it or the pin changed since the last check (CI); release-check-force always
release-check:
	@sum=$$(cat $(RELEASE_INPUTS) | sha256sum | cut -d' ' -f1); \
	if [ "$$sum" = "$$(cat $(RELEASE_CHECKED) 2>/dev/null)" ]; then \
		echo "release-check: $(RELEASE_INPUTS) unchanged since they passed 'goreleaser check' ($(RELEASE_CHECKED)); make release-check-force checks again"; \
	else \
		$(MAKE) release-check-force && echo "$$sum" > $(RELEASE_CHECKED) && echo "release-check: passed; commit $(RELEASE_CHECKED)"; \
	fi

release-check-force: $(GORELEASER)
	$(GORELEASER) check

## release-snapshot: build the release archives and checksums locally into dist/release (no publishing)
release-snapshot: $(GORELEASER)
	$(GORELEASER) release --snapshot --clean
	@ls -l dist/release/*.tar.gz dist/release/*.zip dist/release/checksums.txt

## mcpb-deps: install the pinned official MCP Bundle CLI, @anthropic-ai/mcpb (package-lock.json)
mcpb-deps:
	cd $(MCPB_DIR) && npm ci --no-audit --no-fund --loglevel=error

## mcpb: build dist/komodo-mcp.mcpb for Claude Desktop (binaries, manifest.json, validated and packed by the official mcpb CLI) and its MCP Registry entry dist/server.json
mcpb:
	@test -x $(MCPB) || $(MAKE) mcpb-deps
	$(GO) run ./tools/mcpb -out dist/mcpb/komodo-mcp -version $(VERSION) -platforms $(MCPB_PLATFORMS)
	$(MCPB) validate dist/mcpb/komodo-mcp/manifest.json
	$(MCPB) pack dist/mcpb/komodo-mcp dist/komodo-mcp.mcpb
	$(GO) run ./tools/mcpb -server-json dist/server.json -bundle dist/komodo-mcp.mcpb -version $(VERSION)
	@ls -l dist/komodo-mcp.mcpb dist/server.json

## bench: run the benchmarks and print their figures
bench:
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./...

## bench-tasks: answer everyday operator questions through MCP against the simulator, as an
## assistant would, and print the calls and bytes of results each took (internal/taskbench)
bench-tasks:
	$(GO) test -count=1 -run '^TestTasks$$' -v ./internal/taskbench | grep -v '^=== RUN'

## bench-http: the HTTP service under load (50 sessions x 200 calls: errors, latency, RSS) and 5,000 abandoned sessions reaped (RSS back to baseline)
bench-http:
	$(GO) test ./cmd/komodo-mcp -run '^$$' -bench 'BenchmarkHTTP' -benchtime 1x -count 3 -timeout 30m

## lint: golangci-lint (config in .golangci.yml: no fmt.Print outside cmd/, gen/ never imports internal/)
GOLANGCI_LINT_VERSION := v2.15.0
lint:
	$(GO) run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_LINT_VERSION) run ./...

clean:
	rm -rf bin dist $(NODE_DIR)/node_modules $(E2E_DIR)/node_modules $(UI_DIR)/node_modules $(CONFORMANCE_DIR)/node_modules $(MCPB_DIR)/node_modules
