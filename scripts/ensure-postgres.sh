#!/usr/bin/env bash
# Make sure the PostgreSQL server binaries the tests start (initdb, pg_ctl) are installed; idempotent, quiet.
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" > /dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "PostgreSQL server binaries are missing: run 'sudo apt-get install -y postgresql' (the PostgreSQL tests are skipped)" >&2
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq > /dev/null
apt-get install -y -qq --no-install-recommends postgresql > /dev/null
