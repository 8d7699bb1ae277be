#!/usr/bin/env bash
# govulncheck against a vulnerability database built from golang.org/x/vulndb,
# fetched through the Go module proxy: CI reaches no other site, so
# https://vuln.go.dev is out of reach. Set FERRY_VULNDB (a file:// or https://
# URL of a database) to use another one.
set -euo pipefail
cd "$(dirname "$0")/.."
GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018   # golang.org/x/vulndb, 2026-11-05

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
db="${FERRY_VULNDB:-}"
if [ -z "$db" ]; then
  dir="$(cd "$work" && GOFLAGS=-mod=mod go mod download -json "golang.org/x/vulndb@${VULNDB_VERSION}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  (cd "$dir" && GOFLAGS=-mod=mod go build -o "$work/indexdb" ./cmd/indexdb)
  "$work/indexdb" -out "$work/db" -vulns "$dir/data/osv"
  db="file://$work/db"
fi
go install "golang.org/x/vuln/cmd/govulncheck@${GOVULNCHECK_VERSION}"
gobin="$(go env GOBIN)"; gobin="${gobin:-$(go env GOPATH)/bin}"
"$gobin/govulncheck" -db "$db" -format json ./... > "$work/report.json"
go run ./.ci/vulncheck < "$work/report.json"
