#!/usr/bin/env bash
# Installs and starts what the tests need, when it is missing: git, Debian's
# docker-registry, PostgreSQL on 127.0.0.1:5432 (trust auth, database "test").
# Idempotent and quick when everything is there; `make test` and .ci/run call it.
set -euo pipefail

need=()
command -v git >/dev/null || need+=(git)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v make >/dev/null || need+=(make)
if ! command -v pg_ctlcluster >/dev/null; then need+=(postgresql); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "missing: ${need[*]}; install them (apt-get install ${need[*]}) or run as root" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
# The Debian package may start its service on 0.0.0.0:5000; tests start their own on 127.0.0.1.
pkill -f 'docker-registry serve /etc/docker/registry/config.yml' 2>/dev/null || true

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

