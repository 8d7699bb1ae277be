#!/usr/bin/env bash
# Installs and starts what the tests need, when it is missing: git, Debian's
# docker-registry, PostgreSQL on 127.0.0.1:5432 (trust auth, database "test"),
# a Gitea built from source for test/gitea (.ci/gitea.sh, cached), Debian's
# chromium and a Dex built from source (.ci/dex.sh, cached) for the
# console's browser tests (test/console).
# Idempotent and quick when everything is there; `make test` and .ci/run call it.
set -euo pipefail

need=()
command -v git >/dev/null || need+=(git)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v make >/dev/null || need+=(make)
command -v gcc >/dev/null || need+=(gcc)   # cgo: -race, and Gitea's SQLite
command -v chromium >/dev/null || need+=(chromium)
if ! command -v pg_ctlcluster >/dev/null; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  # Debian's docker-registry package would start its service on 0.0.0.0:5000;
  # the tests start their own on 127.0.0.1. Rather than stopping a service
  # afterwards (and maybe someone else's), keep apt from starting any: a
  # policy-rc.d that answers 101 ("action forbidden"), removed afterwards
  # unless it was already there.
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# written by ferry .ci/deps.sh for the length of one apt-get install\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    trap 'rm -f "$policy"' EXIT
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

# PostgreSQL on 127.0.0.1:5432 with trust auth and a database "test".
if [[ " ${need[*]-} " == *" postgresql "* ]]; then
  hba="$(ls -d /etc/postgresql/*/main | head -1)/pg_hba.conf"
  sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
fi
if ! pg_isready -h 127.0.0.1 -p 5432 -q; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='test'" | grep -q 1 \
  || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE test"

git config --global user.email >/dev/null || git config --global user.email ci@localhost
git config --global user.name >/dev/null || git config --global user.name CI

# test/gitea runs against a real Gitea: built once from source through the Go
# module proxy (minutes on 2 cores), then reused from the cache outside the repo.
bash "$(dirname "$0")/gitea.sh" >/dev/null

# test/console signs in through a real OpenID provider, Dex: built once from
# source through the Go module proxy, then reused from the cache.
bash "$(dirname "$0")/dex.sh" >/dev/null
