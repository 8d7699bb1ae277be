#!/usr/bin/env bash
# Builds a pinned Gitea from source, fetched through the Go module proxy, for
# test/gitea (the promotion flow against a real Git host). The build is cached
# outside the repository, keyed by version; a second call only prints the path.
# Prints the binary's path on stdout (progress goes to stderr).
#
# Gitea's go.mod has replace directives, so `go install pkg@version` refuses it:
# we build inside a writable copy of the module. No bindata tag: the binary reads
# options/ and templates/ from its STATIC_ROOT_PATH, so they are cached next to
# it (the API and git over HTTP need no built frontend).
set -euo pipefail

GITEA_VERSION="${FERRY_GITEA_VERSION:-v1.26.0}"
cache="$(realpath -m "${FERRY_GITEA_CACHE:-$(go env GOCACHE)/../ferry-gitea}/${GITEA_VERSION}")"
bin="$cache/gitea"

if [ -x "$bin" ] && [ -d "$cache/options" ]; then
  echo "$bin"
  exit 0
fi

work="$(mktemp -d)"
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
start=$(date +%s)
dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "code.gitea.io/gitea@${GITEA_VERSION}" \
  | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -n "$dir" ] || { echo "gitea.sh: downloading code.gitea.io/gitea@${GITEA_VERSION} failed" >&2; exit 1; }
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
echo "gitea.sh: building Gitea ${GITEA_VERSION} (takes minutes the first time)" >&2
(cd "$work/src" && CGO_ENABLED=1 GOFLAGS=-mod=mod go build -trimpath \
  -tags 'sqlite sqlite_unlock_notify' \
  -ldflags "-s -w -X main.Version=${GITEA_VERSION#v}" \
  -o "$work/gitea" .)

# Publish atomically: build into a sibling directory, then rename it into place,
# so a concurrent caller never sees a binary without its options.
mkdir -p "$(dirname "$cache")"
stage="$(mktemp -d "$(dirname "$cache")/.build.XXXXXX")"
chmod 755 "$stage"
mv "$work/gitea" "$stage/gitea"
cp -r "$work/src/options" "$work/src/templates" "$work/src/public" "$stage/"
rm -rf "$cache"
mv "$stage" "$cache"
echo "gitea.sh: built $bin in $(( $(date +%s) - start ))s ($(du -h "$bin" | cut -f1))" >&2
echo "$bin"
