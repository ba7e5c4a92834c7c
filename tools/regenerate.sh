#!/usr/bin/env bash
# tools/regenerate.sh VERSION: everything that depends on the Komodo version, in one step
# (`make regenerate KOMODO_VERSION=X [KOMODO_SRC=DIR]`).
#
# VERSION is a komodo_client version on npm or a Komodo source tag (vVERSION in the git
# repository KOMODO_SRC, e.g. a clone of github.com/moghtech/komodo). What it becomes:
#   - the newest version served (its minor is the newest, or newer than it): it must be on
#     npm (CI re-derives the document from the pinned package); tools/specgen/node pins it,
#     api/komodo.openapi.json, the typed client (gen/komodo), the catalog, the fixtures and the
#     tool snapshots follow it. A newer minor keeps the previous newest as an older version.
#   - an older version (an older minor): api/versions/VERSION.openapi.json replaces the
#     document of that minor; its catalog and the changelog follow.
# The Rust facts (tools/specgen/facts/VERSION.json; for the newest, api/komodo.serde.json too)
# are read from KOMODO_SRC at vVERSION when it is given, else the committed files are used (CI
# has no Komodo sources).
set -euo pipefail
cd "$(dirname "$0")/.."

X=${1:?usage: tools/regenerate.sh VERSION}
X=${X#v}
GO=${GO:-go}
NODE_DIR=tools/specgen/node
docversion() { sed -n 's/^  "x-komodo-client-version": "\(.*\)",$/\1/p' "$1"; }
minor() { echo "$1" | cut -d. -f1,2; }
older() { [ "$1" != "$2" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n1)" = "$1" ]; }
say() { echo "== $*" >&2; }

P=$(docversion api/komodo.openapi.json)
[ -n "$P" ] || { echo "cannot read the version of api/komodo.openapi.json" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
test -d "$NODE_DIR/node_modules" || (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error)

# The Komodo sources at vX, when given.
src=""
if [ -n "${KOMODO_SRC:-}" ]; then
	git -C "$KOMODO_SRC" rev-parse -q --verify "refs/tags/v$X" >/dev/null ||
		{ echo "KOMODO_SRC=$KOMODO_SRC has no tag v$X" >&2; exit 1; }
	src="$tmp/moghtech/komodo@v$X"
	mkdir -p "$src"
	git -C "$KOMODO_SRC" archive "v$X" client/core | tar -x -C "$src"
fi

# 1. The Rust facts the TypeScript types lose.
if [ -n "$src" ]; then
	say "Rust facts of Komodo $X from $KOMODO_SRC"
	$GO run ./tools/specgen -rust-src "$src/client/core/rs/src" -version "$X"
elif [ -f "tools/specgen/facts/$X.json" ]; then
	say "Rust facts of Komodo $X: the committed tools/specgen/facts/$X.json"
else
	echo "no tools/specgen/facts/$X.json: give the Komodo sources, KOMODO_SRC=path/to/komodo (a git clone with tag v$X)" >&2
	exit 1
fi

# 2. The document.
on_npm=""
if [ "$(npm view "komodo_client@$X" version 2>/dev/null)" = "$X" ]; then on_npm=1; fi
if older "$(minor "$X")" "$(minor "$P")"; then
	if [ -n "$on_npm" ]; then
		(cd "$tmp" && npm pack --silent "komodo_client@$X" >/dev/null && tar -xzf komodo_client-"$X".tgz)
		pkg="$tmp/package"
	elif [ -n "$src" ]; then
		pkg="$src/client/core/ts"
	else
		echo "komodo_client@$X is not on npm: give the Komodo sources, KOMODO_SRC=path/to/komodo (a git clone with tag v$X)" >&2
		exit 1
	fi
	say "Komodo $X is older than the newest served ($P): api/versions/$X.openapi.json"
	rm -f api/versions/"$(minor "$X")".*.openapi.json
	$GO run ./tools/specgen -komodo "$pkg" -out "api/versions/$X.openapi.json"
else
	[ -n "$on_npm" ] || { echo "komodo_client@$X is not on npm: the newest version served must be (CI re-derives its document and typed client from the pinned package)" >&2; exit 1; }
	if [ "$(minor "$X")" != "$(minor "$P")" ]; then
		say "Komodo $P stays served as an older version: api/versions/$P.openapi.json"
		mkdir -p api/versions
		cp api/komodo.openapi.json "api/versions/$P.openapi.json"
	fi
	say "Komodo $X is the newest served: tools/specgen/node pins komodo_client@$X"
	(cd "$NODE_DIR" && npm install --save-exact --no-audit --no-fund --loglevel=error "komodo_client@$X")
	$GO run ./tools/specgen
	if [ -n "$src" ]; then
		say "the simulator's serialization facts (api/komodo.serde.json) of Komodo $X"
		$GO run ./tools/specgen -serde-src "$src/client/core/rs/src"
	else
		say "api/komodo.serde.json kept (no KOMODO_SRC): the simulator's world keeps the previous version's defaults"
	fi
fi

# 3. Generated code: the typed client and every version's catalog and the changelog.
say "go generate (gen/komodo, gen/catalog, gen/catalog/versions)"
$GO generate ./...

# 4. The typed client's fixtures: the recorded answers, less what this version does not send.
say "fixtures (gen/komodo/testdata)"
$GO run ./tools/fixtures

# 5. The tool snapshots.
say "tool snapshots (internal/server/testdata/toolsnaps)"
$GO test ./internal/server -run 'Snapshots' -count=1 -update >/dev/null

# 6. README sections generated from the catalog (the default tools, the toolsets' cost).
say "README sections generated from the catalog"
$GO test ./cmd/komodo-mcp -run 'TestReadme' -count=1 -update-readme >/dev/null

say "done: review the diff (README 'Regenerating for a Komodo version'), then make test"
git status --short -- api tools/specgen gen internal/server/testdata >&2 || true
