#!/usr/bin/env bash
# Builds a pinned Dex (the OpenID Connect provider test/console signs in
# through) from source, fetched through the Go module proxy. The build is
# cached outside the repository, keyed by version; a second call only prints
# the path. Prints the binary's path on stdout (progress goes to stderr).
#
# Dex's go.mod names the module github.com/dexidp/dex without /v2, so the proxy
# cannot serve its v2.x tags as module versions: we pin the commit of the tag
# by its pseudo-version (v2.45.1 is commit 11d2eeb52b42, 2026-03-03). Its
# go.mod replaces its API module with ./api/v2, a nested module the proxy's
# zip leaves out, so `go install pkg@version` refuses it: we build inside a
# writable copy of the module and drop that replace for the published
# github.com/dexidp/dex/api/v2 v2.4.0 (v2.45.1's api/v2 differs from it in
# go.mod only). The web templates are embedded: the binary is all the test
# needs.
set -euo pipefail

DEX_VERSION="${FERRY_DEX_VERSION:-v2.45.1}"
DEX_MODULE_VERSION="${FERRY_DEX_MODULE_VERSION:-v0.0.0-20260303133905-11d2eeb52b42}"
cache="$(realpath -m "${FERRY_DEX_CACHE:-$(go env GOCACHE)/../ferry-dex}/${DEX_VERSION}")"
bin="$cache/dex"

if [ -x "$bin" ]; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$(date +%s)
dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "github.com/dexidp/dex@${DEX_MODULE_VERSION}" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { echo "dex.sh: downloading github.com/dexidp/dex@${DEX_MODULE_VERSION} failed" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
(cd "$work/src" && go mod edit -dropreplace github.com/dexidp/dex/api/v2 -require github.com/dexidp/dex/api/v2@v2.4.0)
echo "dex.sh: building Dex ${DEX_VERSION} (takes minutes the first time)" >&2
(cd "$work/src" && CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath \
  -ldflags "-s -w -X github.com/dexidp/dex/version.Version=${DEX_VERSION}" \
  -o "$work/dex" ./cmd/dex)

# Publish atomically: build into a sibling directory, then rename it into place.
mkdir -p "$(dirname "$cache")"
stage="$(mktemp -d "$(dirname "$cache")/.build.XXXXXX")"
chmod 755 "$stage"
mv "$work/dex" "$stage/dex"
rm -rf "$cache"
mv "$stage" "$cache"
echo "dex.sh: built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"
